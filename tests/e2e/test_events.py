"""A program's live events (the quarter's opening workshop and shadowing days) reach every
executive and mentor once, on the first working day of the event's week, in their own hours."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.models import Membership, OutboxMessage, Person, Role
from tests.e2e.conftest import Stack

UTC = dt.UTC


def _announcements(stack: Stack) -> list[tuple[str, str]]:
    """(person, event title) for every announcement Slack received."""
    return [
        (call.args["channel"], call.args["blocks"][0]["text"]["text"])
        for call in stack.slack.workspace.calls_to("chat.postMessage")
        if re.search(r"\(week \d+ of Leaders Q1\)$", call.args.get("text", ""))
    ]


def _tick_hourly(stack: Stack, start: dt.datetime, hours: int) -> None:
    for h in range(hours):
        stack.tick(start + dt.timedelta(hours=h))


def test_the_opening_workshop_and_a_shadowing_day_reach_each_executive_and_mentor_once(
    stack: Stack,
) -> None:
    stack.create_pilot(start=dt.date(2026, 12, 1), template="quarter", name="Leaders Q1")
    with stack.session() as s:
        roles = dict(
            s.execute(
                select(Person.slack_user_id, Membership.role).join(
                    Membership, Membership.person_id == Person.id
                )
            ).all()
        )
        paused = s.scalars(select(Person).where(Person.slack_user_id == "U07EXEC0008")).one()
        paused.paused_until = dt.datetime(2027, 3, 1, tzinfo=UTC)
        s.commit()
    members = {uid for uid, role in roles.items() if role in (Role.executive, Role.mentor)} - {
        "U07EXEC0008"
    }

    # Week 1 (the program starts on a Tuesday): every zone's Tuesday, hour by hour.
    _tick_hourly(stack, dt.datetime(2026, 11, 30, 12, tzinfo=UTC), 48)
    week1 = _announcements(stack)
    assert Counter(title for _, title in week1) == {
        "Opening workshop: meet your mentor": len(members)
    }
    assert {uid for uid, _ in week1} == members  # not the lead, not the paused executive
    # ...each in the person's own working hours on their first working day of the program.
    with stack.session() as s:
        for row in s.scalars(
            select(OutboxMessage).where(OutboxMessage.idempotency_key.like("event:%"))
        ):
            person = s.get(Person, row.person_id)
            local = row.sent_at.astimezone(ZoneInfo(person.timezone))
            assert local.date() == dt.date(2026, 12, 1) and 8 <= local.hour < 18, (
                person.slack_user_id,
                local,
            )

    # Week 2 has no event: nothing more, however often the worker ticks.
    _tick_hourly(stack, dt.datetime(2026, 12, 7, 0, tzinfo=UTC), 30)
    assert len(_announcements(stack)) == len(members)

    # Week 5's shadowing day: Monday 28 December is a bank holiday in England (Boxing Day's
    # substitute), so the British executive hears on Tuesday; the others on Monday.
    _tick_hourly(stack, dt.datetime(2026, 12, 27, 12, tzinfo=UTC), 60)
    shadowing = [a for a in _announcements(stack) if a[1].startswith("Shadowing day 1")]
    assert sorted(uid for uid, _ in shadowing) == sorted(members)
    with stack.session() as s:
        gb = s.scalars(select(Person).where(Person.slack_user_id == "U07EXEC0005")).one()
        sent = s.scalars(
            select(OutboxMessage.sent_at).where(
                OutboxMessage.idempotency_key.like(f"event:%:%:5:{gb.id}")
            )
        ).one()
        assert sent.astimezone(ZoneInfo(gb.timezone)).date() == dt.date(2026, 12, 29)
