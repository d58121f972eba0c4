"""App Home: publish the person's home tab when they open it (its buttons are the learning
feature's: pause, snooze, opt-out and resume, which redraw the tab)."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.content.loader import Catalog
from bot.db import session_scope
from bot.home.blocks import home_view
from bot.home.service import home_for

log = logging.getLogger(__name__)


def register(app: App, catalog: Catalog) -> None:
    """Attach the App Home listener to `app`."""
    app.event("app_home_opened")(_opened)


def publish_home(client: WebClient, context: dict, user_id: str) -> None:
    """Render and publish one person's home tab (views.publish is idempotent: latest wins)."""
    with session_scope(context["sessions"]) as session:
        view = home_for(
            session, slack_user_id=user_id, catalog=context["catalog"], now=context["clock"]()
        )
    try:
        client.views_publish(user_id=user_id, view=home_view(view))
    except SlackApiError as exc:  # e.g. user_not_found: the next visit publishes again
        log.warning("home tab of %s not published: %s", user_id, exc.response.get("error"))


def _opened(event: dict, client: WebClient, context: dict) -> None:
    if event.get("tab", "home") == "home":
        publish_home(client, context, event["user"])
