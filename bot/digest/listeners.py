"""The digest's at-risk buttons: ack, check the clicker leads the program, act, answer privately."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App
from slack_sdk import WebClient

from bot.core.ids import Action
from bot.db import session_scope
from bot.digest import actions
from bot.slack import replies
from bot.slack.acking import acked


def register(app: App) -> None:
    """Attach the digest's button listeners to `app`."""
    app.action(Action.digest_nudge)(acked(_on(actions.nudge)))
    app.action(Action.digest_pause)(acked(_on(actions.pause)))
    app.action(Action.digest_ping_mentor)(acked(_on(actions.ping_mentor)))


def _on(act: Callable[..., actions.Done]) -> Callable[[dict, dict, dict, WebClient], None]:
    def listener(body: dict, action: dict, context: dict, client: WebClient) -> None:
        try:
            with session_scope(context["sessions"]) as session:
                target = actions.target(
                    session, value=action.get("value") or "", clicker=body["user"]["id"]
                )
                done = act(session, target, now=context["clock"]())
        except actions.Refused as exc:
            done = actions.Done(str(exc))
        if done.send:  # the nudge or ping itself, now rather than at the next tick
            replies.send_queued(context, client, done.send)
        replies.ephemeral(context, client, body, done.text)

    listener.__name__ = f"digest_{act.__name__}"
    return listener
