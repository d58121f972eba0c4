"""The digest's at-risk buttons: ack, check the clicker leads the program, act, answer privately."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App
from slack_sdk import WebClient

from bot.db import session_scope
from bot.digest import actions
from bot.slack import outbox, replies
from bot.slack.acking import acked
from bot.slack.ids import Action


def register(app: App) -> None:
    """Attach the digest's button listeners to `app`."""
    app.action(Action.digest_nudge)(acked(_on(actions.nudge)))
    app.action(Action.digest_pause)(acked(_on(actions.pause)))
    app.action(Action.digest_ping_mentor)(acked(_on(actions.ping_mentor)))


def _on(act: Callable[..., str]) -> Callable[[dict, dict, dict, WebClient], None]:
    def listener(body: dict, action: dict, context: dict, client: WebClient) -> None:
        now = context["clock"]()
        try:
            with session_scope(context["sessions"]) as session:
                target = actions.target(session, value=action.get("value") or "", clicker=body["user"]["id"])
                text = act(session, target, now=now)
        except actions.Refused as exc:
            text = str(exc)
        replies.ephemeral(context, client, body, text)
        from bot.tick import worker_id

        outbox.flush(context["sessions"], client, now=now, worker_id=f"web:{worker_id()}", max_rows=5)

    listener.__name__ = f"digest_{act.__name__}"
    return listener
