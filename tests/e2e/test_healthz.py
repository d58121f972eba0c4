"""/healthz is 200 only when Upward can work: the database answers and its schema is current.

A database never migrated, or migrated to an older revision than this code's, answered 200 while
every request that touched a table failed. Now it is 503, with the reason in the log.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from alembic.script import ScriptDirectory
from pydantic import SecretStr
from sqlalchemy.engine import URL

from bot.config import Settings
from bot.db import make_engine
from bot.migrate import alembic_config, head_revision, upgrade
from bot.serve import wsgi_app
from bot.web import serve_in_thread


def _healthz(url: str) -> tuple[int, object]:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@contextmanager
def serving(database: URL) -> Iterator[str]:
    """Upward's web app on `database` over HTTP (no Slack call is made); its URL."""
    settings = Settings(
        database_url=database.render_as_string(hide_password=False),
        slack_bot_token=SecretStr("xoxb-1-unused"),
        slack_signing_secret=SecretStr("unused-signing-secret"),
        slack_api_url="http://127.0.0.1:1/api/",
    )
    app = wsgi_app(settings)
    server, url = serve_in_thread(app)
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
        app.engine.dispose()


def test_healthz_is_503_until_the_schema_is_current(
    empty_database: URL, caplog: pytest.LogCaptureFixture
) -> None:
    head = head_revision()
    assert head is not None
    previous = ScriptDirectory.from_config(alembic_config()).get_revision(head).down_revision
    assert isinstance(previous, str)
    engine = make_engine(empty_database)
    try:
        with serving(empty_database) as url, caplog.at_level(logging.WARNING, logger="bot.web"):
            assert _healthz(url) == (503, {"ok": False}), "a database never migrated"
            assert "the database has no schema: run `upward db upgrade`" in caplog.text

            upgrade(engine, previous)
            caplog.clear()
            assert _healthz(url) == (503, {"ok": False}), "one revision behind"
            assert f"is at revision {previous}, behind this code's {head}" in caplog.text

            upgrade(engine)
            caplog.clear()
            assert _healthz(url) == (200, {"ok": True})
            assert not caplog.records
    finally:
        engine.dispose()
