"""Erase a person's personal data on request while keeping the anonymous counts programs report on.

In one transaction (the caller's): the person's name, email, time zone, country, department and
delivery window are cleared and their Slack id becomes the tombstone `forgotten-<id>`; their
reflections are deleted and their other answers keep only the `correct` flag; mentor notes they
wrote and KPI observations about them are deleted, and observations they made of others lose the
observer; unsent messages to them are deleted and sent ones lose their body; their memberships end.
Circle attendance and pulse rows stay (they name no one once the person is a tombstone).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.core.words import count
from bot.errors import UpwardError
from bot.models import (
    Answer,
    Delivery,
    KpiObservation,
    Membership,
    MentorNote,
    OutboxMessage,
    OutboxStatus,
    Person,
    PersonStatus,
)

REFLECTION_QUESTION_ID = "reflection"
TOMBSTONE_PREFIX = "forgotten-"


class ForgetError(UpwardError):
    """A forget request that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class ForgetReport:
    """What `forget_person` erased, as counts of rows."""

    slack_user_id: str
    answers_anonymised: int
    reflections_deleted: int
    mentor_notes_deleted: int
    kpi_observations_deleted: int
    observations_unattributed: int
    messages_cancelled: int
    messages_scrubbed: int
    memberships_ended: int

    def summary(self) -> str:
        """One sentence for the operator: what was removed for whom."""
        parts = [
            _count(self.answers_anonymised, "answer", "anonymised"),
            _count(self.reflections_deleted, "reflection", "deleted"),
            _count(self.mentor_notes_deleted, "mentor note", "deleted"),
            _count(self.kpi_observations_deleted, "KPI observation", "deleted"),
            _count(self.messages_cancelled, "pending message", "cancelled"),
            _count(self.memberships_ended, "program membership", "ended"),
        ]
        if self.messages_scrubbed:
            parts.append(_count(self.messages_scrubbed, "sent message body", "cleared"))
        if self.observations_unattributed:
            parts.append(
                _count(self.observations_unattributed, "observation of others", "unattributed")
            )
        return f"Forgot {self.slack_user_id}: {', '.join(parts)}."


def _count(n: int, noun: str, verb: str) -> str:
    return f"{count(n, noun)} {verb}"


def person_to_forget(session: Session, *, slack_user_id: str) -> Person:
    """The person with this Slack user id, or ForgetError when there is none or they are
    forgotten."""
    wanted = slack_user_id.strip()
    person = session.scalars(select(Person).where(Person.slack_user_id == wanted)).one_or_none()
    if person is None:
        raise ForgetError(
            f"no person with Slack user id '{wanted}': check the id (e.g. U07ABC123, as in the"
            " roster CSV); people already forgotten can no longer be found by their old id"
        )
    if person.forgotten_at is not None:
        raise ForgetError(
            f"'{wanted}' was already forgotten on {person.forgotten_at:%Y-%m-%d %H:%M} UTC; there"
            " is nothing left to erase"
        )
    return person


def forget_person(session: Session, *, slack_user_id: str, now: dt.datetime) -> ForgetReport:
    """Erase one person's personal data as the module docstring lists and say what went; never
    commits."""
    person = person_to_forget(session, slack_user_id=slack_user_id)
    pid = person.id
    their_deliveries = select(Delivery.id).where(Delivery.person_id == pid)

    reflections = _rowcount(
        session,
        delete(Answer).where(
            Answer.delivery_id.in_(their_deliveries), Answer.question_id == REFLECTION_QUESTION_ID
        ),
    )
    # Values go; the `correct` flag stays, as it is the anonymous count behind averages.
    answers = _rowcount(
        session,
        update(Answer)
        .where(
            Answer.delivery_id.in_(their_deliveries), Answer.question_id != REFLECTION_QUESTION_ID
        )
        .values(value=""),
    )
    # The DM channel and message ids would let someone look the person up in Slack again.
    session.execute(
        update(Delivery).where(Delivery.person_id == pid).values(channel_id=None, message_ts=None)
    )
    notes = _rowcount(session, delete(MentorNote).where(MentorNote.author_id == pid))
    observations = _rowcount(session, delete(KpiObservation).where(KpiObservation.person_id == pid))
    unattributed = _rowcount(
        session,
        update(KpiObservation).where(KpiObservation.observer_id == pid).values(observer_id=None),
    )
    cancelled = _rowcount(
        session,
        delete(OutboxMessage).where(
            OutboxMessage.person_id == pid,
            OutboxMessage.status.in_((OutboxStatus.pending, OutboxStatus.sending)),
        ),
    )
    # Sent (and failed) message bodies may quote the person; the rows stay for delivery counts.
    scrubbed = _rowcount(
        session,
        update(OutboxMessage)
        .where(OutboxMessage.person_id == pid)
        .values(payload={}, channel_id=None),
    )
    memberships = _rowcount(
        session,
        update(Membership)
        .where(Membership.person_id == pid, Membership.left_at.is_(None))
        .values(left_at=now),
    )

    person.slack_user_id = f"{TOMBSTONE_PREFIX}{pid}"
    person.email = None
    person.display_name = ""
    person.timezone = None
    person.country = None
    person.department = None
    person.window_start = None
    person.window_end = None
    person.paused_until = None
    person.status = PersonStatus.opted_out
    person.forgotten_at = now
    session.flush()
    return ForgetReport(
        slack_user_id=slack_user_id.strip(),
        answers_anonymised=answers,
        reflections_deleted=reflections,
        mentor_notes_deleted=notes,
        kpi_observations_deleted=observations,
        observations_unattributed=unattributed,
        messages_cancelled=cancelled,
        messages_scrubbed=scrubbed,
        memberships_ended=memberships,
    )


def _rowcount(session: Session, statement) -> int:  # type: ignore[no-untyped-def]
    # "fetch" keeps any loaded objects in step without evaluating IN (subquery) in Python.
    result = session.execute(statement, execution_options={"synchronize_session": "fetch"})
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
