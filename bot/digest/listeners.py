"""The digest's at-risk buttons: ack, then the action (which checks the clicker leads it)."""

from __future__ import annotations

from slack_bolt import App

from bot.content.loader import Catalog
from bot.core.ids import Action
from bot.digest import actions
from bot.slack.acking import clicked_value, on_click


def register(app: App, catalog: Catalog) -> None:
    """Attach the digest's button listeners to `app`."""
    app.action(Action.digest_nudge)(on_click(actions.nudge, _value))
    app.action(Action.digest_pause)(on_click(actions.pause, _value))
    app.action(Action.digest_ping_mentor)(on_click(actions.ping_mentor, _value))


def _value(body: dict) -> str:
    """`program id|person id`, checked against the roster by the action."""
    return clicked_value(body)
