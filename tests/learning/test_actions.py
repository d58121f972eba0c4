"""The learning actions called directly: a click or a form, a real session, an explicit `now`.

Each action either returns the Reply to carry out (with the outbox rows it wrote) or refuses, and a
refusal writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.content.loader import Catalog
from bot.core.ids import Action, Block, Callback
from bot.errors import InvalidInput, Refusal
from bot.learning import actions, answers, service
from bot.learning.answers import ButtonValue
from bot.models import (
    Answer,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    OutboxMessage,
    OutboxStatus,
    Person,
    PersonStatus,
    Program,
    ProgramStatus,
    Purpose,
)
from bot.slack import outbox, records
from bot.slack.acking import Caller
from bot.slack.replies import Reply
from tests import factories
from tests.rows import writes_nothing

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 3, 10, tzinfo=UTC)  # a Thursday; 11:00 in Berlin
DM = "D0ALICE001"
TS = "1796300000.000100"


@dataclass
class World:
    cat: Catalog
    prog: Program
    alice: Person  # an executive in Berlin
    bob: Person  # another executive
    reflective: Delivery  # m1: has a reflection question; in Alice's DM
    plain: Delivery  # m2: no reflection; in Alice's DM
    baseline: Delivery  # the starting self-assessment


@pytest.fixture()
def world(session: Session) -> World:
    cat = factories.catalog()
    prog = factories.program(session, cat)
    alice = factories.person(session, prog, "U0ALICE001", tz="Europe/Berlin", country="DE")
    bob = factories.person(session, prog, "U0BOB00001", tz="America/New_York", country="US")
    baseline = factories.delivery(
        session,
        prog,
        alice,
        "baseline",
        sequence=0,
        kind=DeliveryKind.baseline,
        channel_id=DM,
        message_ts="1796300000.000001",
    )
    reflective = factories.delivery(
        session, prog, alice, "m1", sequence=1, channel_id=DM, message_ts=TS
    )
    plain = factories.delivery(
        session, prog, alice, "m2", sequence=2, channel_id=DM, message_ts="1796300000.000200"
    )
    return World(cat, prog, alice, bob, reflective, plain, baseline)


ALICE = Caller("U0ALICE001", DM)
CATALOG = factories.catalog()


def click(w: World, delivery: Delivery, question: str = "", option: str = "", attempt: int = 0):
    return actions.Click(ButtonValue(delivery.id, question, option, attempt), w.cat)


def answers_of(session: Session, delivery: Delivery) -> list[tuple[str, int, str, bool | None]]:
    return [
        (a.question_id, a.attempt, a.value, a.correct)
        for a in session.scalars(
            select(Answer).where(Answer.delivery_id == delivery.id).order_by(Answer.id)
        )
    ]


def updates(session: Session) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.purpose == Purpose.update)
            .order_by(OutboxMessage.id)
        )
    )


def the_update(session: Session, reply: Reply, delivery: Delivery) -> dict[str, Any]:
    """The chat.update the Reply sends now: its one record, written to the outbox as a row."""
    assert (reply.text, reply.replace, reply.home, reply.modal) == (None, None, False, None)
    (record,) = reply.send
    assert (record.purpose, record.subject_id) == (Purpose.update, delivery.id)
    row = session.scalars(
        select(OutboxMessage).where(OutboxMessage.idempotency_key == record.key)
    ).one()
    assert (row.method, row.status, row.person_id) == (
        "chat.update",
        OutboxStatus.pending,
        delivery.person_id,
    )
    return row.payload


def shown(payload: dict[str, Any]) -> str:
    return json.dumps(payload["blocks"])


# -- answer ------------------------------------------------------------------------------------
def test_an_answer_is_recorded_once_and_redraws_the_message_in_place(
    session: Session, world: World
) -> None:
    reply = actions.answer(session, ALICE, click(world, world.reflective, "m1-q1", "b", 1), NOW)

    payload = the_update(session, reply, world.reflective)
    assert (payload["channel"], payload["ts"]) == (DM, TS)
    assert ":white_check_mark: *Option B* is right." in shown(payload)
    assert answers_of(session, world.reflective) == [("m1-q1", 1, "b", True)]
    assert world.reflective.status == DeliveryStatus.sent, "one of two questions answered"


def test_a_double_click_records_one_answer_and_queues_one_update(
    session: Session, world: World
) -> None:
    value = click(world, world.reflective, "m1-q1", "a", 1)
    first = actions.answer(session, ALICE, value, NOW)
    second = actions.answer(session, ALICE, value, NOW + dt.timedelta(seconds=1))

    assert first.send == second.send
    assert len(updates(session)) == 1
    assert answers_of(session, world.reflective) == [("m1-q1", 1, "a", False)]


def test_answering_every_question_completes_the_module(session: Session, world: World) -> None:
    actions.answer(session, ALICE, click(world, world.plain, "m2-q1", "a", 1), NOW)
    reply = actions.answer(session, ALICE, click(world, world.plain, "m2-q2", "b", 1), NOW)

    assert (world.plain.status, world.plain.completed_at) == (DeliveryStatus.completed, NOW)
    assert ":tada: Done." in shown(the_update(session, reply, world.plain))


def test_an_attempt_that_skips_ahead_is_not_recorded(session: Session, world: World) -> None:
    reply = actions.answer(session, ALICE, click(world, world.plain, "m2-q1", "a", 3), NOW)

    assert answers_of(session, world.plain) == []
    assert len(reply.send) == 1, "the message is still redrawn to its true state"


def test_a_rating_answers_the_self_assessment_without_a_score(
    session: Session, world: World
) -> None:
    for area in ("digital", "cultural", "inclusive"):
        reply = actions.answer(
            session, ALICE, click(world, world.baseline, f"self-{area}", "4", 1), NOW
        )

    assert [(q, v, c) for q, _, v, c in answers_of(session, world.baseline)] == [
        ("self-digital", "4", None),
        ("self-cultural", "4", None),
        ("self-inclusive", "4", None),
    ]
    assert world.baseline.status == DeliveryStatus.completed
    assert the_update(session, reply, world.baseline)["ts"] == "1796300000.000001"


def test_the_message_location_is_read_from_its_outbox_row_before_the_tick_copies_it(
    session: Session, world: World
) -> None:
    world.plain.channel_id = world.plain.message_ts = None
    outbox.enqueue(
        session,
        records.module(world.plain.id),
        method="chat.postMessage",
        payload={"channel": world.alice.slack_user_id, "text": "m2"},
        now=NOW,
    )
    row = session.scalars(select(OutboxMessage)).one()
    row.status, row.channel_id, row.slack_ts = OutboxStatus.sent, "D0FROMROW1", "1796300000.000900"

    reply = actions.answer(session, ALICE, click(world, world.plain, "m2-q1", "b", 1), NOW)

    payload = the_update(session, reply, world.plain)
    assert (payload["channel"], payload["ts"]) == ("D0FROMROW1", "1796300000.000900")


def test_an_answer_to_a_message_not_yet_in_slack_is_recorded_without_an_update(
    session: Session, world: World
) -> None:
    world.plain.channel_id = world.plain.message_ts = None

    reply = actions.answer(session, ALICE, click(world, world.plain, "m2-q1", "b", 1), NOW)

    assert reply == Reply()
    assert answers_of(session, world.plain) == [("m2-q1", 1, "b", True)]
    assert updates(session) == []


@pytest.mark.parametrize(
    "who, arrange, value, refusal",
    [
        ("U0BOB00001", None, ("m1-q1", "b", 1), "sent to someone else"),
        ("U0NOBODY01", None, ("m1-q1", "b", 1), "sent to someone else"),
        ("U0ALICE001", "pending", ("m1-q1", "b", 1), "has not been sent to you"),
        ("U0ALICE001", "expired", ("m1-q1", "b", 1), "has closed"),
        ("U0ALICE001", "finished", ("m1-q1", "b", 1), "has closed"),
        ("U0ALICE001", "opted_out", ("m1-q1", "b", 1), "You have stopped Upward's messages"),
        ("U0ALICE001", None, ("m1-q1", "z", 1), "does not belong to this module"),
        ("U0ALICE001", None, ("m9-q1", "b", 1), "does not belong to this module"),
    ],
)
def test_an_answer_that_cannot_count_is_refused_and_writes_nothing(
    session: Session,
    world: World,
    who: str,
    arrange: str | None,
    value: tuple[str, str, int],
    refusal: str,
) -> None:
    if arrange in ("pending", "expired"):
        world.reflective.status = DeliveryStatus(arrange)
    elif arrange == "finished":
        world.prog.status = ProgramStatus.finished
    elif arrange == "opted_out":
        world.alice.status = PersonStatus.opted_out
    with writes_nothing(session), pytest.raises(Refusal, match=refusal):
        actions.answer(session, Caller(who), click(world, world.reflective, *value), NOW)


def test_answers_close_sixty_days_after_the_program_ends(session: Session, world: World) -> None:
    end = dt.datetime.combine(world.prog.end_date, dt.time(23, 59), tzinfo=UTC)
    value = click(world, world.plain, "m2-q1", "b", 1)

    with writes_nothing(session), pytest.raises(Refusal, match="has closed"):
        actions.answer(
            session, ALICE, value, end + service.ANSWERABLE_FOR + dt.timedelta(minutes=1)
        )
    actions.answer(session, ALICE, value, end + service.ANSWERABLE_FOR)
    assert answers_of(session, world.plain) == [("m2-q1", 1, "b", True)]


def test_a_rating_off_the_scale_is_refused(session: Session, world: World) -> None:
    with writes_nothing(session), pytest.raises(Refusal, match="does not belong to this check-in"):
        actions.answer(session, ALICE, click(world, world.baseline, "self-digital", "9", 1), NOW)


# -- retry ---------------------------------------------------------------------------------------
def test_try_again_offers_the_options_for_the_next_attempt_and_records_nothing(
    session: Session, world: World
) -> None:
    actions.answer(session, ALICE, click(world, world.plain, "m2-q1", "a", 1), NOW)
    before = answers_of(session, world.plain)

    reply = actions.retry(session, ALICE, click(world, world.plain, "m2-q1", "", 2), NOW)

    buttons = json.dumps(the_update(session, reply, world.plain)["blocks"])
    assert f'"{world.plain.id}|m2-q1|b|2"' in buttons, "the options answer attempt 2"
    assert answers_of(session, world.plain) == before
    actions.answer(session, ALICE, click(world, world.plain, "m2-q1", "b", 2), NOW)
    assert answers_of(session, world.plain)[-1] == ("m2-q1", 2, "b", True)


def test_try_again_on_someone_elses_module_is_refused(session: Session, world: World) -> None:
    with writes_nothing(session), pytest.raises(Refusal, match="sent to someone else"):
        actions.retry(session, Caller("U0BOB00001"), click(world, world.plain, "m2-q1", "", 2), NOW)


# -- mark done -----------------------------------------------------------------------------------
def test_mark_done_completes_the_module_once(session: Session, world: World) -> None:
    reply = actions.mark_done(session, ALICE, click(world, world.plain), NOW)
    again = actions.mark_done(
        session, ALICE, click(world, world.plain), NOW + dt.timedelta(hours=1)
    )

    assert (world.plain.status, world.plain.completed_at) == (DeliveryStatus.completed, NOW)
    assert ":tada: Done." in shown(the_update(session, reply, world.plain))
    assert again.send == reply.send and len(updates(session)) == 1


def test_mark_done_by_someone_else_is_refused(session: Session, world: World) -> None:
    with writes_nothing(session), pytest.raises(Refusal, match="sent to someone else"):
        actions.mark_done(session, Caller("U0BOB00001"), click(world, world.plain), NOW)


# -- snooze, pause, opt out, resume --------------------------------------------------------------
@pytest.mark.parametrize("from_home", [False, True])
def test_snooze_is_quiet_for_a_week_and_says_until_when_in_the_persons_zone(
    session: Session, world: World, from_home: bool
) -> None:
    reply = actions.snooze(session, ALICE, actions.PersonChange(from_home=from_home), NOW)

    assert reply == Reply(
        "Snoozed. Upward will be quiet until Thursday 10 December.", home=from_home
    )
    assert (world.alice.paused_until, world.alice.updated_at) == (NOW + answers.SNOOZE, NOW)


def test_snooze_brings_back_someone_who_had_opted_out(session: Session, world: World) -> None:
    world.alice.status = PersonStatus.opted_out

    actions.snooze(session, ALICE, actions.PersonChange(from_home=True), NOW)

    assert world.alice.status == PersonStatus.active


def test_a_person_upward_does_not_know_cannot_snooze_pause_or_opt_out(
    session: Session, world: World
) -> None:
    stranger = Caller("U0NOBODY01")
    change = actions.PersonChange(from_home=True, picked="2026-12-20")
    for act in (actions.snooze, actions.pause_until, actions.opt_out):
        with writes_nothing(session), pytest.raises(Refusal, match="does not know you yet"):
            act(session, stranger, change, NOW)


def test_pause_lasts_until_the_picked_day_begins_where_the_person_lives(
    session: Session, world: World
) -> None:
    change = actions.PersonChange(from_home=False, picked="2026-12-20")

    reply = actions.pause_until(session, ALICE, change, NOW)

    assert reply == Reply("Paused. Your next message will come after Sunday 20 December.")
    assert world.alice.paused_until == dt.datetime(2026, 12, 19, 23, tzinfo=UTC)  # Berlin midnight


@pytest.mark.parametrize(
    "picked, refusal",
    [
        (None, "Please pick a date to pause until."),
        ("20.12.2026", "Please pick a date to pause until."),
        ("2026-02-30", "Please pick a date to pause until."),
        ("2026-12-03", "Please pick a date in the future"),  # today began 11 hours ago in Berlin
        ("2026-11-01", "Please pick a date in the future"),
        ("2027-12-05", "You can pause for up to a year"),
    ],
)
def test_a_pause_without_a_usable_date_is_refused(
    session: Session, world: World, picked: str | None, refusal: str
) -> None:
    change = actions.PersonChange(from_home=True, picked=picked)
    with writes_nothing(session), pytest.raises(Refusal, match=refusal):
        actions.pause_until(session, ALICE, change, NOW)


def test_opt_out_stops_everything_and_a_second_click_changes_nothing(
    session: Session, world: World
) -> None:
    change = actions.PersonChange(from_home=False)
    first = actions.opt_out(session, ALICE, change, NOW)
    assert first.text is not None and first.text.startswith("Done: Upward will not send you")
    assert (world.alice.status, world.alice.updated_at) == (PersonStatus.opted_out, NOW)

    with writes_nothing(session):
        second = actions.opt_out(session, ALICE, change, NOW + dt.timedelta(days=1))
    assert second == Reply("You had already stopped Upward's messages.")


def test_opt_out_from_app_home_redraws_the_tab(session: Session, world: World) -> None:
    assert actions.opt_out(session, ALICE, actions.PersonChange(from_home=True), NOW).home


def test_resume_undoes_an_opt_out_and_a_pause_and_the_tab_is_the_answer(
    session: Session, world: World
) -> None:
    world.alice.status = PersonStatus.opted_out
    world.alice.paused_until = NOW + dt.timedelta(days=3)

    reply = actions.resume(session, ALICE, actions.PersonChange(from_home=True), NOW)

    assert reply == Reply(home=True)
    assert (world.alice.status, world.alice.paused_until) == (PersonStatus.active, None)


@pytest.mark.parametrize("forgotten", [False, True])
def test_resume_by_someone_on_no_roster_only_redraws_their_tab(
    session: Session, world: World, forgotten: bool
) -> None:
    who = Caller("U0NOBODY01")
    if forgotten:
        world.bob.forgotten_at = NOW - dt.timedelta(days=1)
        world.bob.status = PersonStatus.opted_out
        who = Caller(world.bob.slack_user_id)
    with writes_nothing(session):
        reply = actions.resume(session, who, actions.PersonChange(from_home=True), NOW)
    assert reply == Reply(home=True)


# -- reflections ---------------------------------------------------------------------------------
def test_write_a_reflection_opens_the_form_for_this_delivery(
    session: Session, world: World
) -> None:
    with writes_nothing(session):
        reply = actions.open_reflection(session, ALICE, click(world, world.reflective), NOW)

    assert reply.text == actions.FORM_LATE and reply.send == ()
    view = reply.modal.to_dict()  # type: ignore[union-attr]
    assert (view["callback_id"], view["private_metadata"]) == (
        Callback.reflection,
        str(world.reflective.id),
    )
    assert "initial_value" not in json.dumps(view)


def test_the_form_holds_the_current_reflection_to_edit(session: Session, world: World) -> None:
    for text in ("First thoughts", "Second thoughts"):
        actions.save_reflection(
            session, ALICE, actions.Reflection(world.reflective.id, text, world.cat), NOW
        )

    reply = actions.open_reflection(session, ALICE, click(world, world.reflective), NOW)

    inputs = [b for b in reply.modal.to_dict()["blocks"] if b["type"] == "input"]  # type: ignore[union-attr]
    assert inputs[0]["element"]["initial_value"] == "Second thoughts"


@pytest.mark.parametrize(
    "who, which, refusal",
    [
        ("U0ALICE001", "plain", "has no reflection question"),
        ("U0BOB00001", "reflective", "sent to someone else"),
    ],
)
def test_a_reflection_form_that_cannot_be_written_is_refused(
    session: Session, world: World, who: str, which: str, refusal: str
) -> None:
    with writes_nothing(session), pytest.raises(Refusal, match=refusal):
        actions.open_reflection(session, Caller(who), click(world, getattr(world, which)), NOW)


def test_a_saved_reflection_is_stored_and_the_message_offers_to_edit_it(
    session: Session, world: World
) -> None:
    first = actions.save_reflection(
        session,
        ALICE,
        actions.Reflection(world.reflective.id, "  I will ask first.  ", world.cat),
        NOW,
    )
    actions.save_reflection(
        session, ALICE, actions.Reflection(world.reflective.id, "Edited.", world.cat), NOW
    )

    assert answers_of(session, world.reflective) == [
        (answers.REFLECTION_ID, 1, "I will ask first.", None),
        (answers.REFLECTION_ID, 2, "Edited.", None),
    ]
    assert "Edit reflection" in shown(the_update(session, first, world.reflective))
    assert world.reflective.status == DeliveryStatus.sent, "a reflection completes nothing"


def test_a_reflection_on_someone_elses_module_is_refused(session: Session, world: World) -> None:
    reflection = actions.Reflection(world.reflective.id, "Not mine", world.cat)
    with writes_nothing(session), pytest.raises(Refusal, match="sent to someone else"):
        actions.save_reflection(session, Caller("U0BOB00001"), reflection, NOW)


# -- parsing -------------------------------------------------------------------------------------
def clicked(value: Any, field: str = "value") -> dict[str, Any]:
    return {"user": {"id": "U0ALICE001"}, "actions": [{"action_id": "x", field: value}]}


def test_a_module_button_value_is_read_into_a_click() -> None:
    cat = factories.catalog()
    assert actions.parse_click(clicked("12|m1-q1|b|2"), catalog=cat) == actions.Click(
        ButtonValue(12, "m1-q1", "b", 2), cat
    )
    assert actions.parse_click(clicked("12|||"), catalog=cat).value == ButtonValue(12, "", "", 0)


@pytest.mark.parametrize(
    "body",
    [
        clicked(""),
        clicked("12"),
        clicked("12|m1-q1|b"),
        clicked("12|m1-q1|b|1|extra"),
        clicked("0|m1-q1|b|1"),
        clicked("-12|m1-q1|b|1"),
        clicked("twelve|m1-q1|b|1"),
        clicked("2147483648|m1-q1|b|1"),  # beyond an INTEGER column
        clicked("12|m1-q1|b|1001"),
        clicked("12|m1-q1|b|-1"),
        clicked("١٢|m1-q1|b|1"),  # Arabic-Indic digits int() would accept
        clicked(" 12|m1-q1|b|1"),
        clicked("1_2|m1-q1|b|1"),
        clicked(12),
        {"actions": []},
        {"actions": "12|m1-q1|b|1"},
        {"actions": [None]},
        {},
    ],
)
def test_a_button_value_upward_never_sent_is_invalid_input(body: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput, match="not one Upward understands"):
        actions.parse_click(body, catalog=factories.catalog())


@given(st.text(max_size=80))
def test_any_button_value_is_a_click_or_invalid_input(value: str) -> None:
    try:
        parsed = actions.parse_click(clicked(value), catalog=CATALOG)
    except InvalidInput:
        return
    assert parsed.value.delivery_id >= 1 and 0 <= parsed.value.attempt <= answers.MAX_ATTEMPT


def test_a_change_knows_where_it_was_clicked_and_the_date_picked() -> None:
    home = {"view": {"type": "home"}, **clicked("2026-12-20", "selected_date")}
    message = clicked("12|||0")

    assert actions.parse_change(home) == actions.PersonChange(True, "2026-12-20")
    assert actions.parse_change(message) == actions.PersonChange(False, None)
    assert actions.parse_change({"view": {"type": "modal"}}) == actions.PersonChange(False, None)


def submitted(metadata: Any, text: Any) -> dict[str, Any]:
    values = {Block.reflection_input: {"text": {"type": "plain_text_input", "value": text}}}
    return {
        "type": "view_submission",
        "view": {"type": "modal", "private_metadata": metadata, "state": {"values": values}},
    }


def test_a_submitted_reflection_is_read_with_its_delivery() -> None:
    parsed = actions.parse_reflection(submitted("7", "Asked Sam first."), catalog=CATALOG)
    longest = actions.parse_reflection(
        submitted("7", "x" * answers.REFLECTION_MAX), catalog=CATALOG
    )

    assert parsed == actions.Reflection(7, "Asked Sam first.", CATALOG)
    assert len(longest.text) == answers.REFLECTION_MAX


@pytest.mark.parametrize(
    "body, message",
    [
        (submitted(None, "text"), "cannot save this form"),
        (submitted("", "text"), "cannot save this form"),
        (submitted("seven", "text"), "cannot save this form"),
        (submitted("0", "text"), "cannot save this form"),
        (submitted("99999999999", "text"), "cannot save this form"),
        (submitted("7", None), "Write a few words"),
        (submitted("7", ""), "Write a few words"),
        (submitted("7", " \n\t "), "Write a few words"),
        (submitted("7", 42), "Write a few words"),
        ({"view": {"type": "modal", "private_metadata": "7"}}, "Write a few words"),
        ({"view": {"type": "modal", "private_metadata": "7", "state": {}}}, "Write a few words"),
        (submitted("7", "x" * (answers.REFLECTION_MAX + 1)), "up to 2,000 characters; this one is"),
        ({}, "cannot save this form"),
    ],
)
def test_a_reflection_that_cannot_be_saved_is_invalid_input_shown_under_its_field(
    body: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message) as raised:
        actions.parse_reflection(body, catalog=CATALOG)
    assert raised.value.field == Block.reflection_input


def test_the_module_buttons_carry_values_parse_click_reads(session: Session, world: World) -> None:
    """What the message offers is what the parser accepts (the two ends of one format)."""
    reply = actions.mark_done(session, ALICE, click(world, world.reflective), NOW)
    elements = [
        e
        for b in the_update(session, reply, world.reflective)["blocks"]
        for e in b.get("elements", []) + ([b["accessory"]] if "accessory" in b else [])
        if e.get("action_id") in (Action.reflect, Action.snooze, Action.opt_out)
    ]
    assert elements
    for element in elements:
        parsed = actions.parse_click(clicked(element["value"]), catalog=world.cat)
        assert parsed.value.delivery_id == world.reflective.id
