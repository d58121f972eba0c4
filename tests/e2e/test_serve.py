"""`upward serve` over HTTP: signed requests in, Web API calls out; bad signatures change
nothing."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import URL

from bot.db import make_engine
from bot.migrate import upgrade
from bot.models import Delivery, DeliveryStatus
from bot.sandbox import DEMO_SEED_PATH, SignedSender, SimulatedUser, SlackStandIn
from tests.dbs import postgres_admin_dsn
from tests.e2e.conftest import Stack

EXEC = "U07EXEC0003"  # Sofia Lindqvist, Europe/Berlin
TODAY = dt.date(2026, 12, 1)


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early: {proc.communicate()}")
        try:
            if _get(f"{url}/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("server never became healthy")


def test_url_verification_is_answered(stack: Stack) -> None:
    response = stack.sender.send_event(
        {"type": "url_verification", "challenge": "c-123", "token": "t"}
    )
    assert response.status == 200 and "c-123" in response.text


def test_opening_app_home_publishes_the_persons_progress(stack: Stack) -> None:
    stack.create_pilot(start=TODAY)
    sofia = stack.person(EXEC)
    assert sofia.open_home().status == 200
    home = stack.slack.workspace.wait_until(lambda: stack.slack.workspace.home_tab(EXEC))
    text = json.dumps(home["blocks"])
    assert "executive in *Pilot*" in text and "0 of 8 modules done" in text
    stranger = stack.person("U07MENT0001")
    stack.sender.send_event({"type": "url_verification", "challenge": "x"})  # unrelated traffic
    stranger.open_home()
    mentor_home = stack.slack.workspace.wait_until(
        lambda: stack.slack.workspace.home_tab("U07MENT0001")
    )
    assert "mentor in *Pilot*" in json.dumps(mentor_home["blocks"])
    # A mentor gets no modules: the home tab says what does reach them.
    assert "Modules arrive" not in json.dumps(
        mentor_home["blocks"]
    ) and "your circle's reminders" in json.dumps(mentor_home["blocks"])
    assert "Modules arrive on working days" in text


@pytest.mark.parametrize("variant", ["unsigned", "stale", "wrong_secret", "tamper"])
def test_bad_signatures_get_401_and_change_nothing(stack: Stack, variant: str) -> None:
    stack.create_pilot(start=TODAY)
    stack.tick(dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC))  # baselines go out
    sofia = stack.person(EXEC)
    sofia.wait_for_dm()
    calls_before = len(stack.slack.workspace.calls)
    with stack.session() as session:
        answers_before = session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.status == DeliveryStatus.completed)
        )

    response = sofia.click(text="3", **{variant: True})
    assert response.status == 401
    assert sofia.open_home(**{variant: True}).status == 401
    time.sleep(0.3)  # anything wrongly started after ack would have called Slack by now
    assert len(stack.slack.workspace.calls) == calls_before
    with stack.session() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.status == DeliveryStatus.completed)
            )
            == answers_before
        )
        from bot.models import Answer

        assert session.scalar(select(func.count()).select_from(Answer)) == 0


def test_healthz_reports_the_database(stack: Stack) -> None:
    assert _get(f"{stack.bot_url}/healthz") == (200, {"ok": True})


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # a server outage needs a server
def test_healthz_reports_a_database_outage_while_it_lasts(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    name = stack.settings.database.database
    with psycopg.connect(postgres_admin_dsn(), autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        try:
            with caplog.at_level(logging.WARNING, logger="bot.web"):
                assert _get(f"{stack.bot_url}/healthz") == (503, {"ok": False})
            assert "health check failed: cannot use the database" in caplog.text
        finally:
            admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
    assert _get(f"{stack.bot_url}/healthz")[0] == 200


def _env(url: URL, slack: SlackStandIn, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=url.render_as_string(hide_password=False),
        SLACK_API_URL=slack.api_url,
        SLACK_BOT_TOKEN=slack.bot_token,
        SLACK_SIGNING_SECRET=slack.signing_secret,
    )
    env.update(extra)
    return env


def start_serve(
    database: URL, slack: SlackStandIn, cwd: Path, *args: str, **env: str
) -> tuple[subprocess.Popen[str], str]:
    """`upward serve ARGS` on a free port, on `database` (migrated first), against the stand-in;
    (process, base URL)."""
    engine = make_engine(database)
    upgrade(engine)
    engine.dispose()
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port), *args],
        env=_env(database, slack, **env),
        cwd=cwd,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    return proc, f"http://127.0.0.1:{port}"


def test_upward_serve_runs_gunicorn_and_stops_cleanly(empty_database: URL, tmp_path: Path) -> None:
    with SlackStandIn(DEMO_SEED_PATH, rate_limits=False) as slack:
        proc, url = start_serve(empty_database, slack, tmp_path, "--workers", "2")
        try:
            _wait_healthy(url, proc)
            person = SimulatedUser(
                slack, SignedSender(f"{url}/slack/events", slack.signing_secret), EXEC
            )
            assert person.open_home().status == 200
            home = slack.workspace.wait_until(lambda: slack.workspace.home_tab(EXEC))
            assert "not part of a program yet" in json.dumps(home["blocks"])
            assert person.open_home(stale=True).status == 401
            assert (
                slack.workspace.calls[0].method == "auth.test"
            )  # the token is checked at start-up
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert slack.bot_token not in out + err and slack.signing_secret not in out + err


def test_a_refused_token_is_one_line_at_start(empty_database: URL, tmp_path: Path) -> None:
    with SlackStandIn(DEMO_SEED_PATH, rate_limits=False) as slack:
        env = _env(empty_database, slack, SLACK_BOT_TOKEN="xoxb-not-a-real-token")
        result = subprocess.run(
            [sys.executable, "-m", "bot", "serve", "--port", str(_free_port())],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in result.stderr
    assert "xoxb-not-a-real-token" not in result.stderr


def test_app_token_switches_to_socket_mode(empty_database: URL, tmp_path: Path) -> None:
    engine = make_engine(empty_database)
    upgrade(engine)
    engine.dispose()
    with SlackStandIn(DEMO_SEED_PATH, rate_limits=False) as slack:
        env = _env(empty_database, slack, SLACK_APP_TOKEN="xapp-1-A07-demo")
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            env=env,
            cwd=tmp_path,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            slack.workspace.wait_until(
                lambda: slack.workspace.calls_to("apps.connections.open"), timeout=20
            )
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=20)
    assert "Socket Mode" in err
    assert "xapp-1-A07-demo" not in err


def test_serve_sandbox_needs_no_slack_workspace(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--sandbox", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", proc)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Upward sandbox is running" in out and f"http://127.0.0.1:{port}/slack/events" in out
    assert "Demo program:   'Demo pilot' (pilot" in out
    assert (tmp_path / "upward-sandbox.db").exists() and not (tmp_path / "upward.db").exists()
