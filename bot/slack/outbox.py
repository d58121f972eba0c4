"""The outbox: every outbound Slack call is written as a row, then sent, then marked with Slack's
ts.

Exactly once, even across crashes: chat.postMessage has no idempotency key, so each message carries
Slack message metadata naming its outbox key. Any attempt after the first (a retry after a timeout,
a 5xx, or a worker that died mid-send) first looks for that key in the conversation and, if Slack
already has the message, records it instead of posting it again.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import http.client
import logging
import random
import socket
import time
import urllib.error
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient
from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from bot.db import session_scope
from bot.models import OutboxMessage, OutboxStatus, Program
from bot.slack.installations import NoWorkspace, WorkspaceClients, as_clients
from bot.slack.records import Record

log = logging.getLogger(__name__)

METADATA_EVENT = "upward_outbox"
LEASE = dt.timedelta(minutes=2)
MAX_ATTEMPTS = 10
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


@dataclass
class FlushStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    recovered: int = 0

    @property
    def attempted(self) -> int:
        return self.sent + self.retried + self.failed


def written(session: Session, records: Iterable[Record]) -> set[Record]:
    """Which of these records already have an outbox row (what was already queued or sent)."""
    by_key = {r.key: r for r in records}
    if not by_key:
        return set()
    return {
        by_key[key]
        for key in session.scalars(
            select(OutboxMessage.idempotency_key).where(
                OutboxMessage.idempotency_key.in_(list(by_key))
            )
        )
    }


def enqueue(
    session: Session,
    record: Record,
    *,
    method: str,
    payload: dict[str, Any],
    now: dt.datetime,
    program_id: int | None = None,
    person_id: int | None = None,
    not_before: dt.datetime | None = None,
    team_id: str | None = None,
) -> bool:
    """Write an outbound call once per record; False when a row with its key already exists.

    The row is sent with the bot token of `team_id`'s workspace, by default its program's.
    """
    if team_id is None and program_id is not None:
        team_id = select(Program.team_id).where(Program.id == program_id).scalar_subquery()  # type: ignore[assignment]
    values = dict(
        team_id=team_id,
        idempotency_key=record.key,
        purpose=record.purpose,
        subject_id=record.subject_id,
        period=record.period,
        method=method,
        payload=payload,
        status=OutboxStatus.pending,
        attempts=0,
        next_attempt_at=not_before or now,
        program_id=program_id,
        person_id=person_id,
        created_at=now,
    )
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(OutboxMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(
            OutboxMessage.id
        )  # psycopg reports rowcount -1 here; a returned id is unambiguous
    )
    return session.execute(stmt).scalar() is not None


def claim_due(
    session: Session,
    *,
    now: dt.datetime,
    worker_id: str,
    limit: int = 100,
    lease: dt.timedelta = LEASE,
    only_team: str | None = None,
) -> list[OutboxMessage]:
    """Take up to `limit` due rows (and rows whose claim expired) for this worker; commit after.

    `only_team` takes only that workspace's rows (a listener's client holds one workspace's token).
    """
    due = (
        select(OutboxMessage)
        .where(
            or_(
                (OutboxMessage.status == OutboxStatus.pending)
                & (OutboxMessage.next_attempt_at <= now),
                (OutboxMessage.status == OutboxStatus.sending)
                & (OutboxMessage.claimed_until < now),
            ),
            *([OutboxMessage.team_id == only_team] if only_team is not None else []),
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list(session.scalars(due))
    for row in rows:
        row.status = OutboxStatus.sending
        row.claimed_by = worker_id
        row.claimed_until = now + lease
        row.attempts += 1
    session.flush()
    return rows


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
            found = _find_posted(client, payload["channel"], row.idempotency_key)
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


def record(
    session: Session, row_id: int, outcome: Outcome, *, now: dt.datetime, worker_id: str
) -> None:
    """Store an attempt's outcome on the row, unless another worker has taken the row over."""
    row = session.get(OutboxMessage, row_id, with_for_update=True)
    if row is None or row.claimed_by != worker_id or row.status != OutboxStatus.sending:
        return
    row.claimed_by = None
    row.claimed_until = None
    if outcome.kind == "sent":
        row.status = OutboxStatus.sent
        row.sent_at = now
        row.slack_ts = outcome.ts
        row.channel_id = outcome.channel_id
        row.error = None
    elif outcome.kind == "retry" and row.attempts < MAX_ATTEMPTS:
        row.status = OutboxStatus.pending
        row.error = (outcome.error or "")[:500]
        row.next_attempt_at = now + backoff(row.attempts)
    else:
        row.status = OutboxStatus.failed
        reason = outcome.error or "unknown error"
        row.error = (
            reason
            if outcome.kind == "failed"
            else f"gave up after {row.attempts} attempts: {reason}"
        )[:500]


def backoff(attempts: int) -> dt.timedelta:
    """15 s, 30 s, 1 min, ... capped at 1 h, with jitter so retries from many rows spread out."""
    base = min(15 * 2 ** max(attempts - 1, 0), 3600)
    return dt.timedelta(seconds=base * random.uniform(0.8, 1.2))


def flush(
    sessions: sessionmaker[Session],
    client: WebClient | WorkspaceClients,
    *,
    now: dt.datetime,
    worker_id: str,
    batch: int = 100,
    max_rows: int | None = None,
    lease: dt.timedelta = LEASE,
    only_team: str | None = None,
) -> FlushStats:
    """Send everything due as of `now`, each row with its workspace's token; each outcome is
    committed as soon as it is known."""
    clients = as_clients(client)
    stats = FlushStats()
    started = time.monotonic()
    while max_rows is None or stats.attempted < max_rows:
        limit = batch if max_rows is None else min(batch, max_rows - stats.attempted)
        # `now` is when the tick began; a long flush extends each new claim by the time it has
        # taken so far, so a claim never starts out already expired for the other workers.
        elapsed = dt.timedelta(seconds=time.monotonic() - started)
        with session_scope(sessions) as session:
            rows = claim_due(
                session,
                now=now,
                worker_id=worker_id,
                limit=limit,
                lease=lease + elapsed,
                only_team=only_team,
            )
        if not rows:
            break
        for row in rows:
            outcome = _send_in_workspace(clients, row)
            with session_scope(sessions) as session:
                record(session, row.id, outcome, now=now, worker_id=worker_id)
            if outcome.kind == "sent":
                stats.sent += 1
                stats.recovered += int(bool(outcome.response.get("recovered")))
            elif outcome.kind == "retry":
                stats.retried += 1
                log.warning("outbox %s will be retried: %s", row.idempotency_key, outcome.error)
            else:
                stats.failed += 1
                log.warning("outbox %s failed for good: %s", row.idempotency_key, outcome.error)
    return stats


def _send_in_workspace(clients: WorkspaceClients, row: OutboxMessage) -> Outcome:
    """Send a row with the bot token of its workspace; a workspace without one fails the row for
    good."""
    try:
        client = clients.for_team(row.team_id)
    except NoWorkspace as exc:
        return Outcome("failed", error=str(exc))
    return send(client, row)


def send_now(
    sessions: sessionmaker[Session],
    client: WebClient,
    message: Record,
    *,
    now: dt.datetime,
    worker_id: str,
) -> Outcome | None:
    """Send one pending row right away (e.g. a message update after a click); None if not
    pending."""
    with session_scope(sessions) as session:
        row = _claim_key(session, key=message.key, now=now, worker_id=worker_id)
    if row is None:
        return None
    outcome = send(client, row)
    with session_scope(sessions) as session:
        record(session, row.id, outcome, now=now, worker_id=worker_id)
    return outcome


def _claim_key(
    session: Session, *, key: str, now: dt.datetime, worker_id: str
) -> OutboxMessage | None:
    row = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.idempotency_key == key, OutboxMessage.status == OutboxStatus.pending)
        .with_for_update(skip_locked=True)
    ).one_or_none()
    if row is None:
        return None
    row.status = OutboxStatus.sending
    row.claimed_by = worker_id
    row.claimed_until = now + LEASE
    row.attempts += 1
    session.flush()
    return row


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


def _find_posted(client: WebClient, channel: str, key: str) -> Outcome | None:
    """The message an earlier attempt posted with this key, if Slack has it."""

    def tagged(message: dict[str, Any]) -> bool:
        meta = message.get("metadata") or {}
        return (
            meta.get("event_type") == METADATA_EVENT
            and (meta.get("event_payload") or {}).get("key") == key
        )

    return _find_in_history(client, channel, tagged)


def _find_in_history(client: WebClient, channel: str, matches: Any) -> Outcome | None:
    """The newest message in the conversation that `matches`, as a sent Outcome, if there is one."""
    try:
        if channel.startswith(("U", "W")):
            channel = client.conversations_open(users=channel)["channel"]["id"]
        cursor = None
        for _ in range(
            5
        ):  # newest 5 pages: a retry happens minutes, not weeks, after the first try
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
