"""What each outbox row is for: the one place that builds a row's purpose, subject, period and key.

A row's idempotency key makes writing the same message twice a no-op; nothing else reads it.
Queries ask the typed columns instead ("the sent message of delivery 12": purpose `module`,
subject 12), so no code parses, joins on or `LIKE`s a key. Each builder below is the only maker
of its key's format; the formats are the ones rows were written with before these columns
existed (the migration that added them back-filled old rows from their keys), so a row already
queued is recognised, never written twice.

| purpose          | subject   | period                   | also in the key            |
|------------------|-----------|--------------------------|----------------------------|
| module           | delivery  |                          |                            |
| reminder         | delivery  |                          |                            |
| update           | delivery  |                          | the new state's digest     |
| reply, ephemeral |           |                          | who acted, and when        |
| circle_left_out  | program   | the period's first day   | the person                 |
| circle_welcome   | circle    |                          |                            |
| circle_scheduled | circle    | the meeting (epoch s)    |                            |
| circle_reminder  | circle    | the meeting (epoch s)    | the member                 |
| circle_met       | circle    | the meeting (epoch s)    | the member                 |
| circle_prompt    | circle    |                          | the prompt                 |
| circle_closing   | circle    |                          |                            |
| circle_topic     | circle    | the meeting (epoch s)    |                            |
| circle_invite    | circle    | when they were added     | the member                 |
| circle_kick      | circle    | when they were removed   | the member                 |
| observation      | circle    |                          | the mentor                 |
| kpi_checkin      | program   | the week's Monday        | the person                 |
| event            | program   | the program week (1, 2…) | the event and person       |
| digest, chart    | program   | the ISO week (2026-W45)  | the recipient              |
| nudge            | program   | the lead's day           | the executive              |
| ping_mentor      | program   | the program's day        | the executive              |
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.models import Purpose

KEY_MAX = 200  # the column's length


@dataclass(frozen=True)
class Record:
    """What one outbox row is for, and the idempotency key that makes writing it twice a no-op."""

    purpose: Purpose
    key: str
    subject_id: int | None = None
    period: str | None = None


def _record(
    purpose: Purpose, key: str, subject_id: int | None = None, period: object = None
) -> Record:
    return Record(purpose, key[:KEY_MAX], subject_id, None if period is None else str(period))


# -- microlearning ----------------------------------------------------------------------------
def module(delivery_id: int) -> Record:
    """A module (or assessment) message in the person's DM."""
    return _record(Purpose.module, f"delivery:{delivery_id}", delivery_id)


def reminder(delivery_id: int) -> Record:
    """The one reminder threaded under an unfinished module."""
    return _record(Purpose.reminder, f"reminder:{delivery_id}", delivery_id)


def update(delivery_id: int, state: str) -> Record:
    """The module message redrawn to `state` (a digest of it: the same state twice is one
    update)."""
    return _record(Purpose.update, f"update:{delivery_id}:{state}", delivery_id)


# -- answers to one person ----------------------------------------------------------------------
def reply(user: str, stamp: str) -> Record:
    """An answer posted to an interaction's response_url (keyed by who acted, and when)."""
    return _record(Purpose.reply, f"reply:{user}:{stamp}")


def ephemeral(user: str, stamp: str) -> Record:
    """A private answer to one person's click or form."""
    return _record(Purpose.ephemeral, f"ephemeral:{user}:{stamp}")


# -- circles -----------------------------------------------------------------------------------
def circle_left_out(program_id: int, period_start: dt.date, person_id: int) -> Record:
    return _record(
        Purpose.circle_left_out,
        f"circle-left-out:{program_id}:{period_start}:{person_id}",
        program_id,
        period_start.isoformat(),
    )


def circle_welcome(circle_id: int) -> Record:
    return _record(Purpose.circle_welcome, f"circle:{circle_id}:welcome", circle_id)


def circle_scheduled(circle_id: int, meeting_at: dt.datetime) -> Record:
    stamp = int(meeting_at.timestamp())
    return _record(
        Purpose.circle_scheduled, f"circle:{circle_id}:scheduled:{stamp}", circle_id, stamp
    )


def circle_reminder(circle_id: int, meeting_at: dt.datetime, user: str) -> Record:
    stamp = int(meeting_at.timestamp())
    return _record(
        Purpose.circle_reminder, f"circle:{circle_id}:reminder:{stamp}:{user}", circle_id, stamp
    )


def circle_met(circle_id: int, meeting_at: dt.datetime, user: str) -> Record:
    stamp = int(meeting_at.timestamp())
    return _record(Purpose.circle_met, f"circle:{circle_id}:met:{stamp}:{user}", circle_id, stamp)


def circle_prompt(circle_id: int, prompt_id: str) -> Record:
    return _record(Purpose.circle_prompt, f"circle:{circle_id}:prompt:{prompt_id}", circle_id)


def circle_closing(circle_id: int) -> Record:
    return _record(Purpose.circle_closing, f"circle:{circle_id}:closing", circle_id)


def circle_topic(circle_id: int, meeting_at: dt.datetime) -> Record:
    stamp = int(meeting_at.timestamp())
    return _record(Purpose.circle_topic, f"circle:{circle_id}:topic:{stamp}", circle_id, stamp)


def circle_invite(circle_id: int, person_id: int, at: dt.datetime) -> Record:
    stamp = int(at.timestamp())
    return _record(
        Purpose.circle_invite, f"circle:{circle_id}:invite:{person_id}:{stamp}", circle_id, stamp
    )


def circle_kick(circle_id: int, person_id: int, at: dt.datetime) -> Record:
    stamp = int(at.timestamp())
    return _record(
        Purpose.circle_kick, f"circle:{circle_id}:kick:{person_id}:{stamp}", circle_id, stamp
    )


# -- measurement ---------------------------------------------------------------------------------
def observation(circle_id: int, mentor_id: int) -> Record:
    """A mentor's rating sheet for a closed circle: also the record that they were asked."""
    return _record(Purpose.observation, f"observe:{circle_id}:{mentor_id}", circle_id)


def kpi_checkin(program_id: int, person_id: int, week: dt.date) -> Record:
    """A person's check-in for a week: also the record that they were asked."""
    return _record(
        Purpose.kpi_checkin,
        f"kpi-checkin:{program_id}:{person_id}:{week.isoformat()}",
        program_id,
        week.isoformat(),
    )


# -- programs ------------------------------------------------------------------------------------
def event(program_id: int, index: int, week: int, person_id: int) -> Record:
    """One person's announcement of the template's `index`th event, in program week `week`."""
    return _record(
        Purpose.event, f"event:{program_id}:{index}:{week}:{person_id}", program_id, week
    )


def digest(program_id: int, week: str, recipient: str, *, manual_at: dt.datetime | None) -> Record:
    """One recipient's copy of a program's digest for an ISO week (a manual send is its own)."""
    key = f"digest:{program_id}:{week}:{recipient}"
    if manual_at is not None:
        key += f":sent-{manual_at:%Y%m%dT%H%M%S}"
    return _record(Purpose.digest, key, program_id, week)


def digest_chart(message: Record) -> Record:
    """The chart that goes with a digest message."""
    return _record(Purpose.digest_chart, f"{message.key}:chart", message.subject_id, message.period)


def nudge(program_id: int, executive_id: int, day: dt.date) -> Record:
    return _record(
        Purpose.nudge,
        f"nudge:{program_id}:{executive_id}:{day.isoformat()}",
        program_id,
        day.isoformat(),
    )


def ping_mentor(program_id: int, executive_id: int, day: dt.date) -> Record:
    return _record(
        Purpose.ping_mentor,
        f"ping-mentor:{program_id}:{executive_id}:{day.isoformat()}",
        program_id,
        day.isoformat(),
    )
