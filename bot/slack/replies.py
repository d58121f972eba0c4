"""Answers to a click or command through its response_url, written to the outbox and sent at once."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.db import session_scope
from bot.slack import outbox


def respond(context: dict, client: WebClient, body: dict, payload: dict[str, Any]) -> None:
    """Post `payload` to the interaction's response_url, once (keyed by who acted, and when)."""
    from bot.tick import worker_id

    url = body.get("response_url")
    if not url:
        return
    now = context["clock"]()
    user = body.get("user_id") or (body.get("user") or {}).get("id", "")
    stamp = body.get("trigger_id") or next((a.get("action_ts") for a in body.get("actions") or []), None) or str(now.timestamp())
    key = f"reply:{user}:{stamp}"[:200]
    with session_scope(context["sessions"]) as session:
        outbox.enqueue(session, key=key, method=outbox.RESPONSE_URL, payload={"url": url, **payload}, now=now)
    outbox.send_now(context["sessions"], client, key, now=now, worker_id=f"web:{worker_id()}")


def ephemeral(context: dict, client: WebClient, body: dict, text: str, *, replace_original: bool = False) -> None:
    """A short text only the person who acted sees."""
    respond(context, client, body, {"text": text, "response_type": "ephemeral", "replace_original": replace_original})
