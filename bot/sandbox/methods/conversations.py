"""conversations.* methods: channels, DMs, membership, history and threads."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.core.limits import CHANNEL_NAME_MAX, CHANNEL_TOPIC_MAX
from bot.sandbox.errors import SlackError
from bot.sandbox.methods.base import Call, method, paginate
from bot.sandbox.methods.chat import public_message
from bot.sandbox.model import Channel

TYPE_FILTERS: dict[str, Callable[[Channel], bool]] = {
    "public_channel": lambda c: not (c.is_private or c.is_im or c.is_mpim),
    "private_channel": lambda c: c.is_private and not c.is_mpim,
    "im": lambda c: c.is_im,
    "mpim": lambda c: c.is_mpim,
}


def _channel_arg(call: Call) -> Channel:
    return call.ws.channel(call.require("channel", "channel_not_found"))


def _not_for_dms(channel: Channel) -> None:
    if channel.is_im or channel.is_mpim:
        raise SlackError("method_not_supported_for_channel_type")


def _bot_is_member(call: Call, channel: Channel) -> None:
    if call.ws.bot_user_id not in channel.members:
        raise SlackError("not_in_channel")


def _check_name(name: str) -> None:
    """Slack's channel-name rules: lowercase letters, digits, - and _, at most 80 characters."""
    if len(name) > CHANNEL_NAME_MAX:
        raise SlackError("invalid_name_maxlength")
    if all(c in "-_" for c in name):
        raise SlackError("invalid_name_punctuation")
    if any(not (c in "-_" or c.isdigit() or (c.isalpha() and c == c.lower())) for c in name):
        raise SlackError("invalid_name_specials")


@method("conversations.create")
def create(call: Call) -> dict[str, Any]:
    """Create a public or private channel with the bot as creator and only member."""
    ws = call.ws
    name = call.require("name", "invalid_name_required")
    _check_name(name)
    if ws.find_channel_by_name(name) is not None:  # archived channels keep their names
        raise SlackError("name_taken")
    is_private = call.flag("is_private")
    now = int(ws.now())
    channel = Channel(
        id=ws.ids.new("G" if is_private else "C"),
        name=name,
        created=now,
        creator=ws.bot_user_id,
        is_private=is_private,
        members=[ws.bot_user_id],
    )
    ws.state.channels[channel.id] = channel
    return {"channel": channel.to_api(ws.bot_user_id)}


@method("conversations.invite")
def invite(call: Call) -> dict[str, Any]:
    """Add people to a channel the bot is in; any bad id fails the whole call unless ``force``."""
    ws = call.ws
    channel = _channel_arg(call)
    _not_for_dms(channel)
    if channel.is_archived:
        raise SlackError("is_archived")
    _bot_is_member(call, channel)
    user_ids = [u.strip() for u in call.require("users", "no_user").split(",") if u.strip()]
    errors: list[dict[str, Any]] = []
    to_add: list[str] = []
    for user_id in user_ids:
        user = ws.state.users.get(user_id)
        if user_id == ws.bot_user_id:
            error = "cant_invite_self"
        elif user is None:
            error = "user_not_found"
        elif user.deleted:
            error = "cant_invite"
        elif user_id in channel.members or user_id in to_add:
            error = "already_in_channel"
        else:
            to_add.append(user_id)
            continue
        errors.append({"user": user_id, "ok": False, "error": error})
    if errors and not call.flag("force"):
        raise SlackError(errors[0]["error"], errors=errors)
    for user_id in to_add:
        channel.members.append(user_id)
        ws.system_message(channel, "channel_join", user_id, f"<@{user_id}> has joined the channel")
    result: dict[str, Any] = {"channel": channel.to_api(ws.bot_user_id)}
    if errors:
        result["errors"] = errors
    return result


@method("conversations.kick")
def kick(call: Call) -> dict[str, Any]:
    """Remove a person from a channel."""
    ws = call.ws
    channel = _channel_arg(call)
    _not_for_dms(channel)
    user_id = call.require("user", "no_user")
    if user_id == ws.bot_user_id:
        raise SlackError("cant_kick_self")
    ws.user(user_id)
    if channel.is_general:
        raise SlackError("cant_kick_from_general")
    _bot_is_member(call, channel)
    if user_id not in channel.members:
        raise SlackError("not_in_channel")
    channel.members.remove(user_id)
    ws.system_message(channel, "channel_leave", user_id, f"<@{user_id}> has left the channel")
    return {}


@method("conversations.archive")
def archive(call: Call) -> dict[str, Any]:
    """Archive a channel (it keeps its name and members)."""
    ws = call.ws
    channel = _channel_arg(call)
    _not_for_dms(channel)
    if channel.is_general:
        raise SlackError("cant_archive_general")
    if channel.is_archived:
        raise SlackError("already_archived")
    _bot_is_member(call, channel)
    ws.system_message(channel, "channel_archive", ws.bot_user_id, "archived the channel")
    channel.is_archived = True
    return {}


@method("conversations.unarchive")
def unarchive(call: Call) -> dict[str, Any]:
    """Bring an archived channel back."""
    ws = call.ws
    channel = _channel_arg(call)
    _not_for_dms(channel)
    if not channel.is_archived:
        raise SlackError("not_archived")
    channel.is_archived = False
    ws.system_message(channel, "channel_unarchive", ws.bot_user_id, "un-archived the channel")
    return {}


def _set_text(call: Call, field: str, subtype: str) -> dict[str, Any]:
    ws = call.ws
    channel = _channel_arg(call)
    value = call.get(field, "") or ""
    if channel.is_archived:
        raise SlackError("is_archived")
    _bot_is_member(call, channel)
    if len(value) > CHANNEL_TOPIC_MAX:
        raise SlackError("too_long")
    getattr(channel, field).update(value=value, creator=ws.bot_user_id, last_set=int(ws.now()))
    ws.system_message(channel, subtype, ws.bot_user_id, f"set the channel {field}: {value}")
    return {"channel": channel.to_api(ws.bot_user_id)}


@method("conversations.setTopic")
def set_topic(call: Call) -> dict[str, Any]:
    """Set a channel's topic."""
    return _set_text(call, "topic", "channel_topic")


@method("conversations.setPurpose")
def set_purpose(call: Call) -> dict[str, Any]:
    """Set a channel's purpose (its description)."""
    return _set_text(call, "purpose", "channel_purpose")


@method("conversations.info")
def info(call: Call) -> dict[str, Any]:
    """A conversation as the bot sees it."""
    channel = _channel_arg(call)
    return {
        "channel": channel.to_api(call.ws.bot_user_id, num_members=call.flag("include_num_members"))
    }


@method("conversations.members")
def members(call: Call) -> dict[str, Any]:
    """Member ids of a conversation, paginated."""
    channel = _channel_arg(call)
    page, meta = paginate(call, channel.members, key=str, default_limit=100)
    return {"members": page, "response_metadata": meta}


@method("conversations.list")
def list_conversations(call: Call) -> dict[str, Any]:
    """Conversations the bot can see, filtered by ``types``, paginated."""
    ws = call.ws
    types = [t.strip() for t in (call.get("types") or "public_channel").split(",")]
    if any(t not in TYPE_FILTERS for t in types):
        raise SlackError("invalid_types")
    visible = [
        c
        for c in ws.state.channels.values()
        if any(TYPE_FILTERS[t](c) for t in types)
        and (ws.bot_user_id in c.members or TYPE_FILTERS["public_channel"](c))
        and not (call.flag("exclude_archived") and c.is_archived)
    ]
    page, meta = paginate(call, visible, key=lambda c: c.id, default_limit=100)
    return {"channels": [c.to_api(ws.bot_user_id) for c in page], "response_metadata": meta}


@method("conversations.open")
def open_conversation(call: Call) -> dict[str, Any]:
    """The bot's DM with one person (same id every time), or a group DM with several."""
    ws = call.ws
    existing = call.get("channel")
    if existing:
        channel = ws.channel(existing)
        if not (channel.is_im or channel.is_mpim):
            raise SlackError("method_not_supported_for_channel_type")
        return {"channel": {"id": channel.id}, "no_op": True, "already_open": True}
    raw = call.require("users", "users_list_not_supplied")
    user_ids = [u.strip() for u in raw.split(",") if u.strip() and u.strip() != ws.bot_user_id]
    if not user_ids:
        raise SlackError("cannot_dm_bot")
    if len(user_ids) > 8:
        raise SlackError("too_many_users")
    for user_id in user_ids:
        user = ws.user(user_id)
        if user.is_bot:
            raise SlackError("cannot_dm_bot")
        if user.deleted:
            raise SlackError("user_disabled")
    channel, existed = ws.open_dm(user_ids)
    shown = channel.to_api(ws.bot_user_id) if call.flag("return_im") else {"id": channel.id}
    result: dict[str, Any] = {"channel": shown}
    if existed:
        result.update(no_op=True, already_open=True)
    return result


def _readable(call: Call) -> Channel:
    channel = _channel_arg(call)
    _bot_is_member(call, channel)  # bots read only conversations they are in
    return channel


def _ts_arg(call: Call, name: str) -> Decimal | None:
    value = call.get(name)
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise SlackError(f"invalid_ts_{name}") from None


@method("conversations.history")
def history(call: Call) -> dict[str, Any]:
    """Top-level messages, newest first, between ``oldest`` and ``latest``, paginated."""
    channel = _readable(call)
    inclusive = call.flag("inclusive")
    oldest = _ts_arg(call, "oldest") or Decimal(0)
    latest = _ts_arg(call, "latest")

    def in_range(ts: str) -> bool:
        value = Decimal(ts)
        above = value >= oldest if inclusive else value > oldest
        below = latest is None or (value <= latest if inclusive else value < latest)
        return above and below

    messages = [m for m in reversed(channel.top_level()) if in_range(m["ts"])]
    page, meta = paginate(call, messages, key=lambda m: m["ts"], default_limit=100, maximum=999)
    with_metadata = call.flag("include_all_metadata")
    return {
        "messages": [public_message(m, metadata=with_metadata) for m in page],
        "has_more": bool(meta["next_cursor"]),
        "pin_count": 0,
        "response_metadata": meta,
    }


@method("conversations.replies")
def replies(call: Call) -> dict[str, Any]:
    """A thread: its parent then replies, oldest first, paginated."""
    channel = _readable(call)
    ts = call.require("ts", "thread_not_found")
    parent = channel.by_ts.get(ts)
    if parent is None:
        raise SlackError("thread_not_found")
    thread = channel.thread(parent.get("thread_ts", ts))
    page, meta = paginate(call, thread, key=lambda m: m["ts"], default_limit=1000)
    with_metadata = call.flag("include_all_metadata")
    return {
        "messages": [public_message(m, metadata=with_metadata) for m in page],
        "has_more": bool(meta["next_cursor"]),
        "response_metadata": meta,
    }
