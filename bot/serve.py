"""`upward serve`: the Bolt app behind gunicorn and uvicorn (HTTP) or over Socket Mode.

gunicorn manages the processes (`--workers`, graceful SIGTERM, restarts); each runs uvicorn's
event loop (`uvicorn_worker.UvicornH11Worker`), which reads requests, and the WSGI app in
`--threads` threads behind bot.asgi's front: a slow or idle client holds a connection, never a
thread.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication
from slack_sdk.errors import SlackApiError

from bot.app import build_app
from bot.asgi import ASGIApp, asgi_front
from bot.config import ConfigError, Settings
from bot.db import check_database, make_engine, make_session_factory
from bot.logs import configure_logging
from bot.models import utcnow
from bot.slack.acking import WorkPool
from bot.slack.client import make_web_client
from bot.web import UpwardWSGI

log = logging.getLogger(__name__)


def verify_token(settings: Settings) -> dict[str, Any]:
    """auth.test once at start-up, so a wrong token is one clear line, not a failing worker."""
    client = make_web_client(settings, timeout=10)
    try:
        return client.auth_test().data  # type: ignore[return-value]
    except SlackApiError as exc:
        raise ConfigError(
            f"Slack refused SLACK_BOT_TOKEN ({exc.response.get('error')}) at"
            f" {settings.slack_api_url}: copy the Bot User OAuth Token again from your app's 'OAuth"
            " & Permissions' page"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot reach the Slack API at {settings.slack_api_url}: {exc}"
        ) from None


def wsgi_app(
    settings: Settings, *, clock: Callable[[], dt.datetime] = utcnow, work: WorkPool | None = None
) -> UpwardWSGI:
    """Build the WSGI app (one engine and Bolt app per worker process, created after fork)."""
    engine = make_engine(settings.database)
    app = build_app(settings, make_session_factory(engine), clock=clock, work=work)
    return UpwardWSGI(app, engine, signing_secret=settings.require_signing_secret())


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: dict[str, Any], *, threads: int):
        self.settings = settings
        self.options = options
        self.threads = threads
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> ASGIApp:
        configure_logging(self.settings.log_format, secrets=self.settings.secret_values())
        # The uvicorn worker hands uvicorn's loggers gunicorn's plain-text handlers; Upward's own
        # handler (JSON under UPWARD_LOG_FORMAT=json) takes their lines instead.
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            logger = logging.getLogger(name)
            logger.handlers.clear()
            logger.propagate = True
        logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
        return asgi_front(wsgi_app(self.settings), threads=self.threads)


def serve_http(settings: Settings, *, host: str, port: int, workers: int, threads: int) -> None:
    """Serve `/slack/events` and `/healthz` (and, distributed, `/slack/install` and
    `/slack/oauth_redirect`) with `workers` processes of `threads` app threads until stopped."""
    settings.require_signing_secret()
    check_database(make_engine(settings.database))
    if settings.multi_workspace:
        # a missing manifest is one clear line now, not a failing install later
        settings.bot_scopes()
        log.info("serving every workspace that installs Upward; install link: /slack/install")
    else:
        settings.require_bot_token()
        identity = verify_token(settings)
        log.info("serving Slack workspace %s as %s", identity.get("team"), identity.get("user"))
    _Gunicorn(
        settings,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            # h11, never httptools: h11 refuses a request whose headers pass 16 KB, while
            # httptools kept 200 MB of one header in memory (measured), whatever is installed.
            "worker_class": "uvicorn_worker.UvicornH11Worker",
            "timeout": 30,
            "graceful_timeout": 10,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
            "proc_name": "upward-web",
        },
        threads=threads,
    ).run()


def serve_socket_mode(settings: Settings) -> None:
    """Connect to Slack over Socket Mode (no public URL needed) until stopped."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    assert settings.slack_app_token is not None
    if settings.multi_workspace:
        raise ConfigError(
            "SLACK_APP_TOKEN (Socket Mode) serves one workspace: unset it to distribute with"
            " SLACK_CLIENT_ID and SLACK_CLIENT_SECRET over HTTP, or unset those two"
        )
    settings.require_bot_token()
    engine = make_engine(settings.database)
    check_database(engine)
    verify_token(settings)
    app = build_app(settings, make_session_factory(engine), socket_mode=True)
    # The app's client carries SLACK_API_URL, so apps.connections.open goes where the rest goes.
    handler = SocketModeHandler(
        app, settings.slack_app_token.get_secret_value(), web_client=app.client
    )
    handler.start()
