"""`upward serve --sandbox`: Upward against a local Slack stand-in with a seeded demo workspace."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time
from pathlib import Path

import click
from pydantic import SecretStr

from bot.config import Settings
from bot.content.loader import load_catalog
from bot.db import make_engine, make_session_factory, session_scope
from bot.migrate import upgrade
from bot.models import utcnow
from bot.programs.service import ProgramError, create_program, find_program
from bot.roster.enroll import enroll
from bot.roster.service import parse_roster
from bot.sandbox import DEMO_SEED_PATH, SlackStandIn
from bot.serve import wsgi_app
from bot.slack.client import make_web_client
from bot.slack.directory import SlackDirectory
from bot.tick import run_tick
from bot.web import serve_in_thread

DEMO_PROGRAM = "Demo pilot"
SANDBOX_DATABASE = "sqlite:///upward-sandbox.db"
DEMO_ROSTER = Path(__file__).with_name("sandbox") / "demo_roster.csv"


def sandbox_settings(settings: Settings, slack: SlackStandIn) -> Settings:
    """The same settings, pointed at the stand-in (and at a sandbox database unless one was
    given)."""
    database = settings.database_url if "DATABASE_URL" in os.environ else SANDBOX_DATABASE
    return settings.model_copy(
        update={
            "database_url": database,
            "slack_api_url": slack.api_url,
            "slack_bot_token": SecretStr(slack.bot_token),
            "slack_signing_secret": SecretStr(slack.signing_secret),
            "slack_app_token": None,
        }
    )


def seed_demo_program(
    settings: Settings, slack: SlackStandIn, *, today: dt.date, now: dt.datetime | None = None
) -> str:
    """Create the demo pilot (starting `today`) and import every demo person as of `now`;
    idempotent."""
    now = now or utcnow()
    catalog = load_catalog(settings.content_dir)
    engine = make_engine(settings.database)
    upgrade(engine)
    sessions = make_session_factory(engine)
    rows, problems = parse_roster(DEMO_ROSTER.read_text(), filename=DEMO_ROSTER.name)
    assert not problems, problems
    with session_scope(sessions) as session:
        try:
            program = find_program(session, DEMO_PROGRAM)
        except ProgramError:
            program = create_program(
                session,
                catalog=catalog,
                name=DEMO_PROGRAM,
                template_id="pilot",
                start=today,
                timezone="Europe/London",
                now=now,
            )
        enroll(
            session,
            program=program,
            rows=rows,
            directory=SlackDirectory(make_web_client(settings)),
            catalog=catalog,
            filename=DEMO_ROSTER.name,
            now=now,
        )
        summary = (
            f"'{program.name}' (pilot, from {program.start_date:%d %b %Y}) with {len(rows)} people"
        )
    engine.dispose()
    return summary


def serve_sandbox(settings: Settings, *, host: str, port: int, threads: int) -> None:
    """Run the stand-in, Upward's web app and a once-a-minute tick in this process until Ctrl-C."""
    with SlackStandIn(DEMO_SEED_PATH, rate_limits=True) as slack:
        local = sandbox_settings(settings, slack)
        program = seed_demo_program(local, slack, today=utcnow().date())
        server, url = serve_in_thread(wsgi_app(local), host=host, port=port)
        slack.request_url = f"{url}/slack/events"  # where the inspector's buttons send their clicks
        stop = threading.Event()
        ticker = threading.Thread(target=_tick_every_minute, args=(local, stop), daemon=True)
        ticker.start()
        click.echo(
            "Upward sandbox is running (no Slack workspace needed)\n  Slack stand-in:"
            f" {slack.api_url}  (everything it holds: {slack.url}/sandbox/state)\n  Upward:        "
            f" {url}/slack/events  (health: {url}/healthz)\n  Inspector:     "
            f" {slack.url}/sandbox/inspector  (anyone's DMs, App Home and forms; press the buttons"
            f" as them)\n  Database:       {local.database.render_as_string(hide_password=True)}\n "
            f" Demo program:   {program}\n  Signing secret: the demo workspace's (see"
            " bot/sandbox/demo_workspace.yaml)\nPress Ctrl-C to stop."
        )
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while not stop.is_set():
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            server.shutdown()
            click.echo("Sandbox stopped.")


def _tick_every_minute(settings: Settings, stop: threading.Event) -> None:
    catalog = load_catalog(settings.content_dir)
    engine = make_engine(settings.database)
    sessions = make_session_factory(engine)
    client = make_web_client(settings)
    while not stop.is_set():
        try:
            run_tick(sessions, client, catalog=catalog, now=utcnow(), worker="sandbox")
        except Exception as exc:  # keep the sandbox alive; the next minute retries
            click.echo(f"tick failed: {exc}", err=True)
        stop.wait(60)
    engine.dispose()
