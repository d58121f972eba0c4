"""The database's credentials and Slack's secrets stay out of what Upward shows and logs.

A password can hide in DATABASE_URL's user info or in a query parameter libpq reads (`password`,
`sslpassword`, `sslkey`, ...). Public /healthz says ok or not ok and nothing else; why not goes to
the log; the log, `upward db current` and a failing worker show where the database is, never who
connects or with what. The logs also mask refresh tokens and the signing secret, which has no
shape a pattern could find.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest
from pydantic import SecretStr
from sqlalchemy.engine import URL

from bot.config import Settings
from bot.db import make_engine
from bot.logs import JsonFormatter, TextFormatter
from bot.migrate import upgrade
from bot.serve import wsgi_app
from bot.web import serve_in_thread
from tests.dbs import postgres_admin_dsn
from tests.e2e.conftest import eventually

SECRET = "s3cret"  # every credential below contains it
CREDENTIALED_QUERY = (
    f"password=pw-{SECRET}&sslpassword=ssl-{SECRET}&sslkey=/keys/{SECRET}.pem"
    f"&passfile=/keys/{SECRET}.pass&sslmode=disable"
)
UNREACHABLE = f"postgresql://upward-{SECRET}:user-{SECRET}@127.0.0.1:1/nowhere?{CREDENTIALED_QUERY}"
SIGNING_SECRET = "8f14e45fceea167a5a36dedd4bea2543"


def _get(url: str) -> tuple[int, object]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_healthz_says_not_ok_and_nothing_else_and_logs_why_without_a_credential(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(
        database_url=UNREACHABLE,
        slack_bot_token=SecretStr("xoxb-1-unused"),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_api_url="http://127.0.0.1:1/api/",
    )
    app = wsgi_app(settings)
    server, url = serve_in_thread(app)
    try:
        with caplog.at_level(logging.WARNING, logger="bot.web"):
            assert _get(f"{url}/healthz") == (503, {"ok": False})
    finally:
        server.shutdown()
        server.server_close()
        app.engine.dispose()
    (line,) = [r.getMessage() for r in caplog.records if "health check failed" in r.getMessage()]
    assert "cannot use the database postgresql+psycopg://127.0.0.1:1/nowhere?" in line
    assert "Connection refused" in line and "sslmode=disable" in line
    assert SECRET not in line and "upward-" not in line, line


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # trust auth ignores passwords
def test_db_current_shows_where_the_database_is_and_no_credential(
    empty_database: URL, tmp_path: Path
) -> None:
    url = empty_database.render_as_string(hide_password=False)
    db = empty_database
    shown = f"postgresql+psycopg://{db.host}:{db.port}/{db.database}"
    result = _upward("db", "current", database_url=_with_credentials(url), cwd=tmp_path)
    assert result.returncode == 1, result.stderr  # no schema yet
    assert result.stdout.startswith(f"{shown}?password=***&sslpassword=***: revision none")
    assert SECRET not in result.stdout + result.stderr
    assert "postgres@" not in result.stdout and ":pw" not in result.stdout


def test_a_worker_that_cannot_reach_the_database_says_so_without_a_credential(
    tmp_path: Path,
) -> None:
    result = _upward("worker", database_url=UNREACHABLE, cwd=tmp_path)
    assert result.returncode == 1
    assert "cannot use the database postgresql+psycopg://127.0.0.1:1/nowhere?" in result.stderr
    assert SECRET not in result.stderr and "upward-" not in result.stderr, result.stderr


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # a server outage needs a server
def test_the_worker_logs_a_failing_tick_without_a_credential(
    empty_database: URL, tmp_path: Path
) -> None:
    engine = make_engine(empty_database)
    upgrade(engine)
    engine.dispose()
    log = tmp_path / "worker.log"
    url = _with_credentials(empty_database.render_as_string(hide_password=False))
    with log.open("w") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "bot", "worker", "--interval", "5"],
            env=_env(url),
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    name = empty_database.database
    try:
        assert eventually(lambda: "ticking every" in log.read_text(), timeout=30), log.read_text()
        with psycopg.connect(postgres_admin_dsn(), autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
            )
            try:
                assert eventually(lambda: "tick failed" in log.read_text(), timeout=30)
            finally:
                admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    text = log.read_text()
    failed = [line for line in text.splitlines() if "tick failed" in line]
    assert failed and "cannot use the database postgresql+psycopg://" in failed[0], text
    assert SECRET not in text and "postgres@" not in text, text


def _with_credentials(url: str) -> str:
    """The URL with a password and an SSL key password as query parameters (libpq reads both)."""
    return f"{url}{'&' if '?' in url else '?'}password=pw-{SECRET}&sslpassword=ssl-{SECRET}"


def _env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN="xoxb-1-unused",
        SLACK_API_URL="http://127.0.0.1:1/api/",
    )
    return env


def _upward(*args: str, database_url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=_env(database_url),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("formatter", [JsonFormatter, TextFormatter])
@pytest.mark.parametrize(
    "secret",
    [
        "xoxe-1-My0xLTIzNDU2Nzg5MC0xMjM0NTY3ODkw",  # a refresh token
        "xoxe.xoxb-1-MS0yLTIzNDU2Nzg5MC0xMjM0",  # a rotated bot token
        "xoxb-1234-5678-AbCdEf",
        "xapp-1-A07-1234-abcdef",
        SIGNING_SECRET,  # 32 hex digits: no shape to find, known from the settings
    ],
)
def test_log_lines_mask_refresh_tokens_and_the_signing_secret(
    formatter: type[logging.Formatter], secret: str
) -> None:
    settings = Settings(
        slack_bot_token=SecretStr("xoxb-1-unused"),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
    )
    record = logging.LogRecord(
        "slack_sdk", logging.WARNING, __file__, 1, "sent %s to Slack", (secret,), None
    )
    record.request_id = "-"
    line = formatter(settings.secret_values()).format(record)  # type: ignore[call-arg]
    assert secret not in line and secret[5:] not in line and "redacted" in line, line
