"""One tick: every due duty as of an instant, then the outbox. `tick` and `worker` both run this."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.app import build_app
from bot.circles import jobs as circle_jobs
from bot.config import Settings
from bot.content.loader import Catalog
from bot.core.process import worker_id
from bot.core.words import count
from bot.db import session_scope
from bot.digest import jobs as digest_jobs
from bot.kpis import jobs as kpi_jobs
from bot.learning import jobs as learning_jobs
from bot.models import InboundRequest
from bot.programs import events as program_events
from bot.programs import reach
from bot.slack import inbox, outbox
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
    finished: int = 0  # requests acknowledged by a process that died, done by this tick
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
            or self.finished
        )

    def line(self) -> str:
        parts = [
            f"{count(n, noun)} {done}" if noun else f"{n} {done}"
            for n, noun, done in (
                (self.finished, "acknowledged request", "finished"),
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
    replay: Replay | None = None,
) -> TickReport:
    """Run every duty due at `now`, send what they queued, and record where it landed.

    `client` is one WebClient (one workspace) or WorkspaceClients (each program's workspace's
    token). With `replay`, requests that a process acknowledged and did not finish (it died) are
    done first, through the app's own listeners.
    """
    worker = worker or worker_id()
    report = TickReport(at=now)
    if replay is not None:
        report.finished = finish_acknowledged(sessions, replay, worker=worker, lease=lease)
    with session_scope(sessions) as session:
        inbox.purge(session, now=now)
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
    stats = outbox.flush(sessions, client, now=now, worker_id=worker, lease=lease, reach=reach.hold)
    report.sent, report.retried, report.failed = stats.sent, stats.retried, stats.failed
    if stats.sent or stats.failed:  # else the next tick's learning run syncs what others sent
        with session_scope(sessions) as session:
            learning_jobs.sync_sent(session)
    return report


Replay = Callable[[InboundRequest], None]


def finish_acknowledged(
    sessions: sessionmaker[Session], replay: Replay, *, worker: str, lease: dt.timedelta
) -> int:
    """Do the requests whose receiving process's lease ran out with their work undone."""
    with session_scope(sessions) as session:
        taken = inbox.take_over(session, worker_id=worker, lease=lease)
    for row in taken:
        try:
            replay(row)
        except Exception:  # one request must not stop the rest; the next tick tries it again
            log.exception("acknowledged request %s failed when finished", row.request_key)
    return len(taken)


def replayer(settings: Settings, sessions: sessionmaker[Session], catalog: Catalog) -> Replay:
    """Does an acknowledged request again through the app's own listeners, as of when it arrived
    (Bolt routes it as it routed the original; the app is built the first time it is needed)."""
    app: App | None = None

    def replay(row: InboundRequest) -> None:
        nonlocal app
        if app is None:
            app = build_app(settings, sessions, catalog=catalog, socket_mode=True)
        arrived = row.received_at
        app.dispatch(
            BoltRequest(
                body=row.body,
                mode="socket_mode",  # read from the database, not a request to verify
                context={"inbox_id": row.id, "clock": lambda: arrived},
            )
        )

    return replay
