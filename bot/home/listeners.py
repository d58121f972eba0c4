"""App Home: publish the person's home tab whenever they open it."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient

from bot.db import session_scope
from bot.home.blocks import home_view
from bot.home.service import home_for

log = logging.getLogger(__name__)


def register(app: App) -> None:
    """Attach the App Home listeners to `app`."""

    @app.event("app_home_opened")
    def on_home_opened(event: dict, client: WebClient, context: dict) -> None:
        if event.get("tab", "home") != "home":
            return
        user_id = event["user"]
        with session_scope(context["sessions"]) as session:
            view = home_for(session, slack_user_id=user_id)
        client.views_publish(user_id=user_id, view=home_view(view))
