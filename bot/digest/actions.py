"""The digest's one-click actions on an at-risk executive: nudge, pause, ping their mentor.

Only a lead of the executive's program may use them, checked from the roster on every click
(never from what the payload claims).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.calendar import local_day
from bot.core.values import row_id
from bot.digest.risk import latest_mentors
from bot.errors import Refusal
from bot.models import Membership, Person, Program, Role
from bot.programs.reach import quiet
from bot.slack import outbox, records
from bot.slack.acking import Caller
from bot.slack.replies import Reply

PAUSE = dt.timedelta(weeks=2)


@dataclass(frozen=True)
class Target:
    program: Program
    lead: Person
    executive: Person


def target(session: Session, *, value: str, clicker: str) -> Target:
    """The program and executive a button names, if the clicker leads that program."""
    program_text, _, person_text = value.partition("|")
    program_id, person_id = row_id(program_text), row_id(person_text)
    if program_id is None or person_id is None:
        raise Refusal("Sorry, that button is not one Upward understands. Nothing was changed.")
    program = session.get(Program, program_id)
    lead = session.scalars(
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Membership.program_id == program_id,
            Membership.role == Role.lead,
            Membership.left_at.is_(None),
            Person.slack_user_id == clicker,
        )
    ).one_or_none()
    if program is None or lead is None:
        raise Refusal("Only this program's leads can do that. Nothing was changed.")
    executive = session.scalars(
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Membership.program_id == program.id,
            Membership.role == Role.executive,
            Membership.left_at.is_(None),
            Person.id == person_id,
            Person.forgotten_at.is_(None),
        )
    ).one_or_none()
    if executive is None:
        raise Refusal("That executive is no longer in the program. Nothing was changed.")
    return Target(program, lead, executive)


def nudge(session: Session, caller: Caller, value: str, now: dt.datetime) -> Reply:
    """A friendly DM to the executive, at most one a day."""
    t = target(session, value=value, clicker=caller.user_id)
    why = quiet(t.executive, now)
    if why is not None:  # they asked for quiet: a lead's nudge is no exception
        raise Refusal(f"{_name(t.executive)} {why}, so no nudge was sent.")
    day = local_day(now, t.executive.timezone or t.program.timezone)
    text = (
        f"Hi {_first(t.executive)}, {_name(t.lead)} here from {t.program.name}. No pressure: your"
        " latest module is waiting in this chat whenever you have five minutes, and it's fine to"
        " pick up where you left off. If now is a busy stretch, *Pause* on any module message"
        " holds everything until you're back."
    )
    record = records.nudge(t.program.id, t.executive.id, day)
    fresh = outbox.enqueue(
        session,
        record,
        method="chat.postMessage",
        payload={"channel": t.executive.slack_user_id, "text": text},
        now=now,
        program_id=t.program.id,
        person_id=t.executive.id,
    )
    if not fresh:
        return Reply(f"{_name(t.executive)} already had a nudge today; one a day is plenty.")
    return Reply(f"Sent {_name(t.executive)} a friendly nudge.", send=(record,))


def pause(session: Session, caller: Caller, value: str, now: dt.datetime) -> Reply:
    """No modules, reminders or check-ins for two weeks."""
    t = target(session, value=value, clicker=caller.user_id)
    until = now + PAUSE
    if t.executive.paused_until is not None and t.executive.paused_until >= until:
        return Reply(
            f"{_name(t.executive)} is already paused until"
            f" {_day(t.executive.paused_until, t.lead, t.program)}."
        )
    t.executive.paused_until = until
    t.executive.updated_at = now
    return Reply(
        f"Paused {_name(t.executive)} until {_day(until, t.lead, t.program)}: no modules,"
        " reminders or check-ins"
        " until then."
    )


def ping_mentor(session: Session, caller: Caller, value: str, now: dt.datetime) -> Reply:
    """Ask the mentor of the executive's newest circle to check in (no scores are shared)."""
    t = target(session, value=value, clicker=caller.user_id)
    mentor_uid = latest_mentors(session, t.program.id, [t.executive.id]).get(t.executive.id)
    if mentor_uid is None:
        raise Refusal(
            f"{_name(t.executive)} has not been in a circle yet, so there is no mentor to ping."
        )
    mentor = session.scalars(select(Person).where(Person.slack_user_id == mentor_uid)).one()
    why = quiet(mentor, now)
    if why is not None:
        raise Refusal(f"Their mentor {_name(mentor)} {why}, so nobody was pinged.")
    day = local_day(now, t.program.timezone)
    text = (
        f"<@{t.lead.slack_user_id}> asks: could you check in with <@{t.executive.slack_user_id}>"
        " before your next circle? A friendly word from you often helps them find their rhythm"
        " again."
    )
    record = records.ping_mentor(t.program.id, t.executive.id, day)
    fresh = outbox.enqueue(
        session,
        record,
        method="chat.postMessage",
        payload={"channel": mentor.slack_user_id, "text": text},
        now=now,
        program_id=t.program.id,
        person_id=mentor.id,
    )
    if not fresh:
        return Reply(f"Their mentor was already pinged about {_name(t.executive)} today.")
    return Reply(
        f"Asked <@{mentor.slack_user_id}> to check in with {_name(t.executive)}.", send=(record,)
    )


def _day(instant: dt.datetime, reader: Person, program: Program) -> str:
    """A day as the lead reading the answer counts it (in their zone)."""
    return f"{local_day(instant, reader.timezone or program.timezone):%-d %B}"


def _name(person: Person) -> str:
    return person.display_name or f"<@{person.slack_user_id}>"


def _first(person: Person) -> str:
    return (person.display_name or "there").split()[0]
