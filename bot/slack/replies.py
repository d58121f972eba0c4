"""Messages a listener sends at once after its ack: written to the outbox, then sent right away."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient

from bot.core.process import worker_id
from bot.db import session_scope
from bot.slack import outbox, records
from bot.slack.records import Record

log = logging.getLogger(__name__)

SLACK_HOOK_HOSTS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})


def web_worker_id() -> str:
    """The outbox claim name of this web process."""
    return f"web:{worker_id()}"


def send_at_once(
    context: dict, client: WebClient, record: Record, *, method: str, payload: dict[str, Any]
) -> None:
    """Write one outbound call to the outbox (once per key) and send it now rather than at the next
    tick."""
    now = context["clock"]()
    with session_scope(context["sessions"]) as session:
        outbox.enqueue(
            session,
            record,
            method=method,
            payload=payload,
            now=now,
            team_id=context.get("team_id"),
        )
    send_queued(context, client, record)


def this_workspace_only(context: dict) -> str | None:
    """The team a listener's flush is limited to when distributed (its client holds that workspace's
    token)."""
    return context.get("team_id") if context["settings"].multi_workspace else None


def send_queued(context: dict, client: WebClient, record: Record) -> None:
    """Send a row a listener already wrote to the outbox, now rather than at the next tick."""
    outbox.send_now(
        context["sessions"], client, record, now=context["clock"](), worker_id=web_worker_id()
    )


def response_url(context: dict, body: dict) -> str | None:
    """The interaction's response_url if it is Slack's (or on the configured API's host, e.g. the
    stand-in).

    Upward posts its reply wherever this URL points; trusting any URL a payload names would let
    whoever can send one make Upward call any address, its own network's included.
    """
    url = body.get("response_url")
    if not isinstance(url, str) or not url:
        return None
    try:
        parts, api = urlsplit(url), urlsplit(context["settings"].slack_api_url)
        hook = parts.scheme == "https" and parts.hostname in SLACK_HOOK_HOSTS
        local = (parts.scheme, parts.netloc) == (api.scheme, api.netloc)
    except ValueError:
        hook = local = False
    if hook or local:
        return url
    log.warning(
        "ignored a response_url that is not Slack's; the reply goes another way or not at all"
    )
    return None


def respond(context: dict, client: WebClient, body: dict, payload: dict[str, Any]) -> None:
    """Post `payload` to the interaction's response_url, once (keyed by who acted, and when)."""
    url = response_url(context, body)
    if not url:
        return
    user = body.get("user_id") or (body.get("user") or {}).get("id", "")
    stamp = (
        body.get("trigger_id")
        or next((a.get("action_ts") for a in body.get("actions") or []), None)
        or str(context["clock"]().timestamp())
    )
    send_at_once(
        context,
        client,
        records.reply(user, stamp),
        method=outbox.RESPONSE_URL,
        payload={"url": url, **payload},
    )


def ephemeral(
    context: dict, client: WebClient, body: dict, text: str, *, replace_original: bool = False
) -> None:
    """A short text only the person who acted sees."""
    respond(
        context,
        client,
        body,
        {"text": text, "response_type": "ephemeral", "replace_original": replace_original},
    )
