"""Quiet means quiet: someone who stopped Upward's messages, paused or snoozed gets no DM of any
kind while they are quiet, whichever path would have sent it, through five weeks of ticks.

Before the reach rule, a threaded module reminder reached a snoozed executive, meeting reminders
and "did you meet?" reached paused and opted-out members, and the lead's nudge went to a paused
executive. The quarter template exercises every path: modules, reminders, the baseline, weekly
check-ins, the opening workshop's announcement, circles (welcome, meeting reminder, did-you-meet,
closing pulse, the mentors' rating sheets), the digest and the lead's buttons.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from bot.kpis.blocks import OBSERVATION_TEXT
from bot.models import Circle, CircleMember, OutboxMessage, OutboxStatus, Person, Role
from bot.sandbox import SimulatedUser, payloads
from tests.e2e.conftest import Stack, eventually

UTC = dt.UTC
START = dt.date(2026, 12, 1)  # a Tuesday
STOPPED, PAUSED, SNOOZED, LATER = "U07EXEC0002", "U07EXEC0004", "U07EXEC0005", "U07EXEC0007"
PAUSED_MENTOR = "U07MENT0003"
LEAD = "U07LEAD0001"
SNOOZE_END = dt.datetime(2026, 11, 30, 9, tzinfo=UTC) + dt.timedelta(days=7)


def test_nobody_who_asked_for_quiet_gets_a_dm_from_any_path(stack: Stack) -> None:
    stack.create_pilot(start=START, template="quarter", name="Quarter")
    stack.clock.set(dt.datetime(2026, 11, 30, 9, tzinfo=UTC))
    _home_button(stack, STOPPED, "Stop all messages")
    _home_button(stack, SNOOZED, "Snooze a week")
    _pause_from_home(stack, PAUSED, dt.date(2027, 3, 1))

    now = dt.datetime(2026, 12, 1, 0, tzinfo=UTC)
    snoozed_dms: int | None = None  # while the snooze lasted
    paused_late: dict[str, int] = {}  # DMs each had when they paused
    while now < dt.datetime(2027, 1, 6, tzinfo=UTC):  # past the December circles' close
        stack.tick(now)
        if not paused_late and _circles(stack):
            _schedule_every_circle(stack, now)
            # A member of a circle with a meeting set pauses before its reminder is due, and a
            # mentor pauses before their circle's rating sheet would come.
            for user in (LATER, PAUSED_MENTOR):
                _pause_from_home(stack, user, dt.date(2027, 3, 1))
                paused_late[user] = len(_dms(stack, user))
        if snoozed_dms is None and now + dt.timedelta(hours=2) >= SNOOZE_END:
            snoozed_dms = len(_dms(stack, SNOOZED))
        now += dt.timedelta(hours=2)
    stack.settle()
    assert paused_late, "no circle was formed"

    assert _dms(stack, STOPPED) == [] and _dms(stack, PAUSED) == []
    assert snoozed_dms == 0
    assert {u: len(_dms(stack, u)) for u in paused_late} == paused_late
    # Everyone else heard from Upward all month: the paths ran (or this test proves nothing).
    engaged = _texts(_dms(stack, "U07EXEC0001"))
    assert "module 1 of" in engaged and "Opening workshop" in engaged
    assert "Did your peer circle meet?" in engaged and "quick click" in engaged
    assert "How useful was this circle" in _texts(
        [m for c in _circles(stack) for m in stack.slack.workspace.channel_messages(c)]
    )
    assert OBSERVATION_TEXT in _texts(_dms(stack, "U07MENT0001"))
    assert _dms(stack, LEAD), "the lead got their digests"
    # Nothing addressed to them was even queued after they went quiet, bar what the outbox held.
    with stack.session() as session:
        withheld = session.scalars(
            select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.withheld)
        ).all()
    assert all("held: the person" in (r.error or "") for r in withheld)


def _home_button(stack: Stack, user: str, label: str) -> None:
    person = stack.person(user)
    assert person.open_home().status == 200
    stack.slack.workspace.wait_until(lambda: person.home())
    assert person.click_in_view(home=True, text=label).status == 200
    stack.settle()


def _pause_from_home(stack: Stack, user: str, until: dt.date) -> None:
    person: SimulatedUser = stack.person(user)
    assert person.open_home().status == 200
    home = stack.slack.workspace.wait_until(lambda: person.home())
    found = person._match(home["blocks"], "learning.pause_until", None, None)
    assert found is not None
    with stack.slack.workspace.lock:
        action = payloads.action_entry(found[0], found[1], option=None)
        action["selected_date"] = until.isoformat()
        payload = payloads.block_actions(
            stack.slack.workspace, user_id=user, action=action, view=home
        )
    assert stack.sender.send_interaction(payload).status == 200
    stack.settle()
    with stack.session() as session:
        person_row = session.scalars(select(Person).where(Person.slack_user_id == user)).one()
        assert person_row.paused_until is not None


def _circles(stack: Stack) -> list[str]:
    with stack.session() as session:
        return [
            c
            for c in session.scalars(select(Circle.slack_channel_id).order_by(Circle.id))
            if c is not None
        ]


def _schedule_every_circle(stack: Stack, now: dt.datetime) -> None:
    """Each circle's mentor sets a meeting two days later at 15:00 in their zone."""
    with stack.session() as session:
        rows = session.execute(
            select(Circle.slack_channel_id, Person.slack_user_id)
            .join(CircleMember, CircleMember.circle_id == Circle.id)
            .join(Person, Person.id == CircleMember.person_id)
            .where(CircleMember.role == Role.mentor)
        ).all()
    day = (now + dt.timedelta(days=2)).date()
    for channel, mentor in rows:
        person = stack.person(mentor)
        before = len(person.ephemerals())
        response = person.command("/circle", f"schedule {day} 15:00", channel_id=channel)
        assert response.status == 200
        eventually(lambda p=person, n=before: len(p.ephemerals()) > n)
        assert "Done: the circle meets" in person.ephemerals()[-1]["text"]


def _dms(stack: Stack, user: str) -> list[dict]:
    return stack.person(user).bot_dms()


def _texts(messages: list[dict]) -> str:
    return " ".join(
        m.get("text", "") + json.dumps(m.get("blocks") or [], ensure_ascii=False) for m in messages
    )
