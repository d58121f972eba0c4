"""One attempt at one outbox row's Slack call, and what it achieved.

Exactly once, even across crashes: chat.postMessage has no idempotency key, so each message carries
Slack message metadata naming its outbox key. Any attempt after the first (a retry after a timeout,
a 5xx, or a worker that died mid-send) first looks for that key in the conversation and, if Slack
already has the message, reports it as sent instead of posting it again. A file is found again by
its name; a response_url reply and the idempotent methods are simply repeated.
"""

from __future__ import annotations

import base64
import functools
import http.client
import socket
import urllib.error
from dataclasses import dataclass, field
from typing import Any, Literal

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from bot.models import OutboxMessage

METADATA_EVENT = "upward_outbox"
# Slack errors that say "try again later"; everything else Slack refuses is final for that row.
TRANSIENT_ERRORS = frozenset(
    {
        "ratelimited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "timeout",
    }
)
# Methods whose repetition is harmless (the result is the same state); the rest need the history
# check. A request whose answer was lost: Slack may or may not have acted on it.
TRANSPORT_ERRORS = (
    urllib.error.URLError,
    socket.timeout,
    ConnectionError,
    TimeoutError,
    http.client.HTTPException,
)
# Not a Web API method: a reply to an interaction, posted to the response_url Slack gave with it.
RESPONSE_URL = "response_url"
# Not one Web API method: slack_sdk's files_upload_v2 (get an upload URL, send the bytes, complete
# and share). Payload: channel, filename (unique per row: how a retry finds an earlier share),
# title, alt_txt, initial_comment, content_b64.
FILE_UPLOAD = "files.upload_v2"
# Errors that say the call's effect is already there: the row is done, not failed.
ALREADY_DONE = {
    "conversations.invite": frozenset({"already_in_channel"}),
    "conversations.kick": frozenset({"not_in_channel", "cant_kick_self"}),
}
IDEMPOTENT_METHODS = frozenset(
    {
        "chat.update",
        "views.publish",
        "conversations.setTopic",
        "conversations.setPurpose",
        "conversations.invite",
        "conversations.kick",
    }
)


@dataclass(frozen=True)
class Outcome:
    """What one send attempt achieved."""

    kind: Literal["sent", "retry", "failed"]
    error: str | None = None
    channel_id: str | None = None
    ts: str | None = None
    response: dict[str, Any] = field(default_factory=dict)


def send(client: WebClient, row: OutboxMessage) -> Outcome:
    """Make the row's Slack call once (after checking whether an earlier attempt already landed)."""
    payload = dict(row.payload)
    if row.method == "chat.postMessage":
        payload["metadata"] = {
            "event_type": METADATA_EVENT,
            # What a reader (the demo's simulated people) may rely on, beside the key recovery
            # looks for.
            "event_payload": {
                "key": row.idempotency_key,
                "purpose": row.purpose.value,
                "subject_id": row.subject_id,
            },
        }
        if row.attempts > 1:
            found = _find_posted(
                client, payload["channel"], row.idempotency_key, thread_ts=payload.get("thread_ts")
            )
            if found is not None:
                return found
    if row.method == RESPONSE_URL:
        return _respond(payload)
    if row.method == FILE_UPLOAD:
        return _upload(client, payload, first_attempt=row.attempts <= 1)
    caller = client if row.method in IDEMPOTENT_METHODS else _without_connection_retries(client)
    try:
        response = caller.api_call(row.method, json=payload)
    except SlackApiError as exc:
        outcome = _classify(exc)
        if outcome.error in ALREADY_DONE.get(row.method, ()):
            return Outcome("sent", channel_id=payload.get("channel"))
        return outcome
    except TRANSPORT_ERRORS as exc:
        return Outcome("retry", error=f"connection: {exc}")
    data = response.data if isinstance(response.data, dict) else {}
    channel = data.get("channel")  # an id from chat.*, a channel object from conversations.*
    return Outcome(
        "sent",
        channel_id=(channel.get("id") if isinstance(channel, dict) else channel)
        or payload.get("channel"),
        ts=data.get("ts") or (data.get("message") or {}).get("ts"),
        response=data,
    )


@functools.lru_cache(maxsize=32)
def _client_for(token: str | None, base_url: str, timeout: int) -> WebClient:
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=5)],
    )


def _without_connection_retries(client: WebClient) -> WebClient:
    """The same client minus transport-level retries.

    slack_sdk's ConnectionErrorRetryHandler re-sends a request whose answer was lost, and Slack may
    already have acted on it (a second post). A 429 is safe to wait out (Slack did nothing); any
    other failure becomes an outbox retry, which first looks for the earlier copy.
    """
    return _client_for(client.token, client.base_url, client.timeout)


def _respond(payload: dict[str, Any]) -> Outcome:
    """Post to an interaction's response_url (ephemeral to the person who clicked, by default)."""
    body = {k: v for k, v in payload.items() if k != "url"}
    try:
        response = WebhookClient(payload["url"], timeout=10).send_dict(body)
    except TRANSPORT_ERRORS as exc:
        return Outcome("retry", error=f"connection: {exc}")
    if response.status_code == 200:
        return Outcome("sent")
    if response.status_code >= 500 or response.status_code == 429:
        return Outcome("retry", error=f"response_url HTTP {response.status_code}")
    # 404 used_url / expired_url: Slack allows 5 replies within 30 minutes.
    return Outcome(
        "failed", error=f"response_url HTTP {response.status_code}: {response.body[:200]}"
    )


def _classify(exc: SlackApiError) -> Outcome:
    status = getattr(exc.response, "status_code", 200)
    error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
    if status >= 500 or status == 429 or error in TRANSIENT_ERRORS:
        return Outcome("retry", error=error or f"HTTP {status}")
    return Outcome("failed", error=error or f"HTTP {status}")


def _find_posted(
    client: WebClient, channel: str, key: str, *, thread_ts: str | None = None
) -> Outcome | None:
    """The message an earlier attempt posted with this key, if Slack has it: in the thread for a
    reply (conversations.history lists no thread replies), else in the conversation."""

    def tagged(message: dict[str, Any]) -> bool:
        meta = message.get("metadata") or {}
        return (
            meta.get("event_type") == METADATA_EVENT
            and (meta.get("event_payload") or {}).get("key") == key
        )

    return _find_in_history(client, channel, tagged, thread_ts=thread_ts)


def _find_in_history(
    client: WebClient, channel: str, matches: Any, *, thread_ts: str | None = None
) -> Outcome | None:
    """A message in the conversation (or the thread of `thread_ts`) that `matches`, as a sent
    Outcome, if there is one."""
    try:
        if channel.startswith(("U", "W")):
            channel = client.conversations_open(users=channel)["channel"]["id"]
        cursor = None
        # 5 pages: the newest of a conversation (a retry happens minutes, not weeks, after the
        # first try), or a whole thread.
        for _ in range(5):
            if thread_ts:
                page = client.conversations_replies(
                    channel=channel,
                    ts=thread_ts,
                    limit=200,
                    include_all_metadata=True,
                    cursor=cursor,
                )
            else:
                page = client.conversations_history(
                    channel=channel, limit=200, include_all_metadata=True, cursor=cursor
                )
            for message in page.get("messages", []):
                if matches(message):
                    return Outcome(
                        "sent", channel_id=channel, ts=message["ts"], response={"recovered": True}
                    )
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
    except SlackApiError as exc:
        outcome = _classify(exc)
        return Outcome(outcome.kind, error=f"checking for an earlier copy: {outcome.error}")
    except TRANSPORT_ERRORS as exc:
        return Outcome("retry", error=f"checking for an earlier copy: connection: {exc}")
    return None


def _upload(client: WebClient, payload: dict[str, Any], *, first_attempt: bool) -> Outcome:
    """Upload and share a file once: a retry first looks for an earlier share of the same file
    name."""
    filename = payload["filename"]
    caller = _without_connection_retries(client)
    try:
        channel = payload["channel"]
        if channel.startswith(("U", "W")):  # files are shared into a conversation, not to a user id
            channel = caller.conversations_open(users=channel)["channel"]["id"]
        if not first_attempt:
            found = _find_in_history(
                client,
                channel,
                lambda m: any(f.get("name") == filename for f in m.get("files") or []),
            )
            if found is not None:
                return found
        response = caller.files_upload_v2(
            channel=channel,
            filename=filename,
            content=base64.b64decode(payload["content_b64"]),
            title=payload.get("title"),
            alt_txt=payload.get("alt_txt"),
            initial_comment=payload.get("initial_comment"),
        )
    except SlackApiError as exc:
        return _classify(exc)
    except TRANSPORT_ERRORS as exc:
        return Outcome("retry", error=f"connection: {exc}")
    files = response.get("files") or [{}]
    return Outcome("sent", channel_id=channel, response={"file": files[0].get("id")})
