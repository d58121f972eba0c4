"""The check-in's and the rating sheet's clicks called directly, with a real session and a `now`.

Who may answer comes from the roster and from the outbox row of what Upward sent them, never from
the button's value; a refused click writes nothing.
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

from bot.errors import InvalidInput, Refusal
from bot.kpis import actions, blocks
from bot.models import (
    Circle,
    CircleMember,
    CircleStatus,
    Kpi,
    KpiObservation,
    Membership,
    ObservationSource,
    OutboxMessage,
    Person,
    Program,
    Role,
)
from bot.slack import outbox, records
from bot.slack.acking import Caller
from bot.slack.replies import Reply
from tests import factories
from tests.rows import writes_nothing

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 4, 10, tzinfo=UTC)  # a Friday
MONDAY = dt.date(2026, 11, 30)


@dataclass
class World:
    prog: Program
    executive: Person  # was sent this week's check-in
    unasked: Person  # an executive who was not
    mentor: Person  # was sent the closed circle's rating sheet
    circle: Circle
    kpis: dict[str, Kpi]


@pytest.fixture()
def world(session: Session) -> World:
    cat = factories.catalog()
    prog = factories.program(session, cat, start=dt.date(2026, 11, 24))

    def on_roster(uid: str, role: Role = Role.executive) -> Person:
        return factories.person(session, prog, uid, tz="Europe/Berlin", country="DE", role=role)

    executive, unasked = on_roster("U0EXEC0001"), on_roster("U0EXEC0002")
    mentor = on_roster("U0MENTOR01", Role.mentor)
    circle = factories.circle(
        session,
        prog,
        [(mentor, Role.mentor), (executive, Role.executive), (unasked, Role.executive)],
        start=dt.date(2026, 11, 24),
        end=dt.date(2026, 11, 30),
        status=CircleStatus.closing,
    )
    for record, to in [
        (records.kpi_checkin(prog.id, executive.id, MONDAY), executive),
        (records.observation(circle.id, mentor.id), mentor),
    ]:
        outbox.enqueue(
            session,
            record,
            method="chat.postMessage",
            payload={"channel": to.slack_user_id, "text": "asked"},
            now=NOW - dt.timedelta(hours=1),
            program_id=prog.id,
            person_id=to.id,
        )
    kpis = {k.key: k for k in session.scalars(select(Kpi).where(Kpi.program_id == prog.id))}
    return World(prog, executive, unasked, mentor, circle, kpis)


def observations(session: Session) -> list[tuple[str, int, ObservationSource, dt.date, int]]:
    return [
        (kpi.key, o.person_id, o.source, o.period_start, o.value)
        for o, kpi in session.execute(
            select(KpiObservation, Kpi)
            .join(Kpi, Kpi.id == KpiObservation.kpi_id)
            .order_by(KpiObservation.id)
        )
    ]


def drawn(reply: Reply, text: str) -> str:
    """The blocks the clicked message is redrawn with (and nothing else the Reply does)."""
    assert reply.replace is not None and reply.replace["text"] == text
    assert (reply.text, reply.send, reply.home, reply.modal) == (None, (), False, None)
    return json.dumps(reply.replace["blocks"])


# -- the weekly check-in -------------------------------------------------------------------------
def test_a_check_in_value_is_stored_and_the_message_shows_it(
    session: Session, world: World
) -> None:
    kpi = world.kpis["asked-first"]

    reply = actions.answer_checkin(
        session, Caller("U0EXEC0001"), actions.CheckinValue(kpi.id, MONDAY, 3), NOW
    )

    assert observations(session) == [
        ("asked-first", world.executive.id, ObservationSource.self_report, MONDAY, 3)
    ]
    shown = drawn(reply, blocks.CHECKIN_TEXT)
    assert ":white_check_mark: You said *3*." in shown and "this week done" not in shown


def test_a_second_click_changes_the_value_and_answering_every_kpi_finishes_the_week(
    session: Session, world: World
) -> None:
    first, second = world.kpis["asked-first"], world.kpis["confidence"]
    later = NOW + dt.timedelta(minutes=5)
    me = Caller("U0EXEC0001")

    actions.answer_checkin(session, me, actions.CheckinValue(first.id, MONDAY, 1), NOW)
    actions.answer_checkin(session, me, actions.CheckinValue(first.id, MONDAY, 5), later)
    reply = actions.answer_checkin(session, me, actions.CheckinValue(second.id, MONDAY, 4), later)

    assert [(key, value) for key, _, _, _, value in observations(session)] == [
        ("asked-first", 5),
        ("confidence", 4),
    ]
    assert ":tada: Thanks, that's this week done." in drawn(reply, blocks.CHECKIN_TEXT)


@pytest.mark.parametrize(
    "who, kpi_key, week, value, refusal",
    [
        ("U0EXEC0002", "asked-first", MONDAY, 3, "This check-in was not for you"),
        ("U0EXEC0001", "asked-first", MONDAY - dt.timedelta(days=7), 3, "was not for you"),
        ("U0MENTOR01", "asked-first", MONDAY, 3, "was not for you"),
        ("U0NOBODY01", "asked-first", MONDAY, 3, "was not for you"),
        ("U0EXEC0001", "focus-behaviour", MONDAY, 3, "was not for you"),
        ("U0EXEC0001", None, MONDAY, 3, "was not for you"),
        ("U0EXEC0001", "asked-first", MONDAY, 6, "outside the scale"),
        ("U0EXEC0001", "confidence", MONDAY, 0, "outside the scale"),
    ],
)
def test_a_check_in_answer_that_cannot_count_is_refused_and_writes_nothing(
    session: Session,
    world: World,
    who: str,
    kpi_key: str | None,
    week: dt.date,
    value: int,
    refusal: str,
) -> None:
    kpi_id = world.kpis[kpi_key].id if kpi_key else 2_000_000_000
    with writes_nothing(session), pytest.raises(Refusal, match=refusal):
        actions.answer_checkin(session, Caller(who), actions.CheckinValue(kpi_id, week, value), NOW)


@pytest.mark.parametrize("gone", ["left", "forgotten"])
def test_someone_who_left_the_program_or_was_forgotten_cannot_answer(
    session: Session, world: World, gone: str
) -> None:
    if gone == "left":
        session.scalars(
            select(Membership).where(Membership.person_id == world.executive.id)
        ).one().left_at = NOW - dt.timedelta(days=1)
    else:
        world.executive.forgotten_at = NOW - dt.timedelta(days=1)
    value = actions.CheckinValue(world.kpis["asked-first"].id, MONDAY, 3)
    with writes_nothing(session), pytest.raises(Refusal, match="was not for you"):
        actions.answer_checkin(session, Caller("U0EXEC0001"), value, NOW)


def test_a_check_in_of_another_program_is_not_answered_with_this_ones_proof(
    session: Session, world: World
) -> None:
    other = factories.program(session, factories.catalog(), name="Other")
    session.add(Membership(program_id=other.id, person_id=world.executive.id, role=Role.executive))
    foreign = session.scalars(
        select(Kpi).where(Kpi.program_id == other.id, Kpi.key == "asked-first")
    ).one()
    value = actions.CheckinValue(foreign.id, MONDAY, 3)
    with writes_nothing(session), pytest.raises(Refusal, match="was not for you"):
        actions.answer_checkin(session, Caller("U0EXEC0001"), value, NOW)


# -- the mentor's rating sheet -------------------------------------------------------------------
def rating(w: World, executive: Person, value: int, *, kpi: str = "focus-behaviour"):
    return actions.Rating(w.kpis[kpi].id, w.circle.id, executive.id, value)


def test_a_mentors_rating_is_stored_for_the_circles_period_and_a_second_click_changes_it(
    session: Session, world: World
) -> None:
    mentor = Caller("U0MENTOR01")
    actions.rate(session, mentor, rating(world, world.executive, 2), NOW)
    reply = actions.rate(session, mentor, rating(world, world.executive, 4), NOW)

    assert observations(session) == [
        (
            "focus-behaviour",
            world.executive.id,
            ObservationSource.mentor,
            world.circle.period_start,
            4,
        )
    ]
    stored = session.scalars(select(KpiObservation)).one()
    assert stored.observer_id == world.mentor.id
    shown = drawn(reply, blocks.OBSERVATION_TEXT)
    assert "<@U0EXEC0001>  :white_check_mark: *4*" in shown and "All rated" not in shown

    done = actions.rate(session, mentor, rating(world, world.unasked, 5), NOW)
    assert ":tada: All rated" in drawn(done, blocks.OBSERVATION_TEXT)


@pytest.mark.parametrize(
    "who, arrange, kpi, value, refusal",
    [
        ("U0EXEC0001", None, "focus-behaviour", 3, "Only this circle's mentor can rate"),
        ("U0NOBODY01", None, "focus-behaviour", 3, "Only this circle's mentor can rate"),
        ("U0MENTOR01", "not asked", "focus-behaviour", 3, "Only this circle's mentor can rate"),
        ("U0MENTOR01", "mentor left", "focus-behaviour", 3, "Only this circle's mentor can rate"),
        ("U0MENTOR01", "executive left", "focus-behaviour", 3, "Only this circle's mentor"),
        ("U0MENTOR01", None, "confidence", 3, "Only this circle's mentor can rate"),
        ("U0MENTOR01", None, "focus-behaviour", 0, "outside the scale"),
        ("U0MENTOR01", None, "focus-behaviour", 6, "outside the scale"),
    ],
)
def test_a_rating_that_cannot_count_is_refused_and_writes_nothing(
    session: Session,
    world: World,
    who: str,
    arrange: str | None,
    kpi: str,
    value: int,
    refusal: str,
) -> None:
    if arrange == "not asked":
        asked = select(OutboxMessage).where(OutboxMessage.person_id == world.mentor.id)
        session.delete(session.scalars(asked).one())
    elif arrange in ("mentor left", "executive left"):
        person = world.mentor if arrange == "mentor left" else world.executive
        session.scalars(
            select(CircleMember).where(CircleMember.person_id == person.id)
        ).one().left_at = NOW - dt.timedelta(days=1)
    with writes_nothing(session), pytest.raises(Refusal, match=refusal):
        actions.rate(session, Caller(who), rating(world, world.executive, value, kpi=kpi), NOW)


def test_a_rating_naming_a_circle_or_person_that_does_not_fit_is_refused(
    session: Session, world: World
) -> None:
    mentor = Caller("U0MENTOR01")
    focus = world.kpis["focus-behaviour"].id
    other = factories.program(session, factories.catalog(), name="Other")
    foreign = session.scalars(
        select(Kpi).where(Kpi.program_id == other.id, Kpi.key == "focus-behaviour")
    ).one()
    for value in (
        actions.Rating(focus, 2_000_000_000, world.executive.id, 3),  # no such circle
        actions.Rating(2_000_000_000, world.circle.id, world.executive.id, 3),  # no such KPI
        actions.Rating(focus, world.circle.id, world.mentor.id, 3),  # the mentor themself
        actions.Rating(foreign.id, world.circle.id, world.executive.id, 3),  # another program's
    ):
        with writes_nothing(session), pytest.raises(Refusal, match="Only this circle's mentor"):
            actions.rate(session, mentor, value, NOW)


# -- parsing -------------------------------------------------------------------------------------
def clicked(value: Any) -> dict[str, Any]:
    return {"actions": [{"action_id": "kpi.value:3", "value": value}]}


def test_check_in_and_rating_values_are_read() -> None:
    assert actions.parse_checkin(clicked("7|2026-11-30|3")) == actions.CheckinValue(7, MONDAY, 3)
    assert actions.parse_rating(clicked("7|8|9|5")) == actions.Rating(7, 8, 9, 5)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "7",
        "7|2026-11-30",
        "7|2026-11-30|3|4",
        "0|2026-11-30|3",
        "x|2026-11-30|3",
        "2147483648|2026-11-30|3",
        "7|2026-13-01|3",
        "7|last week|3",
        "7||3",
        "7|2026-11-30|",
        "7|2026-11-30|101",
        "7|2026-11-30|-1",
        "7|2026-11-30|three",
        "7|2026-11-30|٣",
        None,
        7,
    ],
)
def test_a_check_in_value_upward_never_sent_is_invalid_input(value: Any) -> None:
    with pytest.raises(InvalidInput, match="not one Upward understands"):
        actions.parse_checkin(clicked(value))


@pytest.mark.parametrize(
    "value",
    [
        "",
        "7|8|9",
        "7|8|9|5|1",
        "0|8|9|5",
        "7|0|9|5",
        "7|8|0|5",
        "7|8|x|5",
        "7|8|9|",
        "7|8|9|101",
        "7|8|9|-1",
        "7|8|2147483648|5",
        None,
    ],
)
def test_a_rating_value_upward_never_sent_is_invalid_input(value: Any) -> None:
    with pytest.raises(InvalidInput, match="not one Upward understands"):
        actions.parse_rating(clicked(value))


@given(st.text(max_size=60))
def test_any_check_in_or_rating_value_parses_or_is_invalid_input(value: str) -> None:
    for parse in (actions.parse_checkin, actions.parse_rating):
        try:
            parse(clicked(value))
        except InvalidInput:
            pass


def test_the_buttons_upward_draws_carry_values_the_parsers_read(
    session: Session, world: World
) -> None:
    """What the check-in and the sheet offer is what the parsers accept (one format, two ends)."""
    checkin = actions.answer_checkin(
        session,
        Caller("U0EXEC0001"),
        actions.CheckinValue(world.kpis["asked-first"].id, MONDAY, 3),
        NOW,
    )
    sheet = actions.rate(session, Caller("U0MENTOR01"), rating(world, world.executive, 4), NOW)

    for reply, parse in ((checkin, actions.parse_checkin), (sheet, actions.parse_rating)):
        values = [
            e["value"]
            for b in reply.replace["blocks"]  # type: ignore[index]
            for e in b.get("elements", [])
            if "value" in e
        ]
        assert values and all(parse(clicked(v)) for v in values)
