"""Compose the Bolt app: middleware plus each feature's `register(app)`."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable

from slack_bolt import Ack, App, BoltContext, BoltRequest, BoltResponse
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.circles import listeners as circle_listeners
from bot.config import Settings
from bot.content.loader import Catalog, load_catalog
from bot.db import session_scope
from bot.digest import listeners as digest_listeners
from bot.home import listeners as home_listeners
from bot.kpis import listeners as kpi_listeners
from bot.learning import listeners as learning_listeners
from bot.logs import REQUEST_ID_HEADER, request_id, safe_request_id
from bot.models import utcnow
from bot.programs import reach
from bot.slack import replies
from bot.slack.acking import WorkPool
from bot.slack.client import make_web_client
from bot.slack.installations import known_elsewhere, oauth_settings

log = logging.getLogger(__name__)

# Bolt runs each listener in this pool until it acks; with `on_click` listeners that is a moment.
LISTENER_THREADS = 32
# Work after acks (DB writes, message updates): few threads, so a burst cannot starve the acks.
WORK_THREADS = 4
FEATURES = (home_listeners, learning_listeners, circle_listeners, kpi_listeners, digest_listeners)


def build_app(
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    client: WebClient | None = None,
    catalog: Catalog | None = None,
    socket_mode: bool = False,
    clock: Callable[[], dt.datetime] = utcnow,
    work: WorkPool | None = None,
) -> App:
    """The Upward Bolt app; in HTTP mode every request's Slack signature is verified.

    With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET it is distributed: Bolt serves /slack/install and
    /slack/oauth_redirect, and each request's `client` carries its own workspace's bot token.
    """
    catalog = catalog or load_catalog(settings.content_dir)
    work = work or WorkPool(WORK_THREADS, listener_threads=LISTENER_THREADS)
    distributed = settings.multi_workspace
    app = App(
        client=client or make_web_client(settings, with_token=not distributed),
        oauth_settings=oauth_settings(settings, sessions.kw["bind"]) if distributed else None,
        signing_secret=None if socket_mode else settings.require_signing_secret(),
        request_verification_enabled=not socket_mode,
        # auth.test at start-up happens once in `upward serve`, not in every worker process.
        token_verification_enabled=False,
        process_before_response=False,
        logger=logging.getLogger("upward.bolt"),
        # Bolt's default of 5 threads makes the 6th concurrent request wait before it can even ack.
        listener_executor=work.listeners,
    )

    app.middleware(
        _context(
            {
                "sessions": sessions,
                "settings": settings,
                "catalog": catalog,
                "work": work,
                "clock": clock,  # listeners take `now` from here, so tests can move time
                "inbox_lease": dt.timedelta(seconds=settings.inbox_lease_seconds),
                # A Reply that redraws someone's App Home (bot.slack.replies) draws it with this.
                "publish_home": home_listeners.publish_home,
                # What a reply sends from the outbox asks the reach rule first, as the tick does.
                "reach": reach.hold,
            }
        )
    )
    if distributed:
        # app_uninstalled / tokens_revoked delete the workspace's tokens
        app.enable_token_revocation_listeners()
        app.middleware(_same_workspace(sessions))
    app.error(_on_error)
    for feature in FEATURES:
        feature.register(app, catalog)
    # Registered last, so it only sees actions no feature claimed (e.g. a button from an old
    # version of a message): answer politely instead of letting Slack show an error.
    app.action(re.compile(".*"))(_unknown_action)
    return app


def _context(values: dict[str, object]) -> Callable[..., BoltResponse]:
    """Middleware giving every listener the app's sessions, settings, catalog, pool and clock.

    Listeners open their own session: with process_before_response=False they run after this
    middleware has returned, so a session opened here would already be closed.
    """

    def middleware(
        req: BoltRequest, context: BoltContext, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        request_id.set(safe_request_id(req.headers.get(REQUEST_ID_HEADER, [None])[0]))
        for key, value in values.items():  # a request the worker replays brings its own clock
            context.setdefault(key, value)
        return next()

    return middleware


def _same_workspace(sessions: sessionmaker[Session]) -> Callable[..., BoltResponse]:
    """Middleware keeping data inside its workspace: a request naming people or circles of another
    workspace's programs is answered (so Slack does not retry) and goes no further."""

    def middleware(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:
        with session_scope(sessions) as session:
            foreign = known_elsewhere(
                session,
                team_id=context.team_id,
                user_id=context.user_id,
                channel_id=context.channel_id,
            )
        if foreign:
            log.warning(
                "refused a request from workspace %s naming another workspace's people or circles",
                context.team_id,
            )
            return BoltResponse(status=200, body="")
        return next()

    return middleware


def _on_error(error: Exception, body: dict) -> None:
    log.error("listener failed for %s: %s", body.get("type"), error, exc_info=error)


def _unknown_action(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    replies.tell(
        context, client, body, "Sorry, that button is no longer in use. Nothing was recorded."
    )
