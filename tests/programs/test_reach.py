"""The reach rule: who may get which message at an instant, the same in Python and in SQL, and what
the outbox does with a message for someone who has gone quiet since it was queued."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Membership, OutboxMessage, OutboxStatus, Person, PersonStatus, Purpose
from bot.programs import reach
from bot.slack import outbox, records
from bot.slack.records import Record
from tests import factories

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 16, 10, tzinfo=UTC)  # a Wednesday, 11:00 in Berlin
PAUSE_END = dt.datetime(2026, 12, 21, 23, tzinfo=UTC)  # Tuesday 22 December, 00:00 in Berlin

STATES: dict[str, dict[str, Any]] = {
    "active": {},
    "opted out": {"status": PersonStatus.opted_out},
    "paused until a date": {"paused_until": PAUSE_END},
    "snoozed": {"paused_until": NOW + dt.timedelta(days=7)},
    "paused until they resume": {"status": PersonStatus.paused},
    "a pause that has ended": {"paused_until": NOW - dt.timedelta(minutes=1)},
    "forgotten": {"forgotten_at": NOW - dt.timedelta(days=1)},
}
QUIET = {
    "active": None,
    "opted out": "has stopped Upward's messages",
    "paused until a date": "is paused until Tuesday 22 December",
    "snoozed": "is paused until Wednesday 23 December",
    "paused until they resume": "has paused Upward until they resume",
    "a pause that has ended": None,
    "forgotten": "is no longer in Upward",
}


def someone(session: Session, state: str, user: str = "U0EXEC0001") -> Person:
    cat = factories.catalog(weeks=8)
    prog = factories.program(session, cat, start=dt.date(2026, 11, 2), name=f"P {user}")
    person = factories.person(session, prog, user, tz="Europe/Berlin", country="DE")
    for field, value in STATES[state].items():
        setattr(person, field, value)
    session.flush()
    return person


@pytest.mark.parametrize("state", STATES)
def test_quiet_says_why_and_agrees_with_its_sql(session: Session, state: str) -> None:
    person = someone(session, state)

    assert reach.quiet(person, NOW) == QUIET[state]
    found = session.scalar(select(Person.id).where(Person.id == person.id, *reach.reachable(NOW)))
    assert (found is not None) is (QUIET[state] is None)


def queue(session: Session, person: Person, record: Record, *, now: dt.datetime = NOW) -> int:
    outbox.enqueue(
        session,
        record,
        method="chat.postMessage",
        payload={"channel": person.slack_user_id, "text": "hi"},
        now=now,
        program_id=session.scalar(
            select(Membership.program_id).where(Membership.person_id == person.id)
        ),
        person_id=person.id,
    )
    return session.scalars(
        select(OutboxMessage.id).where(OutboxMessage.idempotency_key == record.key)
    ).one()


def hold_of(session: Session, row_id: int, now: dt.datetime = NOW) -> reach.Hold | None:
    row = session.get(OutboxMessage, row_id)
    assert row is not None
    return reach.hold(session, [row], now).get(row_id)


@pytest.mark.parametrize("state", [s for s in STATES if QUIET[s] is not None])
def test_nothing_upward_decides_to_send_reaches_someone_quiet(session: Session, state: str) -> None:
    person = someone(session, state)
    for record in (
        records.circle_reminder(1, NOW, person.slack_user_id),
        records.circle_met(1, NOW, person.slack_user_id),
        records.observation(1, person.id),
        records.nudge(1, person.id, NOW.date()),
        records.digest(1, "2026-W51", str(person.id), manual_at=None),
    ):
        held = hold_of(session, queue(session, person, record))
        assert held == reach.Hold(QUIET[state]), record.purpose  # time-bound: never


def test_upwards_own_timing_waits_for_a_dated_pause_and_the_persons_hours(
    session: Session,
) -> None:
    paused = someone(session, "paused until a date")
    stopped = someone(session, "opted out", "U0EXEC0002")
    active = someone(session, "active", "U0EXEC0003")
    module = queue(session, paused, records.module(1))
    checkin = queue(session, stopped, records.kpi_checkin(1, stopped.id, NOW.date()))
    night = dt.datetime(2026, 12, 16, 22, tzinfo=UTC)  # 23:00 in Berlin
    reminder = queue(session, active, records.reminder(2), now=night)

    # After the pause: Tuesday 22 December at the start of the Berlin window (09:00 by default).
    assert hold_of(session, module) == reach.Hold(
        "is paused until Tuesday 22 December", dt.datetime(2026, 12, 22, 8, tzinfo=UTC)
    )
    assert hold_of(session, checkin) == reach.Hold("has stopped Upward's messages")  # for good
    assert hold_of(session, reminder, night) == reach.Hold(
        "outside their hours", dt.datetime(2026, 12, 17, 8, tzinfo=UTC)
    )
    assert hold_of(session, reminder) is None  # 11:00 on a working day


def test_what_someone_asked_for_reaches_them_unless_they_were_forgotten(
    session: Session,
) -> None:
    paused = someone(session, "paused until they resume")
    forgotten = someone(session, "forgotten", "U0EXEC0002")
    for record in (records.reply("U0EXEC0001", "1.1"), records.update(1, "abc")):
        assert hold_of(session, queue(session, paused, record)) is None
    gone = queue(session, forgotten, records.ephemeral("U0EXEC0002", "1.2"))
    assert hold_of(session, gone) == reach.Hold("is no longer in Upward")


def test_the_outbox_holds_or_withholds_what_the_rule_stops_and_sends_the_rest(
    session: Session,
) -> None:
    """What flush does with a claimed row the rule stops, without calling Slack for it."""
    paused = someone(session, "paused until a date")
    stopped = someone(session, "opted out", "U0EXEC0002")
    waits = queue(session, paused, records.module(1))
    never = queue(session, stopped, records.circle_met(1, NOW, "U0EXEC0002"))
    rows = outbox.claim_due(session, now=NOW, worker_id="w1")

    for row in rows:
        if (held := reach.hold(session, rows, NOW).get(row.id)) is not None:
            outbox._hold(row, held)
    session.flush()

    row = session.get(OutboxMessage, waits)
    assert row is not None
    assert (row.status, row.next_attempt_at, row.attempts, row.claimed_by) == (
        OutboxStatus.pending,
        dt.datetime(2026, 12, 22, 8, tzinfo=UTC),
        0,
        None,
    )
    row = session.get(OutboxMessage, never)
    assert row is not None
    assert (row.status, row.error) == (
        OutboxStatus.withheld,
        "held: the person has stopped Upward's messages",
    )


def test_channel_posts_are_not_personal(session: Session) -> None:
    paused = someone(session, "paused until they resume")
    post = queue(session, paused, Record(Purpose.circle_welcome, "circle:1:welcome", 1))
    assert hold_of(session, post) is None
