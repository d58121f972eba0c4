"""The outbox: every outbound Slack call is written as a row, then sent, then marked with Slack's
ts.

A row is written once per record (bot.slack.records), claimed by one worker for a lease, sent
(bot.slack.sending makes the attempt, and finds an earlier attempt's message instead of posting
twice), and its outcome stored: sent, retried later with backoff, or failed for good.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from slack_sdk import WebClient
from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from bot.db import db_now, session_scope
from bot.models import OutboxMessage, OutboxStatus, Program, Purpose
from bot.slack.installations import NoWorkspace, WorkspaceClients, as_clients
from bot.slack.records import Record

# What the outbox's callers name a row's method and an attempt by.
from bot.slack.sending import FILE_UPLOAD as FILE_UPLOAD
from bot.slack.sending import RESPONSE_URL as RESPONSE_URL
from bot.slack.sending import Outcome, send

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=2)
MAX_ATTEMPTS = 10


@dataclass
class FlushStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    recovered: int = 0
    held: int = 0  # waiting for the person's pause or hours to end, or withheld for good

    @property
    def attempted(self) -> int:
        return self.sent + self.retried + self.failed


def written(session: Session, records: Iterable[Record]) -> set[Record]:
    """Which of these records already have an outbox row (what was already queued or sent)."""
    by_key = {r.key: r for r in records}
    if not by_key:
        return set()
    return {
        by_key[key]
        for key in session.scalars(
            select(OutboxMessage.idempotency_key).where(
                OutboxMessage.idempotency_key.in_(list(by_key))
            )
        )
    }


def enqueue(
    session: Session,
    record: Record,
    *,
    method: str,
    payload: dict[str, Any],
    now: dt.datetime,
    program_id: int | None = None,
    person_id: int | None = None,
    not_before: dt.datetime | None = None,
    team_id: str | None = None,
) -> bool:
    """Write an outbound call once per record; False when a row with its key already exists.

    The row is sent with the bot token of `team_id`'s workspace, by default its program's.
    """
    if team_id is None and program_id is not None:
        team_id = select(Program.team_id).where(Program.id == program_id).scalar_subquery()  # type: ignore[assignment]
    values = dict(
        team_id=team_id,
        idempotency_key=record.key,
        purpose=record.purpose,
        subject_id=record.subject_id,
        period=record.period,
        method=method,
        payload=payload,
        status=OutboxStatus.pending,
        attempts=0,
        next_attempt_at=not_before or now,
        program_id=program_id,
        person_id=person_id,
        created_at=now,
    )
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(OutboxMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(
            OutboxMessage.id
        )  # psycopg reports rowcount -1 here; a returned id is unambiguous
    )
    return session.execute(stmt).scalar() is not None


def claim_due(
    session: Session,
    *,
    now: dt.datetime,
    worker_id: str,
    limit: int = 100,
    lease: dt.timedelta = LEASE,
    only_team: str | None = None,
) -> list[OutboxMessage]:
    """Take up to `limit` due rows (and rows whose claim expired) for this worker; commit after.

    A row is due by `now` (a tick's instant, perhaps simulated); a claim expires by the database's
    clock, the one clock every process shares. `only_team` takes only that workspace's rows (a
    listener's client holds one workspace's token).
    """
    clock = db_now(session)
    due = (
        select(OutboxMessage)
        .where(
            or_(
                (OutboxMessage.status == OutboxStatus.pending)
                & (OutboxMessage.next_attempt_at <= now),
                (OutboxMessage.status == OutboxStatus.sending)
                & (OutboxMessage.claimed_until < clock),
            ),
            *([OutboxMessage.team_id == only_team] if only_team is not None else []),
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list(session.scalars(due))
    for row in rows:
        row.status = OutboxStatus.sending
        row.claimed_by = worker_id
        row.claimed_until = clock + lease
        row.attempts += 1  # a later claim of the same row first looks for this attempt's message
    session.flush()
    return rows


def renew(session: Session, row_id: int, *, worker_id: str, lease: dt.timedelta = LEASE) -> bool:
    """Just before a row is sent: still this worker's? Then its lease starts again now; False when
    another worker has taken it over (this one must not send it).

    A batch is claimed at once but sent one row after another; a row whose claim ran out while it
    waited may have been taken by another worker, and only the worker holding it now may send it.
    """
    row = session.get(OutboxMessage, row_id, with_for_update=True, populate_existing=True)
    if row is None or row.claimed_by != worker_id or row.status != OutboxStatus.sending:
        return False
    row.claimed_until = db_now(session) + lease
    session.flush()
    return True


def record(
    session: Session, row_id: int, outcome: Outcome, *, now: dt.datetime, worker_id: str
) -> None:
    """Store an attempt's outcome on the row, unless another worker has taken the row over."""
    row = session.get(OutboxMessage, row_id, with_for_update=True)
    if row is None or row.claimed_by != worker_id or row.status != OutboxStatus.sending:
        return
    row.claimed_by = None
    row.claimed_until = None
    if outcome.kind == "sent":
        row.status = OutboxStatus.sent
        row.sent_at = now
        row.slack_ts = outcome.ts
        row.channel_id = outcome.channel_id
        row.error = None
    elif outcome.kind == "retry" and row.attempts < MAX_ATTEMPTS:
        row.status = OutboxStatus.pending
        row.error = (outcome.error or "")[:500]
        row.next_attempt_at = now + backoff(row.attempts)
    else:
        row.status = OutboxStatus.failed
        reason = outcome.error or "unknown error"
        row.error = (
            reason
            if outcome.kind == "failed"
            else f"gave up after {row.attempts} attempts: {reason}"
        )[:500]


def backoff(attempts: int) -> dt.timedelta:
    """15 s, 30 s, 1 min, ... capped at 1 h, with jitter so retries from many rows spread out."""
    base = min(15 * 2 ** max(attempts - 1, 0), 3600)
    return dt.timedelta(seconds=base * random.uniform(0.8, 1.2))


class Held(Protocol):
    """Why a row must not be sent now (bot.programs.reach.Hold): until when, or never."""

    reason: str
    until: dt.datetime | None


# The reach rule, asked just before sending: the rows (by id) that must wait or not go at all.
Reach = Callable[[Session, list[OutboxMessage], dt.datetime], dict[int, Held]]


def flush(
    sessions: sessionmaker[Session],
    client: WebClient | WorkspaceClients,
    *,
    now: dt.datetime,
    worker_id: str,
    batch: int = 100,
    max_rows: int | None = None,
    lease: dt.timedelta = LEASE,
    only_team: str | None = None,
    reach: Reach | None = None,
) -> FlushStats:
    """Send everything due as of `now`, each row with its workspace's token; each outcome is
    committed as soon as it is known."""
    clients = as_clients(client)
    stats = FlushStats()
    while max_rows is None or stats.attempted < max_rows:
        limit = batch if max_rows is None else min(batch, max_rows - stats.attempted)
        with session_scope(sessions) as session:
            rows = claim_due(
                session, now=now, worker_id=worker_id, limit=limit, lease=lease, only_team=only_team
            )
            held = reach(session, rows, now) if reach is not None else {}
            for row in rows:
                if row.id in held:
                    _hold(row, held[row.id])
        if not rows:
            break
        stats.held += len(held)
        for row in (r for r in rows if r.id not in held):
            with session_scope(sessions) as session:
                if not renew(session, row.id, worker_id=worker_id, lease=lease):
                    continue
                stale = superseded(session, row)
            outcome = SUPERSEDED if stale else _send_in_workspace(clients, row)
            with session_scope(sessions) as session:
                record(session, row.id, outcome, now=now, worker_id=worker_id)
            if outcome.kind == "sent":
                stats.sent += 1
                stats.recovered += int(bool(outcome.response.get("recovered")))
            elif outcome.kind == "retry":
                stats.retried += 1
                log.warning("outbox %s will be retried: %s", row.idempotency_key, outcome.error)
            else:
                stats.failed += 1
                log.warning("outbox %s failed for good: %s", row.idempotency_key, outcome.error)
    return stats


# A message redrawn again since this update was written: only the newest state goes to Slack (sent
# in any other order, an older one could overwrite it).
SUPERSEDED = Outcome("sent", response={"superseded": True})


def superseded(session: Session, row: OutboxMessage) -> bool:
    """Whether a newer redraw of the same message was written after this one."""
    if row.purpose != Purpose.update:
        return False
    newer = select(OutboxMessage.id).where(
        OutboxMessage.purpose == Purpose.update,
        OutboxMessage.subject_id == row.subject_id,
        OutboxMessage.id > row.id,
    )
    return session.scalar(newer.limit(1)) is not None


def _hold(row: OutboxMessage, held: Held) -> None:
    """A claimed row the reach rule stops: back to waiting until `held.until`, or withheld."""
    row.claimed_by, row.claimed_until = None, None
    row.error = f"held: the person {held.reason}"[:500]
    if held.until is None:
        row.status = OutboxStatus.withheld
    else:
        row.status, row.next_attempt_at = OutboxStatus.pending, held.until
        row.attempts -= 1  # the claim counted an attempt that was not made


def _send_in_workspace(clients: WorkspaceClients, row: OutboxMessage) -> Outcome:
    """Send a row with the bot token of its workspace; a workspace without one fails the row for
    good."""
    try:
        client = clients.for_team(row.team_id)
    except NoWorkspace as exc:
        return Outcome("failed", error=str(exc))
    return send(client, row)


def send_now(
    sessions: sessionmaker[Session],
    client: WebClient,
    message: Record,
    *,
    now: dt.datetime,
    worker_id: str,
    lease: dt.timedelta = LEASE,
) -> Outcome | None:
    """Send one pending row right away (e.g. a message update after a click); None if not
    pending."""
    with session_scope(sessions) as session:
        row = _claim_key(session, key=message.key, worker_id=worker_id, lease=lease)
        stale = row is not None and superseded(session, row)
    if row is None:
        return None
    outcome = SUPERSEDED if stale else send(client, row)
    with session_scope(sessions) as session:
        record(session, row.id, outcome, now=now, worker_id=worker_id)
    return outcome


def _claim_key(
    session: Session, *, key: str, worker_id: str, lease: dt.timedelta
) -> OutboxMessage | None:
    row = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.idempotency_key == key, OutboxMessage.status == OutboxStatus.pending)
        .with_for_update(skip_locked=True)
    ).one_or_none()
    if row is None:
        return None
    row.status = OutboxStatus.sending
    row.claimed_by = worker_id
    row.claimed_until = db_now(session) + lease
    row.attempts += 1
    session.flush()
    return row
