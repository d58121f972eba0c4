"""What every Web API method shares: the call context, the registry, argument and paging helpers."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.core.limits import MESSAGE_TEXT_MAX
from bot.sandbox.errors import SlackError, invalid_arguments, missing_argument
from bot.sandbox.model import Channel
from bot.sandbox.validation import check_message_blocks, decode_json_arg
from bot.sandbox.workspace import Workspace

T = TypeVar("T")
TRUE_STRINGS = frozenset({"true", "1", "yes"})


@dataclass
class Call:
    """One Web API call: the workspace, the decoded arguments, and helpers to read them."""

    ws: Workspace
    method: str
    args: dict[str, Any]

    def get(self, name: str, default: str | None = None) -> str | None:
        """A string argument; empty strings count as absent, as Slack treats them."""
        value = self.args.get(name)
        if value is None or value == "":
            return default
        return value if isinstance(value, str) else str(value)

    def require(self, name: str, error: str | None = None) -> str:
        """A required string argument; absent answers ``error`` or invalid_arguments."""
        value = self.get(name)
        if value is None:
            raise SlackError(error) if error else missing_argument(name)
        return value

    def flag(self, name: str) -> bool:
        """A boolean argument (``true``/``1`` in forms, true in JSON)."""
        value = self.args.get(name)
        return value if isinstance(value, bool) else str(value).lower() in TRUE_STRINGS

    def integer(self, name: str, default: int, *, maximum: int | None = None) -> int:
        """An integer argument, capped at ``maximum`` like Slack caps ``limit``."""
        value = self.args.get(name)
        if value in (None, ""):
            return default
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise invalid_arguments(f"{name} must be an integer") from None
        if number < 0:
            raise SlackError("invalid_limit") if name == "limit" else invalid_arguments(name)
        return min(number, maximum) if maximum is not None else number

    def json(self, name: str, error: str = "invalid_arguments") -> Any:
        """A JSON-ish argument, decoded from a string if it came form-encoded."""
        value = self.args.get(name)
        return None if value in (None, "") else decode_json_arg(value, error)


Handler = Callable[[Call], dict[str, Any]]
METHODS: dict[str, Handler] = {}


def method(name: str) -> Callable[[Handler], Handler]:
    """Register a handler for a Web API method name."""

    def register(handler: Handler) -> Handler:
        METHODS[name] = handler
        return handler

    return register


def encode_cursor(key: str) -> str:
    """An opaque cursor naming the first item of the next page, like Slack's base64 cursors."""
    return base64.b64encode(f"next:{key}".encode()).decode()


def paginate(
    call: Call,
    items: Sequence[T],
    key: Callable[[T], str],
    *,
    default_limit: int,
    maximum: int = 1000,
) -> tuple[list[T], dict[str, Any]]:
    """One page of ``items`` per ``cursor``/``limit``, and the ``response_metadata`` to return."""
    start = 0
    cursor = call.get("cursor")
    if cursor:
        try:
            wanted = base64.b64decode(cursor.encode(), validate=True).decode().removeprefix("next:")
        except (binascii.Error, UnicodeDecodeError):
            raise SlackError("invalid_cursor") from None
        keys = [key(i) for i in items]
        if wanted not in keys:
            raise SlackError("invalid_cursor")
        start = keys.index(wanted)
    limit = call.integer("limit", default_limit, maximum=maximum) or default_limit or len(items)
    page = list(items[start : start + limit])
    rest = items[start + limit :]
    return page, {"next_cursor": encode_cursor(key(rest[0])) if rest else ""}


def resolve_target(call: Call, arg: str | None, *, post: bool = True) -> Channel:
    """The conversation a message goes to: a channel id, a ``#name``, or a user id (their DM).

    Public channels the bot is not in answer ``not_in_channel``; private ones it cannot see
    answer ``channel_not_found``, as they do for a bot token on Slack.
    """
    ws = call.ws
    if not arg:
        raise SlackError("channel_not_found")
    if arg[0] in "UW" and arg in ws.state.users:
        if arg == ws.bot_user_id:
            raise SlackError("channel_not_found")
        dm, _ = ws.open_dm([arg])
        return dm
    found = ws.state.channels.get(arg) or ws.find_channel_by_name(arg)
    if found is None:
        raise SlackError("channel_not_found")
    channel = ws.channel(found.id)  # hides private conversations the bot is not in
    if post and ws.bot_user_id not in channel.members:
        raise SlackError("not_in_channel")
    if channel.is_archived:
        raise SlackError("is_archived")
    return channel


def message_content(call: Call) -> dict[str, Any]:
    """text/blocks/attachments of a message; ``no_text`` when all are absent."""
    text = call.get("text")
    blocks = check_message_blocks(call.args.get("blocks"), call.ws.rng)
    attachments = call.json("attachments", "invalid_attachments")
    if text is None and not blocks and not attachments:
        raise SlackError("no_text")
    if text is not None and len(text) > MESSAGE_TEXT_MAX:
        raise SlackError("msg_too_long")
    return {"text": text or "", "blocks": blocks, "attachments": attachments}


def check_metadata(call: Call) -> dict[str, Any] | None:
    """Message metadata ``{event_type, event_payload}`` or Slack's metadata errors."""
    metadata = call.json("metadata", "invalid_metadata_format")
    if metadata is None:
        return None
    if (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("event_type"), str)
        or not isinstance(metadata.get("event_payload", {}), dict)
    ):
        raise SlackError("invalid_metadata_schema")
    return {
        "event_type": metadata["event_type"],
        "event_payload": metadata.get("event_payload", {}),
    }
