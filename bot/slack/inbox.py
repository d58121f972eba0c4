"""The inbox: Slack's requests are written before they are acknowledged and done exactly once.

Slack does not retry a request Upward acknowledged, so the work after an ack must survive the
process doing it. A request is written (one small insert) before its ack, claimed by the process
that received it for a lease (by the database's clock), and marked done inside the transaction
that does its work: a second process reaching the same request finds it done and does nothing.
When a process dies (kill -9, a deploy's SIGTERM, a crash), the worker takes over what it left once
the lease has run out. A replayed signed request, or an envelope Socket Mode redelivers after a
lost ack, has the same identity (`request_key`) and is not written twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from bot.db import db_now, session_scope
from bot.models import InboundRequest
from bot.slack.replies import text_at

log = logging.getLogger(__name__)

LEASE = dt.timedelta(seconds=30)
MAX_ATTEMPTS = 3  # the receiving process's, and two more by the worker
# Done requests are kept a day (to recognise a replay or a redelivery), then deleted: their
# bodies hold people's words.
KEEP_DONE = dt.timedelta(days=1)


def request_key(body: dict[str, Any]) -> str:
    """A request's own identity: Slack's trigger_id (one per click, command or submission), else a
    digest of the whole body."""
    kind = text_at(body, "type") or ("command" if text_at(body, "command") else "request")
    trigger = text_at(body, "trigger_id")
    if trigger is None:
        trigger = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    return f"{kind}:{trigger}"[:200]


def receive(
    sessions: sessionmaker[Session],
    body: dict[str, Any],
    *,
    now: dt.datetime,
    worker_id: str,
    lease: dt.timedelta = LEASE,
) -> int | None:
    """Write a request before its ack; its id, or None when it was received before (a replay or
    a redelivery, which the first receipt does)."""
    with session_scope(sessions) as session:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        stmt = (
            insert(InboundRequest)
            .values(
                request_key=request_key(body),
                body=body,
                received_at=now,
                claimed_by=worker_id,
                claimed_until=db_now(session) + lease,
                attempts=1,
            )
            .on_conflict_do_nothing(index_elements=["request_key"])
            .returning(InboundRequest.id)
        )
        return session.execute(stmt).scalar()


def finish(session: Session, request_id: int, *, now: dt.datetime) -> bool:
    """Mark a request done, first thing in the transaction that does its work; False when another
    process did it already (its work must then not be done again).

    The update locks the row, so a second process doing the same request waits here until the
    first commits, then finds it done.
    """
    done = session.execute(
        update(InboundRequest)
        .where(InboundRequest.id == request_id, InboundRequest.done_at.is_(None))
        .values(done_at=now)
    )
    return done.rowcount == 1


def take_over(
    session: Session, *, worker_id: str, lease: dt.timedelta = LEASE, limit: int = 100
) -> list[InboundRequest]:
    """Requests a process acknowledged and did not finish before its lease ran out, claimed for
    this worker; one tried MAX_ATTEMPTS times is given up (done, with the error logged)."""
    clock = db_now(session)
    rows = session.scalars(
        select(InboundRequest)
        .where(InboundRequest.done_at.is_(None), InboundRequest.claimed_until < clock)
        .order_by(InboundRequest.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    taken = []
    for row in rows:
        if row.attempts >= MAX_ATTEMPTS:
            row.done_at, row.error = clock, f"gave up after {row.attempts} attempts"
            log.error("gave up request %s after %d attempts", row.request_key, row.attempts)
            continue
        row.claimed_by, row.claimed_until = worker_id, clock + lease
        row.attempts += 1
        taken.append(row)
    session.flush()
    return taken


def purge(session: Session, *, now: dt.datetime) -> int:
    """Delete requests done more than KEEP_DONE ago."""
    gone = session.execute(delete(InboundRequest).where(InboundRequest.done_at < now - KEEP_DONE))
    return gone.rowcount or 0
