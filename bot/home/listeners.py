"""App Home: publish the person's home tab when they open it or change their settings there."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.ids import Action
from bot.db import session_scope
from bot.home.blocks import home_view
from bot.home.service import home_for
from bot.learning import answers
from bot.slack.acking import acked

log = logging.getLogger(__name__)


def register(app: App) -> None:
    """Attach the App Home listeners to `app`."""
    app.event("app_home_opened")(_opened)
    app.action(Action.resume)(acked(_resume))


def publish_home(client: WebClient, context: dict, user_id: str) -> None:
    """Render and publish one person's home tab (views.publish is idempotent: latest wins)."""
    with session_scope(context["sessions"]) as session:
        view = home_for(
            session, slack_user_id=user_id, catalog=context["catalog"], now=context["clock"]()
        )
    try:
        client.views_publish(user_id=user_id, view=home_view(view))
    except (
        SlackApiError
    ) as exc:  # e.g. user_not_found, account_inactive: the next visit publishes again
        log.warning("home tab of %s not published: %s", user_id, exc.response.get("error"))


def _opened(event: dict, client: WebClient, context: dict) -> None:
    if event.get("tab", "home") == "home":
        publish_home(client, context, event["user"])


def _resume(body: dict, action: dict, context: dict, client: WebClient) -> None:
    user = body["user"]["id"]
    try:
        with session_scope(context["sessions"]) as session:
            answers.resume(session, slack_user_id=user, now=context["clock"]())
    except answers.Refusal:
        pass
    publish_home(client, context, user)
