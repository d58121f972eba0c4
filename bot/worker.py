"""`upward worker`: APScheduler triggers a tick every minute; no job store, nothing shared."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import threading

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import OperationalError

from bot.config import Settings
from bot.content.loader import load_catalog
from bot.core.process import worker_id
from bot.db import describe_db_error, make_engine, make_session_factory, sqlite_worker_lock
from bot.models import utcnow
from bot.slack.installations import WorkspaceClients
from bot.tick import replayer, run_tick

log = logging.getLogger(__name__)


class StopSignal:
    """SIGTERM/SIGINT, caught from the moment this is made: the handler only records the request
    (a second one is no news); the main thread, waiting on it, stops the scheduler after the
    running tick. A signal during start-up stops the worker before its first tick, exit 0."""

    def __init__(self) -> None:
        self.requested = threading.Event()
        signal.signal(signal.SIGTERM, self)
        signal.signal(signal.SIGINT, self)

    def __call__(self, signum: int, _frame: object) -> None:
        # Ignored from now on: a second signal might otherwise land after the interpreter has
        # begun to exit and put back the default handler, killing the process with -15.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if not self.requested.is_set():
            log.info(
                "received %s; finishing the current tick and stopping", signal.Signals(signum).name
            )
        self.requested.set()


def run_worker(
    settings: Settings, *, interval_seconds: int = 60, stop: StopSignal | None = None
) -> None:
    """Tick now and then every `interval_seconds` until SIGTERM/SIGINT; finish the running tick
    first."""
    stop = stop or StopSignal()
    lock = sqlite_worker_lock(settings.database)
    catalog = load_catalog(settings.content_dir)
    engine = make_engine(settings.database)
    sessions = make_session_factory(engine)
    client = WorkspaceClients.from_settings(
        settings, engine
    )  # one worker sends for every workspace
    me = worker_id()
    replay = replayer(settings, sessions, catalog)
    scheduler = BackgroundScheduler(timezone="UTC")

    database_down = False

    def tick() -> None:
        nonlocal database_down
        try:
            report = run_tick(
                sessions,
                client,
                catalog=catalog,
                now=utcnow(),
                worker=me,
                lease=dt.timedelta(seconds=settings.outbox_lease_seconds),
                replay=replay,
            )
        except OperationalError as exc:
            # The database is down or restarting: one line a tick, not a traceback each time. The
            # next tick reconnects (the pool pre-pings), and rows this one had claimed are taken
            # over when their lease ends.
            database_down = True
            log.warning(
                "tick failed: %s; retrying at the next tick",
                describe_db_error(settings.database, exc),
                exc_info=bool(os.environ.get("UPWARD_DEBUG")),
            )
            return
        except Exception:  # one bad tick must not stop the worker; the next one retries
            log.exception("tick failed; retrying at the next one")
            return
        if database_down:
            database_down = False
            log.info("the database is reachable again; ticking as usual")
        if report.busy:
            log.info("tick %s", report.line())

    scheduler.add_job(
        tick,
        IntervalTrigger(seconds=interval_seconds),
        id="tick",
        next_run_time=utcnow(),
        max_instances=1,
        coalesce=True,
        misfire_grace_time=interval_seconds,
    )

    log.info("worker %s ticking every %ss", me, interval_seconds)
    try:
        if not stop.requested.is_set():
            scheduler.start()
            stop.requested.wait()  # the ticks run in the scheduler's thread meanwhile
            scheduler.shutdown(wait=True)
    finally:
        engine.dispose()
        if lock is not None:
            lock.close()
