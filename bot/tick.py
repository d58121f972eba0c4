"""One tick: every due duty as of an instant, then the outbox. `tick` and `worker` both run this."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.circles import jobs as circle_jobs
from bot.content.loader import Catalog
from bot.core.process import worker_id
from bot.core.words import count
from bot.db import session_scope
from bot.digest import jobs as digest_jobs
from bot.kpis import jobs as kpi_jobs
from bot.learning import jobs as learning_jobs
from bot.programs import events as program_events
from bot.slack import outbox
from bot.slack.installations import WorkspaceClients

log = logging.getLogger(__name__)


@dataclass
class TickReport:
    at: dt.datetime
    planned: int = 0
    modules: int = 0
    reminders: int = 0
    checkins: int = 0
    events: int = 0
    circles_formed: int = 0
    circles_closed: int = 0
    circles_archived: int = 0
    digests: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def busy(self) -> bool:
        return bool(
            self.planned
            or self.modules
            or self.reminders
            or self.checkins
            or self.events
            or self.sent
            or self.retried
            or self.failed
            or self.circles_formed
            or self.circles_closed
            or self.circles_archived
            or self.digests
        )

    def line(self) -> str:
        parts = [
            f"{count(n, noun)} {done}" if noun else f"{n} {done}"
            for n, noun, done in (
                (self.planned, "", "planned"),
                (self.modules, "module", "queued"),
                (self.reminders, "reminder", "queued"),
                (self.checkins, "check-in", "queued"),
                (self.events, "event announcement", "queued"),
                (self.circles_formed, "circle", "formed"),
                (self.circles_closed, "circle", "closed"),
                (self.circles_archived, "circle", "archived"),
                (self.digests, "digest", "queued"),
                (self.sent, "", "sent"),
                (self.retried, "", "to retry"),
                (self.failed, "", "failed"),
            )
            if n
        ]
        return f"{self.at.isoformat(timespec='minutes')}: " + (
            ", ".join(parts) if parts else "nothing due"
        )


def run_tick(
    sessions: sessionmaker[Session],
    client: WebClient | WorkspaceClients,
    *,
    catalog: Catalog,
    now: dt.datetime,
    worker: str | None = None,
    lease: dt.timedelta = outbox.LEASE,
) -> TickReport:
    """Run every duty due at `now`, send what they queued, and record where it landed.

    `client` is one WebClient (one workspace) or WorkspaceClients (each program's workspace's
    token).
    """
    worker = worker or worker_id()
    report = TickReport(at=now)
    learning = learning_jobs.run(sessions, catalog=catalog, now=now)
    report.planned, report.modules, report.reminders = (
        learning.planned,
        learning.modules,
        learning.reminders,
    )
    with session_scope(sessions) as session:
        report.checkins = kpi_jobs.enqueue_checkins(session, now=now)
        report.events = program_events.enqueue_announcements(session, catalog=catalog, now=now)
    circles = circle_jobs.run(sessions, client, catalog=catalog, now=now)
    report.circles_formed, report.circles_closed, report.circles_archived = (
        circles.formed,
        circles.closed,
        circles.archived,
    )
    report.digests = digest_jobs.run(sessions, catalog=catalog, now=now)
    stats = outbox.flush(sessions, client, now=now, worker_id=worker, lease=lease)
    report.sent, report.retried, report.failed = stats.sent, stats.retried, stats.failed
    if stats.sent or stats.failed:  # else the next tick's learning run syncs what others sent
        with session_scope(sessions) as session:
            learning_jobs.sync_sent(session)
    return report
