"""The reach rule: whether Upward may message a person now, asked by every path that messages.

Quiet means quiet. A person who stopped Upward's messages, paused (until a date, or until they
resume), snoozed, or was forgotten gets nothing Upward decides to send: no module, reminder,
check-in, event, meeting reminder, "did you meet?", rating sheet, left-out note, digest, nudge or
ping. What a person asked for themselves (the answer to their own click, the redraw of the message
they clicked) still reaches them; nothing reaches someone forgotten. Channel posts are not
personal: they go to the channel.

It is asked twice. Each path asks before it writes a message (`quiet`, or `reachable` in SQL),
so nothing is queued for someone quiet, and what a lead sends explicitly is refused with the
reason. The outbox asks again just before each send (`hold`), so a message queued earlier (a
meeting reminder set last week, a retry) never reaches someone who has since asked for quiet:
Upward's own timing waits for a dated pause to end and for the person's window on a working day;
anything time-bound (a meeting reminder, a nudge) is withheld for good.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from bot.core.calendar import at_local, local_day, may_deliver, next_working_day
from bot.models import (
    OutboxMessage,
    Person,
    PersonStatus,
    Program,
    Purpose,
)
from bot.programs.service import local_rules

# Answers to the person's own request: they asked.
ASKED = frozenset({Purpose.reply, Purpose.ephemeral, Purpose.update})
# Upward's own timing, inside the person's window on a working day: they wait for a pause to end.
WINDOWED = frozenset({Purpose.module, Purpose.reminder, Purpose.kpi_checkin, Purpose.event})
# Posts in a channel (a circle's, the digest channel): not to one person.
CHANNEL = frozenset(
    {
        Purpose.circle_welcome,
        Purpose.circle_scheduled,
        Purpose.circle_prompt,
        Purpose.circle_closing,
        Purpose.circle_topic,
        Purpose.circle_invite,
        Purpose.circle_kick,
    }
)


def quiet(person: Person, now: dt.datetime) -> str | None:
    """Why Upward must not message this person at `now` on its own account (None: it may)."""
    if person.forgotten_at is not None:
        return "is no longer in Upward"
    if person.status == PersonStatus.opted_out:
        return "has stopped Upward's messages"
    if person.paused_until is not None and person.paused_until > now:
        return f"is paused until {_day(person, person.paused_until)}"
    if person.status == PersonStatus.paused and person.paused_until is None:
        return "has paused Upward until they resume"
    return None


def reachable(now: dt.datetime) -> tuple[ColumnElement[bool], ...]:
    """`quiet(person, now) is None`, as SQL: the people Upward may message at `now`."""
    return (
        Person.forgotten_at.is_(None),
        Person.status != PersonStatus.opted_out,
        or_(Person.paused_until.is_(None), Person.paused_until <= now),
        ~((Person.status == PersonStatus.paused) & Person.paused_until.is_(None)),
    )


@dataclass(frozen=True)
class Hold:
    """An outbox row that must not go now: `until` it may (a pause ends, a window opens), or never
    (None) with the reason."""

    reason: str
    until: dt.datetime | None = None


def hold(session: Session, rows: Iterable[OutboxMessage], now: dt.datetime) -> dict[int, Hold]:
    """Just before sending: the rows (by id) that must wait or not go, and why."""
    personal = [r for r in rows if r.person_id is not None and r.purpose not in CHANNEL]
    if not personal:
        return {}
    people = {
        p.id: p
        for p in session.scalars(
            select(Person).where(Person.id.in_({r.person_id for r in personal}))
        )
    }
    programs = {
        p.id: p
        for p in session.scalars(
            select(Program).where(Program.id.in_({r.program_id for r in personal}))
        )
    }
    held = {}
    for row in personal:
        person = people.get(row.person_id)  # type: ignore[arg-type]
        if person is None:
            held[row.id] = Hold("the person's record is gone")
            continue
        found = _hold(row, person, programs.get(row.program_id), now)  # type: ignore[arg-type]
        if found is not None:
            held[row.id] = found
    return held


def _hold(
    row: OutboxMessage, person: Person, program: Program | None, now: dt.datetime
) -> Hold | None:
    if row.purpose in ASKED:
        return Hold("is no longer in Upward") if person.forgotten_at is not None else None
    reason = quiet(person, now)
    if row.purpose not in WINDOWED or program is None:
        return Hold(reason) if reason else None
    if reason is not None:
        # A dated pause ends by itself: the message waits for it. Anything else is final.
        ends = person.paused_until if person.status != PersonStatus.opted_out else None
        if ends is None or person.forgotten_at is not None:
            return Hold(reason)
        return Hold(reason, _next_window(person, program, ends))
    if not _in_window(person, program, now):
        return Hold("outside their hours", _next_window(person, program, now))
    return None


def _in_window(person: Person, program: Program, now: dt.datetime) -> bool:
    tz, window = local_rules(person, program)
    return may_deliver(now, tz=tz, country=person.country, window=window)


def _next_window(person: Person, program: Program, after: dt.datetime) -> dt.datetime:
    """The first instant at or after `after` inside the person's window on a working day."""
    tz, window = local_rules(person, program)
    if may_deliver(after, tz=tz, country=person.country, window=window):
        return after
    day = next_working_day(local_day(after, tz), person.country)
    if at_local(day, window.start, tz) <= after:  # today's window has passed
        day = next_working_day(day + dt.timedelta(days=1), person.country)
    return at_local(day, window.start, tz)


def member_quiet(session: Session, person_id: int, now: dt.datetime) -> str | None:
    """`quiet` for a person by id (a missing person is quiet)."""
    person = session.get(Person, person_id)
    return quiet(person, now) if person is not None else "is no longer in Upward"


def _day(person: Person, instant: dt.datetime) -> str:
    return f"{local_day(instant, person.timezone or 'UTC'):%A %-d %B}"
