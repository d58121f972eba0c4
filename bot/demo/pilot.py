"""The demo's pilot: the seeded Northwind Labs workspace runs Upward's 4-week pilot in fast-forward.

Everything is real except time and people: a SQLite database migrated with Alembic, the Slack
stand-in on a local port, Upward's WSGI app receiving signed requests, `run_tick` at each instant
of simulated time, and the cast of `bot.demo.scenario` (on `bot.demo.cast`'s machinery) clicking
what Upward posts.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.app import LISTENER_THREADS, WORK_THREADS
from bot.config import Settings
from bot.content.loader import Catalog, load_catalog
from bot.db import make_engine, make_session_factory
from bot.demo.cast import Cast, SimClock, SimulationError
from bot.demo.scenario import END, LEAD, START, cast_pilot, roles
from bot.models import OutboxMessage, OutboxStatus
from bot.sandbox import DEMO_SEED_PATH, SignedSender, SimulatedUser, SlackStandIn, Workspace
from bot.sandbox_mode import DEMO_PROGRAM, seed_demo_program
from bot.serve import wsgi_app
from bot.slack.acking import WorkPool
from bot.slack.client import make_web_client
from bot.tick import TickReport, run_tick
from bot.web import serve_in_thread

UTC = dt.UTC
STEP = dt.timedelta(hours=4)  # from 01:00 UTC: 09:00 London (the lead's digest) is a tick
WORKING_HOURS = (8, 19)  # local hours in which somebody may be at work; other instants are skipped


@dataclass
class DemoWorld:
    """The stand-in, Upward and the database, as the cast sees them."""

    slack: SlackStandIn
    catalog: Catalog
    clock: SimClock
    sessions: sessionmaker[Session]
    work: WorkPool
    sender: SignedSender
    program: str = ""
    bot_url: str = ""

    def session(self) -> Session:
        return self.sessions()

    def person(self, user_id: str) -> SimulatedUser:
        return SimulatedUser(self.slack, self.sender, user_id)

    def settle(self) -> None:
        if not self.work.wait_idle(60):
            raise SimulationError("Upward was still busy with a request after 60 seconds")


@dataclass
class WeekReport:
    """What one week of the run did, for the progress line."""

    label: str
    ticks: Counter[str] = field(default_factory=Counter)
    actions: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        t = self.ticks
        parts = [
            _count_of(t["modules"], "module"),
            _count_of(t["reminders"], "reminder"),
            _count_of(t["checkins"], "check-in"),
        ]
        parts += [
            _count_of(t[key], word)
            for key, word in (
                ("circles_formed", "circle formed"),
                ("circles_closed", "circle closed"),
                ("digests", "digest"),
            )
            if t[key]
        ]
        return (
            f"  {self.label}: " + ", ".join(parts) + f"; {_count_of(t['sent'], 'message')} sent; "
            f"{self.actions} clicks and commands  ({self.seconds:.1f} s)"
        )


def _count_of(n: int, what: str) -> str:
    """'1 circle formed', '2 circles formed'."""
    noun, _, rest = what.partition(" ")
    return f"{n} {noun}{'' if n == 1 else 's'}{' ' + rest if rest else ''}"


@dataclass
class PilotRun:
    """What the run leaves behind for the summary and the transcript."""

    world: DemoWorld
    cast: Cast
    program: str
    ticks: int
    weeks: list[WeekReport]


def demo_settings(database_url: str, slack: SlackStandIn) -> Settings:
    """Settings pointing at the stand-in and the demo database, whatever the environment says."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        slack_api_url=slack.api_url,
        slack_bot_token=SecretStr(slack.bot_token),
        slack_signing_secret=SecretStr(slack.signing_secret),
        slack_app_token=None,
        slack_client_id=None,
        slack_client_secret=None,
    )


@contextmanager
def running_world(database_url: str) -> Iterator[tuple[DemoWorld, Settings]]:
    """The stand-in (on simulated time) and Upward's web app on a local port, with the demo
    program."""
    clock = SimClock(dt.datetime.combine(START, dt.time(), tzinfo=UTC) - dt.timedelta(days=3))
    workspace = Workspace.from_seed(DEMO_SEED_PATH, clock=clock.epoch, trigger_ttl=3.0)
    with SlackStandIn(workspace=workspace, rate_limits=False) as slack:
        settings = demo_settings(database_url, slack)
        seed_demo_program(settings, slack, today=START, now=clock.now)
        engine = make_engine(settings.database)
        work = WorkPool(WORK_THREADS, listener_threads=LISTENER_THREADS)
        app = wsgi_app(settings, clock=clock, work=work)
        server, url = serve_in_thread(app)
        try:
            world = DemoWorld(
                slack=slack,
                catalog=load_catalog(settings.content_dir),
                clock=clock,
                sessions=make_session_factory(engine),
                work=work,
                # Slack waits 3 s for an answer; a loaded machine may take longer, and that is no
                # failure here.
                sender=SignedSender(f"{url}/slack/events", slack.signing_secret, timeout=60),
                program=DEMO_PROGRAM,
                bot_url=url,
            )
            yield world, settings
        finally:
            server.shutdown()
            server.server_close()
            work.shutdown()
            app.engine.dispose()
            engine.dispose()


def instants(start: dt.datetime, end: dt.datetime, zones: set[str]) -> Iterator[dt.datetime]:
    """The planned ticks: every four hours while somebody is in their working hours on a weekday.

    Upward sends nothing outside people's windows, so the nights and weekends that belong to
    nobody are skipped; what falls due then (a circle closing on a Sunday) goes out at the next
    tick.
    """
    now = start
    while now <= end:
        for zone in zones:
            local = now.astimezone(ZoneInfo(zone))
            if local.weekday() < 5 and WORKING_HOURS[0] <= local.hour < WORKING_HOURS[1]:
                yield now
                break
        now += STEP


def _next_queued(sessions: sessionmaker[Session], after: dt.datetime) -> dt.datetime | None:
    """When the next message that waits for its time (a meeting reminder) becomes due."""
    with sessions() as session:
        due = session.scalar(
            select(func.min(OutboxMessage.next_attempt_at)).where(
                OutboxMessage.status == OutboxStatus.pending, OutboxMessage.next_attempt_at > after
            )
        )
    return due.replace(tzinfo=UTC) if due is not None and due.tzinfo is None else due


def run_pilot(
    world: DemoWorld, settings: Settings, cast: Cast, *, progress: Callable[[str], None]
) -> PilotRun:
    """Tick through the pilot, letting the cast act between ticks; one progress line per week."""
    client = make_web_client(settings)
    zones = {world.slack.workspace.user(uid).tz for uid in roles()}
    planned = list(instants(dt.datetime.combine(START, dt.time(1), tzinfo=UTC), END, zones))
    weeks: list[WeekReport] = []
    ticks = 0
    index = 0
    now = planned[0]
    started = time.perf_counter()
    while now <= END:
        week = _week_label(now)
        if not weeks or weeks[-1].label != week:
            if weeks:
                weeks[-1].seconds = time.perf_counter() - started
                progress(weeks[-1].line())
                started = time.perf_counter()
            weeks.append(WeekReport(week))
        world.clock.set(now)
        report = run_tick(world.sessions, client, catalog=world.catalog, now=now, worker="demo")
        ticks += 1
        _count(weeks[-1].ticks, report)
        while index < len(planned) and planned[index] <= now:
            index += 1
        upcoming = planned[index] if index < len(planned) else END + STEP
        queued = _next_queued(world.sessions, now)
        following = min(upcoming, queued) if queued is not None else upcoming
        before = len(cast.journal)
        cast.act_until(min(following, END + STEP))
        weeks[-1].actions += len(cast.journal) - before
        now = max(following, world.clock.now + dt.timedelta(minutes=1))
    weeks[-1].seconds = time.perf_counter() - started
    progress(weeks[-1].line())
    return PilotRun(world=world, cast=cast, program=world.program, ticks=ticks, weeks=weeks)


def _week_label(now: dt.datetime) -> str:
    """'week 1 (2–8 Nov)': the pilot's weeks, Monday to Sunday; the last, short one is its day."""
    first_monday = START - dt.timedelta(days=START.weekday())
    number = (now.date() - first_monday).days // 7 + 1
    monday = first_monday + dt.timedelta(weeks=number - 1)
    sunday = monday + dt.timedelta(days=6)
    if END.date() < sunday:
        return f"{END:%a %-d %b}"
    first = f"{monday:%-d %b}" if monday.month != sunday.month else f"{monday:%-d}"
    return f"week {number} ({first}–{sunday:%-d %b})"


def _count(totals: Counter[str], report: TickReport) -> None:
    for name in (
        "modules",
        "reminders",
        "checkins",
        "circles_formed",
        "circles_closed",
        "digests",
        "sent",
    ):
        totals[name] += getattr(report, name)


@contextmanager
def pilot_run(database_url: str, *, progress: Callable[[str], None]) -> Iterator[PilotRun]:
    """Set up the world, cast it and run the pilot; the run is yielded while the world is still
    up."""
    with running_world(database_url) as (world, settings):
        progress(
            f"  Slack stand-in at {world.slack.url}, Upward at {world.bot_url}/slack/events, "
            f"{settings.database.render_as_string()} migrated with Alembic"
        )
        cast = cast_pilot(world)
        run = run_pilot(world, settings, cast, progress=progress)
        _wrap_up(run)
        yield run


def _wrap_up(run: PilotRun) -> None:
    """After the last digest: the lead lists the circles; everyone opens Upward's App Home."""
    cast = run.cast
    lead = next(a for a in cast.actors if a.user_id == LEAD)
    cast.world.clock.set(cast.world.clock.now + dt.timedelta(minutes=30))
    lead.command(lead.person.dm_channel_id, "list")
    cast.open_homes()
