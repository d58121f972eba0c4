"""End-to-end: Upward's real WSGI app on a real HTTP server, the Slack stand-in on another,
and a database of the current backend. Tests talk to both only over HTTP."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from bot.app import LISTENER_THREADS, WORK_THREADS
from bot.config import Settings
from bot.content.loader import Catalog, load_catalog
from bot.db import make_engine, make_session_factory, session_scope
from bot.demo.cast import SimClock as Clock
from bot.migrate import upgrade
from bot.models import utcnow
from bot.programs.service import create_program
from bot.roster.enroll import enroll
from bot.roster.service import parse_roster
from bot.sandbox import DEMO_SEED_PATH, SignedSender, SimulatedUser, SlackStandIn
from bot.serve import wsgi_app
from bot.slack.acking import WorkPool
from bot.slack.client import make_web_client
from bot.slack.directory import SlackDirectory
from bot.tick import TickReport, run_tick
from bot.web import serve_in_thread

T = TypeVar("T")
DEMO_ROSTER = Path(__file__).resolve().parents[2] / "bot" / "sandbox" / "demo_roster.csv"


@dataclass
class Stack:
    """Everything an end-to-end test needs, all reached the way production reaches it."""

    slack: SlackStandIn
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    catalog: Catalog
    bot_url: str
    sender: SignedSender
    clock: Clock
    work: WorkPool

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until every request answered so far has been handled completely (listeners run after
        the ack)."""
        assert self.work.wait_idle(timeout), f"the app was still busy after {timeout} s"

    def person(self, user_id: str) -> SimulatedUser:
        return SimulatedUser(self.slack, self.sender, user_id)

    def tick(self, at: dt.datetime) -> TickReport:
        """What `upward tick --at` does, in-process (the CLI itself is tested separately)."""
        self.clock.set(at)
        return run_tick(
            self.sessions,
            make_web_client(self.settings),
            catalog=self.catalog,
            now=at,
            worker="test-worker",
        )

    def session(self) -> Session:
        return self.sessions()

    def create_pilot(
        self,
        *,
        start: dt.date,
        name: str = "Pilot",
        roster: str | None = None,
        template: str = "pilot",
    ) -> None:
        """A program (the pilot by default) with the demo roster or the given CSV, enrolled."""
        with session_scope(self.sessions) as session:
            program = create_program(
                session,
                catalog=self.catalog,
                name=name,
                template_id=template,
                start=start,
                timezone="Europe/London",
                now=utcnow(),
            )
            rows, problems = parse_roster(roster or DEMO_ROSTER.read_text(), filename="roster.csv")
            assert not problems
            report = enroll(
                session,
                program=program,
                rows=rows,
                directory=SlackDirectory(make_web_client(self.settings)),
                catalog=self.catalog,
                filename="roster.csv",
                now=utcnow(),
            )
            assert not report.problems, report.problems


def eventually(check: Callable[[], T], timeout: float = 5.0) -> T:
    """Poll until `check()` returns something truthy: listeners finish after they ack."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.02)


def stack_settings(url: URL, slack: SlackStandIn) -> Settings:
    return Settings(
        database_url=url.render_as_string(hide_password=False),
        slack_api_url=slack.api_url,
        slack_bot_token=SecretStr(slack.bot_token),
        slack_signing_secret=SecretStr(slack.signing_secret),
        slack_app_token=None,
    )


@contextmanager
def running_stack(database: URL) -> Iterator[Stack]:
    """The stand-in and Upward's web app over HTTP, on a new migrated database at `database`."""
    with SlackStandIn(DEMO_SEED_PATH, rate_limits=False) as slack:
        settings = stack_settings(database, slack)
        engine = make_engine(settings.database)
        upgrade(engine)
        clock = Clock(dt.datetime(2026, 11, 30, tzinfo=dt.UTC))
        work = WorkPool(
            WORK_THREADS, listener_threads=LISTENER_THREADS
        )  # as in production, but the test holds it
        app = wsgi_app(settings, clock=clock, work=work)
        server, url = serve_in_thread(app)
        try:
            yield Stack(
                slack=slack,
                settings=settings,
                engine=engine,
                sessions=make_session_factory(engine),
                catalog=load_catalog(),
                bot_url=url,
                sender=SignedSender(f"{url}/slack/events", slack.signing_secret),
                clock=clock,
                work=work,
            )
        finally:
            server.shutdown()
            server.server_close()
            app.engine.dispose()
            engine.dispose()


@pytest.fixture()
def stack(empty_database: URL) -> Iterator[Stack]:
    with running_stack(empty_database) as running:
        yield running
