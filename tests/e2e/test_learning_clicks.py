"""Executives click the real buttons Upward posted; answers, scores and message updates are
right."""

from __future__ import annotations

import datetime as dt
import json
import time

from sqlalchemy import select

from bot.models import Answer, Delivery, DeliveryKind, DeliveryStatus, Person, PersonStatus
from bot.sandbox import SimulatedUser
from tests.e2e.conftest import Stack, eventually

UTC = dt.UTC
SOFIA = "U07EXEC0003"  # Europe/Berlin, DE
ARJUN = "U07EXEC0006"  # Asia/Kolkata, IN
START = dt.date(2026, 12, 1)  # a Tuesday


def texts(message: dict) -> str:
    return json.dumps(message.get("blocks") or [], ensure_ascii=False) + message.get("text", "")


def until_module_arrives(stack: Stack, person: SimulatedUser, *, start: dt.datetime) -> dict:
    """Tick hour by hour until the person's first module (after the baseline) is in their DM."""
    now = start
    for _ in range(24 * 7):
        stack.tick(now)
        modules = [m for m in person.bot_dms() if "module 1 of" in texts(m)]
        if modules:
            return modules[-1]
        now += dt.timedelta(hours=1)
    raise AssertionError("no module arrived within a week")


def current(person: SimulatedUser, ts: str) -> dict:
    """The message with this ts as the person sees it now (after any updates)."""
    return next(m for m in person.bot_dms() if m["ts"] == ts)


def wait_updates(stack: Stack, count: int) -> None:
    stack.slack.workspace.wait_until(
        lambda: len(stack.slack.workspace.calls_to("chat.update")) >= count, timeout=5
    )


def scored_answers(stack: Stack, user_id: str) -> list[tuple[str, int, bool | None]]:
    with stack.session() as s:
        return [
            (a.question_id, a.attempt, a.correct)
            for a in s.scalars(
                select(Answer)
                .join(Delivery)
                .join(Person)
                .where(Person.slack_user_id == user_id, Delivery.kind == DeliveryKind.module)
                .order_by(Answer.question_id, Answer.attempt)
            )
        ]


def test_answering_records_scores_and_updates_the_message_in_place(stack: Stack) -> None:
    stack.create_pilot(start=START)
    sofia = stack.person(SOFIA)
    message = until_module_arrives(stack, sofia, start=dt.datetime(2026, 12, 1, 0, tzinfo=UTC))
    module = stack.catalog.modules[next(m for m in stack.catalog.programs["pilot"].modules)]
    assert module.title in texts(message) and f"{module.minutes} min" in texts(message)
    q1, q2 = module.questions[0], module.questions[1]
    wrong = next(o for o in q1.options if o.id != q1.correct)
    right = next(o for o in q1.options if o.id == q1.correct)

    before = len(stack.slack.workspace.calls_to("chat.update"))
    assert sofia.click(message, text=wrong.label).status == 200
    wait_updates(stack, before + 1)
    updated = current(sofia, message["ts"])
    assert f"You chose *{wrong.label}*" in texts(updated) and q1.explanation[:40] in texts(updated)

    sofia.click(updated, text="Try again")
    wait_updates(stack, before + 2)
    sofia.click(current(sofia, message["ts"]), text=right.label)
    wait_updates(stack, before + 3)
    final = current(sofia, message["ts"])
    assert "is right" in texts(final) and "First try missed; that one counts" in texts(final)
    assert scored_answers(stack, SOFIA) == [(q1.id, 1, False), (q1.id, 2, True)]

    # Answering every question completes the module.
    for question in module.questions[1:]:
        n = len(stack.slack.workspace.calls_to("chat.update"))
        sofia.click(
            current(sofia, message["ts"]),
            text=next(o.label for o in question.options if o.id == question.correct),
        )
        wait_updates(stack, n + 1)
    with stack.session() as s:
        delivery = s.scalars(
            select(Delivery)
            .join(Person)
            .where(Person.slack_user_id == SOFIA, Delivery.sequence == 1)
        ).one()
        assert delivery.status == DeliveryStatus.completed
    assert "Done. Thank you" in texts(current(sofia, message["ts"]))
    assert q2.id in {q for q, _, _ in scored_answers(stack, SOFIA)}


def test_a_double_click_or_a_retried_request_records_one_answer(stack: Stack) -> None:
    stack.create_pilot(start=START)
    sofia = stack.person(SOFIA)
    message = until_module_arrives(stack, sofia, start=dt.datetime(2026, 12, 1, 0, tzinfo=UTC))
    label = (
        stack.catalog.modules[stack.catalog.programs["pilot"].modules[0]]
        .questions[0]
        .options[0]
        .label
    )
    first = sofia.click(message, text=label)
    again = sofia.click(message, text=label)  # the same (stale) message: a double click
    retried = sofia.click(message, text=label, retry_num=1, retry_reason="http_timeout")
    assert {first.status, again.status, retried.status} == {200}
    time.sleep(0.5)
    assert [(a, n) for a, n, _ in scored_answers(stack, SOFIA)] == [
        (stack.catalog.modules[stack.catalog.programs["pilot"].modules[0]].questions[0].id, 1)
    ]


def test_a_click_on_someone_elses_module_is_refused_politely(stack: Stack) -> None:
    stack.create_pilot(start=START)
    sofia, arjun = stack.person(SOFIA), stack.person(ARJUN)
    message = until_module_arrives(stack, sofia, start=dt.datetime(2026, 12, 1, 0, tzinfo=UTC))
    element = sofia.find_action(
        message,
        text=stack.catalog.modules[stack.catalog.programs["pilot"].modules[0]]
        .questions[0]
        .options[0]
        .label,
    )
    # Arjun's client sends Sofia's button (a forged or forwarded payload).
    from bot.sandbox import payloads

    with stack.slack.workspace.lock:
        action = payloads.action_entry(element["block"], element["element"], option=None)
        payload = payloads.block_actions(
            stack.slack.workspace,
            user_id=ARJUN,
            action=action,
            message=message,
            channel_id=element["channel_id"],
            is_ephemeral=False,
        )
    assert stack.sender.send_interaction(payload).status == 200
    stack.slack.workspace.wait_until(lambda: arjun.ephemerals(), timeout=5)
    assert "sent to someone else" in arjun.ephemerals()[-1]["text"]
    assert scored_answers(stack, SOFIA) == [] and scored_answers(stack, ARJUN) == []


def test_tampered_values_and_unknown_actions_record_nothing(stack: Stack) -> None:
    stack.create_pilot(start=START)
    sofia = stack.person(SOFIA)
    message = until_module_arrives(stack, sofia, start=dt.datetime(2026, 12, 1, 0, tzinfo=UTC))
    from bot.sandbox import payloads

    for action in (
        {
            "type": "button",
            "action_id": "learning.answer:a",
            "block_id": "q-x",
            "value": "not|a|value",
            "action_ts": "1.1",
        },
        {
            "type": "button",
            "action_id": "learning.answer:a",
            "block_id": "q-x",
            "value": "999999|q|a|1",
            "action_ts": "1.2",
        },
        {
            "type": "button",
            "action_id": "totally.unknown",
            "block_id": "b",
            "value": "x",
            "action_ts": "1.3",
        },
    ):
        with stack.slack.workspace.lock:
            payload = payloads.block_actions(
                stack.slack.workspace,
                user_id=SOFIA,
                action=action,
                message=message,
                channel_id=sofia.dm_channel_id,
                is_ephemeral=False,
            )
        assert stack.sender.send_interaction(payload).status == 200
    stack.slack.workspace.wait_until(lambda: len(sofia.ephemerals()) >= 3, timeout=5)
    said = [e["text"] for e in sofia.ephemerals()]
    assert any("not one Upward understands" in t for t in said)
    assert any("sent to someone else" in t for t in said)
    assert any("no longer in use" in t for t in said)
    assert scored_answers(stack, SOFIA) == []


def test_an_expired_module_is_answered_politely(stack: Stack) -> None:
    stack.create_pilot(start=START)
    sofia = stack.person(SOFIA)
    message = until_module_arrives(stack, sofia, start=dt.datetime(2026, 12, 1, 0, tzinfo=UTC))
    stack.clock.set(dt.datetime(2027, 6, 1, tzinfo=UTC))  # long after the pilot ended
    sofia.click(message, text="Mark done")
    stack.slack.workspace.wait_until(lambda: sofia.ephemerals(), timeout=5)
    assert "has closed" in sofia.ephemerals()[-1]["text"]


def test_reflection_opens_a_modal_and_is_stored(stack: Stack) -> None:
    stack.create_pilot(start=START)
    sofia = stack.person(SOFIA)
    message = until_module_arrives(stack, sofia, start=dt.datetime(2026, 12, 1, 0, tzinfo=UTC))
    sofia.click(message, text="Write a reflection")
    view = stack.slack.workspace.wait_until(lambda: sofia.current_view(), timeout=5)
    assert view["title"]["text"] == "Reflection"
    assert (
        sofia.submit_view({"text": "   "}).status == 200
    )  # blank: the modal answers with a field error
    assert stack.slack.workspace.view_errors(view["id"])
    sofia.submit_view({"text": "I interrupted twice; next time I will wait."})

    def stored() -> list[str]:
        with stack.session() as s:
            return list(s.scalars(select(Answer.value).where(Answer.question_id == "reflection")))

    assert eventually(stored) == ["I interrupted twice; next time I will wait."]


def test_snooze_pause_and_opt_out_take_effect_at_once(stack: Stack) -> None:
    stack.create_pilot(start=START)
    sofia = stack.person(SOFIA)
    message = until_module_arrives(stack, sofia, start=dt.datetime(2026, 12, 1, 0, tzinfo=UTC))
    sofia.click(message, text="Snooze a week")
    stack.slack.workspace.wait_until(lambda: sofia.ephemerals(), timeout=5)
    assert "quiet until" in sofia.ephemerals()[-1]["text"]
    with stack.session() as s:
        person = s.scalars(select(Person).where(Person.slack_user_id == SOFIA)).one()
        assert person.paused_until == stack.clock() + dt.timedelta(days=7)

    sofia.click(message, action_id="learning.opt_out")
    stack.slack.workspace.wait_until(lambda: len(sofia.ephemerals()) >= 2, timeout=5)
    assert "will not send you anything more" in sofia.ephemerals()[-1]["text"]
    dms = len(sofia.bot_dms())
    for _day in range(14):
        stack.tick(stack.clock() + dt.timedelta(hours=12))
    assert len(sofia.bot_dms()) == dms, "nothing arrives after opting out"

    # Resume from App Home brings her back; the home tab shows the new state.
    sofia.open_home()
    stack.slack.workspace.wait_until(lambda: stack.slack.workspace.home_tab(SOFIA), timeout=5)
    sofia.click_in_view(home=True, text="Resume Upward")
    stack.slack.workspace.wait_until(
        lambda: "Snooze a week" in json.dumps(stack.slack.workspace.home_tab(SOFIA)), timeout=5
    )
    with stack.session() as s:
        assert (
            s.scalars(select(Person.status).where(Person.slack_user_id == SOFIA)).one()
            == PersonStatus.active
        )
