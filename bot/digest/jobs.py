"""What `tick` runs for digests: each lead's Monday digest (and the program's channel), once a week.

A digest is due for a lead at the program's digest weekday and time in the lead's own zone, for the
newest week that has ended in the program's zone. Only that week is ever sent, so a worker that was
down over a Monday sends one digest when it returns, not a backlog. Each recipient's message is an
outbox row with its own key; the program's run record is locked while it is computed, so several
workers compute and enqueue it once.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from bot.content.loader import Catalog
from bot.core.calendar import at_local
from bot.db import session_scope
from bot.digest import blocks, service
from bot.digest.model import Digest, Week
from bot.models import DigestRun, Membership, Person, Program, ProgramStatus, Role, RunStatus
from bot.programs.reach import reachable
from bot.programs.service import program_settings
from bot.slack import outbox, records

log = logging.getLogger(__name__)

CHANNEL = "channel"


@dataclass(frozen=True)
class Recipient:
    """Where one copy of a digest goes: a lead's DM (by user id) or the program's channel."""

    tag: str  # the lead's person id, or "channel"
    channel: str
    person_id: int | None


def recipients(
    session: Session, program: Program, *, now: dt.datetime
) -> list[tuple[Recipient, str]]:
    """Every place the program's digest goes at `now` (leads who asked for quiet get none), with
    the zone its send time is read in."""
    rows = session.execute(
        select(Person.id, Person.slack_user_id, Person.timezone)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Membership.program_id == program.id,
            Membership.role == Role.lead,
            Membership.left_at.is_(None),
            *reachable(now),
        )
        .order_by(Person.id)
    ).all()
    out = [(Recipient(str(pid), uid, pid), tz or program.timezone) for pid, uid, tz in rows]
    channel = program_settings(program).digest_channel
    if channel:
        out.append((Recipient(CHANNEL, channel, None), program.timezone))
    return out


def due(
    session: Session, program: Program, *, now: dt.datetime
) -> tuple[Week, list[Recipient]] | None:
    """The week to report and the recipients whose send time has come and who have not had it."""
    week = Week.last_complete(now, program.timezone)
    if week.window.end <= at_local(program.start_date, dt.time(0, 0), program.timezone):
        return None  # the program had not started by then
    if program.end_date is not None and week.monday > program.end_date:
        return None  # the last digest covered the week the program ended
    s = program_settings(program)
    ready = [
        r
        for r, tz in recipients(session, program, now=now)
        if now >= at_local(week.monday + dt.timedelta(days=7 + s.digest_weekday), s.digest_time, tz)
    ]
    if not ready:
        return None
    wanted = {records.digest(program.id, week.label, r.tag, manual_at=None): r for r in ready}
    done = outbox.written(session, wanted)
    todo = [r for record, r in wanted.items() if record not in done]
    return (week, todo) if todo else None


def run(sessions: sessionmaker[Session], *, catalog: Catalog, now: dt.datetime) -> int:
    """Queue every digest due at `now`; one program's failure does not stop the others."""
    with session_scope(sessions) as session:
        program_ids = list(
            session.scalars(
                select(Program.id)
                .where(Program.status != ProgramStatus.paused)
                .order_by(Program.id)
            )
        )
    queued = 0
    for program_id in program_ids:
        try:
            with session_scope(sessions) as session:
                queued += _run_program(session, program_id=program_id, catalog=catalog, now=now)
        except Exception:
            log.exception("digest for program %s failed; the next tick retries", program_id)
    return queued


def _run_program(session: Session, *, program_id: int, catalog: Catalog, now: dt.datetime) -> int:
    program = session.get(Program, program_id)
    if program is None or (found := due(session, program, now=now)) is None:
        return 0
    week, _ = found
    run_row = _lock_run(session, program_id=program.id, period=week.label, now=now)
    found = due(session, program, now=now)  # again, now that no other worker is inside
    if found is None:
        return 0
    digest = service.compute(session, program=program, catalog=catalog, week=week)
    count = enqueue(session, digest, found[1], now=now)
    run_row.status, run_row.finished_at, run_row.summary = RunStatus.done, now, digest.headline()
    log.info("digest %s for %s queued for %d recipients", week.label, program.name, count)
    return count


def _lock_run(session: Session, *, program_id: int, period: str, now: dt.datetime) -> DigestRun:
    """The program's run record for the week, created if new and locked until this session
    commits."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(DigestRun)
        .values(program_id=program_id, period=period, status=RunStatus.running, started_at=now)
        .on_conflict_do_nothing(index_elements=["program_id", "period"])
    )
    return session.scalars(
        select(DigestRun)
        .where(DigestRun.program_id == program_id, DigestRun.period == period)
        .with_for_update()
    ).one()


def enqueue(
    session: Session, digest: Digest, to: list[Recipient], *, now: dt.datetime, manual: bool = False
) -> int:
    """Write the digest message (and its chart, when there is enough data) for each recipient."""
    from bot.digest import (
        chart,
    )  # matplotlib takes half a second to import: only when a digest goes out

    messages = {
        shared: {
            "text": blocks.summary_text(digest),
            "blocks": [b.to_dict() for b in blocks.digest_blocks(digest, shared=shared)],
        }
        for shared in (False, True)
    }
    png = (
        base64.b64encode(chart.render_png(digest)).decode()
        if chart.has_enough_data(digest)
        else None
    )
    count = 0
    for r in to:
        record = records.digest(
            digest.program_id, digest.week.label, r.tag, manual_at=now if manual else None
        )
        outbox.enqueue(
            session,
            record,
            method="chat.postMessage",
            # A lead's DM names people; the program's channel gets the aggregates only.
            payload={"channel": r.channel, **messages[r.tag == CHANNEL]},
            now=now,
            program_id=digest.program_id,
            person_id=r.person_id,
        )
        if png is not None:
            outbox.enqueue(
                session,
                records.digest_chart(record),
                method=outbox.FILE_UPLOAD,
                payload={
                    "channel": r.channel,
                    "filename": f"upward-digest-{record.key.replace(':', '-')}.png",
                    "title": (
                        f"{digest.program_name}: completion and KPI trends to {digest.week.label}"
                    ),
                    "alt_txt": (
                        "Line charts of weekly module completion and each KPI's weekly average"
                    ),
                    "initial_comment": "Completion and KPI trends, last 6 weeks",
                    "content_b64": png,
                },
                now=now,
                program_id=digest.program_id,
                person_id=r.person_id,
            )
        count += 1
    return count
