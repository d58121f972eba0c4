"""chat.* methods: posting, editing and deleting messages, and ephemeral messages."""

from __future__ import annotations

import copy
from typing import Any

from bot.sandbox.errors import SlackError
from bot.sandbox.methods.base import Call, check_metadata, message_content, method, resolve_target


def public_message(message: dict[str, Any], *, metadata: bool = True) -> dict[str, Any]:
    """A stored message as the API returns it (metadata only when asked for)."""
    shown = copy.deepcopy(message)
    if not metadata:
        shown.pop("metadata", None)
    return shown


@method("chat.postMessage")
def post_message(call: Call) -> dict[str, Any]:
    """Post a message; a user id as ``channel`` posts into the bot's DM with that person."""
    ws = call.ws
    channel = resolve_target(call, call.get("channel"))
    content = message_content(call)
    metadata = check_metadata(call)
    thread_ts = call.get("thread_ts")
    subtype = None
    if thread_ts:
        parent = channel.by_ts.get(thread_ts)
        if parent is None:
            raise SlackError("thread_not_found")
        thread_ts = parent.get("thread_ts", thread_ts)  # a reply to a reply joins the same thread
        if call.flag("reply_broadcast"):
            subtype = "thread_broadcast"
    message = ws.bot_message(**content, metadata=metadata, thread_ts=thread_ts, subtype=subtype)
    ws.post(channel, message)
    return {"channel": channel.id, "ts": message["ts"], "message": public_message(message)}


@method("chat.update")
def update_message(call: Call) -> dict[str, Any]:
    """Edit a message the bot posted."""
    ws = call.ws
    channel = ws.channel(call.require("channel", "channel_not_found"))
    message = channel.by_ts.get(call.require("ts", "message_not_found"))
    if message is None:
        raise SlackError("message_not_found")
    if message.get("bot_id") != ws.bot_id:
        raise SlackError("cant_update_message")
    if channel.is_archived:
        raise SlackError("is_archived")
    content = message_content(call)
    metadata = check_metadata(call)
    message["text"] = content["text"]
    for key in ("blocks", "attachments"):
        # Slack keeps blocks when an update sends only text; an explicit [] clears them.
        if content[key] is not None or key in call.args:
            if content[key]:
                message[key] = content[key]
            else:
                message.pop(key, None)
    if metadata is not None:
        message["metadata"] = metadata
    message["edited"] = {"user": ws.bot_user_id, "ts": ws.new_ts()}
    return {
        "channel": channel.id,
        "ts": message["ts"],
        "text": message["text"],
        "message": public_message(message),
    }


@method("chat.delete")
def delete_message(call: Call) -> dict[str, Any]:
    """Delete a message the bot posted."""
    ws = call.ws
    channel = ws.channel(call.require("channel", "channel_not_found"))
    ts = call.require("ts", "message_not_found")
    message = channel.by_ts.get(ts)
    if message is None:
        raise SlackError("message_not_found")
    if message.get("bot_id") != ws.bot_id:
        raise SlackError("cant_delete_message")
    channel.remove(ts)
    return {"channel": channel.id, "ts": ts}


@method("chat.postEphemeral")
def post_ephemeral(call: Call) -> dict[str, Any]:
    """Show a message to one member of a conversation only."""
    ws = call.ws
    channel = resolve_target(call, call.get("channel"))
    user = ws.user(call.require("user", "user_not_found"))
    if user.id not in channel.members:
        raise SlackError("user_not_in_channel")
    content = message_content(call)
    ts = ws.new_ts()
    ephemeral = {
        "type": "message",
        "subtype": "bot_message",
        "channel": channel.id,
        "user": user.id,
        "ts": ts,
        "thread_ts": call.get("thread_ts"),
        "source": "chat.postEphemeral",
        "bot_id": ws.bot_id,
        **content,
    }
    ws.state.ephemerals.append({k: v for k, v in ephemeral.items() if v is not None})
    return {"message_ts": ts}


@method("chat.getPermalink")
def get_permalink(call: Call) -> dict[str, Any]:
    """A link to a message."""
    ws = call.ws
    channel = ws.channel(call.require("channel", "channel_not_found"))
    ts = call.require("message_ts", "message_not_found")
    if ts not in channel.by_ts:
        raise SlackError("message_not_found")
    link = f"https://{ws.domain}.slack.com/archives/{channel.id}/p{ts.replace('.', '')}"
    return {"channel": channel.id, "permalink": link}
