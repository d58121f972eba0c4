"""What Slack does with an app's answers: response_url posts, slash-command replies, modal replies.

Trigger ids and response URLs are issued here for the payloads the stand-in sends to the app, and
each answer is applied to the workspace so tests see what the person would see.
"""

from __future__ import annotations

import json
from typing import Any

from bot.sandbox.errors import SlackError
from bot.sandbox.methods.views import render_view
from bot.sandbox.state import ResponseTarget, Trigger
from bot.sandbox.validation import check_message_blocks, check_view
from bot.sandbox.workspace import Workspace

RESPONSE_URL_LIFETIME = 30 * 60  # Slack: five uses within thirty minutes
RESPONSE_URL_USES = 5


def issue_trigger_id(ws: Workspace, user_id: str) -> str:
    """A trigger_id for an interaction by ``user_id`` that views.open will accept once."""
    with ws.mutation():
        now = ws.now()
        trigger_id = f"{int(now)}.{ws.team_id[1:]}.{ws.ids.token(32)}"
        ws.state.triggers[trigger_id] = Trigger(user_id=user_id, issued_at=now)
        return trigger_id


def new_response_url(
    ws: Workspace,
    *,
    user_id: str,
    channel_id: str,
    message_ts: str | None = None,
    is_ephemeral: bool = False,
) -> str:
    """A response_url on the stand-in bound to the person, conversation and source message."""
    with ws.mutation():
        response_id = ws.ids.token(24)
        ws.state.response_urls[response_id] = ResponseTarget(
            user_id=user_id,
            channel_id=channel_id,
            created_at=ws.now(),
            message_ts=message_ts,
            is_ephemeral=is_ephemeral,
        )
        return f"{ws.public_url}/sandbox/response/{response_id}"


def _ephemeral(
    ws: Workspace, *, user_id: str, channel_id: str, source: str, content: dict[str, Any]
) -> dict[str, Any]:
    record = {
        "type": "message",
        "subtype": "bot_message",
        "channel": channel_id,
        "user": user_id,
        "ts": ws.new_ts(),
        "source": source,
        "bot_id": ws.bot_id,
        **content,
    }
    ws.state.ephemerals.append(record)
    return record


def _content(ws: Workspace, payload: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = {"text": payload.get("text") or ""}
    blocks = check_message_blocks(payload.get("blocks"), ws.rng)
    if blocks:
        content["blocks"] = blocks
    if not content["text"] and not blocks:
        raise SlackError("no_text", status=400)
    return content


def apply_response_url(ws: Workspace, response_id: str, payload: Any) -> tuple[int, dict[str, Any]]:
    """Apply one POST to a response_url; (HTTP status, JSON answer)."""
    with ws.mutation():
        target = ws.state.response_urls.get(response_id)
        if target is None or ws.now() - target.created_at > RESPONSE_URL_LIFETIME:
            return 404, {"ok": False, "error": "expired_url"}
        if target.uses >= RESPONSE_URL_USES:
            return 404, {"ok": False, "error": "used_url"}
        if not isinstance(payload, dict):
            return 400, {"ok": False, "error": "invalid_payload"}
        target.uses += 1
        try:
            effect, ts = _respond(ws, target, payload)
        except SlackError as exc:
            return 400 if exc.status == 200 else exc.status, exc.body()
        ws.state.responses.append(
            {
                "response_id": response_id,
                "user": target.user_id,
                "channel": target.channel_id,
                "payload": payload,
                "effect": effect,
                "ts": ts,
            }
        )
        return 200, {"ok": True}


def _respond(
    ws: Workspace, target: ResponseTarget, payload: dict[str, Any]
) -> tuple[str, str | None]:
    channel = ws.state.channels.get(target.channel_id)
    original_ts = target.message_ts
    if payload.get("delete_original") in (True, "true"):
        if target.is_ephemeral:
            ws.state.ephemerals[:] = [
                e
                for e in ws.state.ephemerals
                if not (e["ts"] == original_ts and e["user"] == target.user_id)
            ]
        elif channel is not None and original_ts in channel.by_ts:
            channel.remove(original_ts or "")
        return "deleted", original_ts
    content = _content(ws, payload)
    if payload.get("replace_original") in (True, "true") and original_ts:
        if target.is_ephemeral:
            for ephemeral in ws.state.ephemerals:
                if ephemeral["ts"] == original_ts and ephemeral["user"] == target.user_id:
                    ephemeral.pop("blocks", None)
                    ephemeral.update(content)
        elif channel is not None and original_ts in channel.by_ts:
            message = channel.by_ts[original_ts]
            message.pop("blocks", None)
            message.update(content)
            message["edited"] = {"user": ws.bot_user_id, "ts": ws.new_ts()}
        return "replaced", original_ts
    if payload.get("response_type") == "in_channel" and channel is not None:
        message = ws.bot_message(**content, thread_ts=payload.get("thread_ts"))
        ws.post(channel, message)
        return "in_channel", message["ts"]
    record = _ephemeral(
        ws,
        user_id=target.user_id,
        channel_id=target.channel_id,
        source="response_url",
        content=content,
    )
    return "ephemeral", record["ts"]


def _json_body(body: bytes) -> dict[str, Any] | None:
    if not body.strip():
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return {"text": body.decode("utf-8", "replace")}  # a plain-text reply is a message too
    return data if isinstance(data, dict) else None


def apply_command_reply(
    ws: Workspace,
    *,
    user_id: str,
    channel_id: str,
    command: str,
    text: str,
    status: int,
    body: bytes,
) -> None:
    """Show the app's immediate answer to a slash command as Slack would."""
    with ws.mutation():
        if status != 200:
            _ephemeral(
                ws,
                user_id=user_id,
                channel_id=channel_id,
                source="slack",
                content={"text": f'{command} failed with the error "dispatch_failed"'},
            )
            return
        reply = _json_body(body)
        if not reply or not (reply.get("text") or reply.get("blocks")):
            return
        try:
            content = _content(ws, reply)
        except SlackError as exc:
            content = {"text": f'{command} failed with the error "{exc.error}"'}
        channel = ws.state.channels.get(channel_id)
        if reply.get("response_type") == "in_channel" and channel is not None:
            ws.post(channel, ws.user_message(user_id, f"{command} {text}".strip()))
            ws.post(channel, ws.bot_message(**content))
        else:
            _ephemeral(
                ws, user_id=user_id, channel_id=channel_id, source="command", content=content
            )


def close_view(ws: Workspace, user_id: str, *, clear: bool = False) -> dict[str, Any] | None:
    """Take the top modal (``clear``: all modals) off a person's screen; returns the top one."""
    with ws.mutation():
        stack = ws.state.modal_stacks.get(user_id) or []
        if not stack:
            return None
        top = ws.state.views[stack[-1]]
        if clear or top.get("clear_on_close"):
            stack.clear()
        else:
            stack.pop()
        return top


def apply_view_submission_reply(
    ws: Workspace, user_id: str, view_id: str, status: int, body: bytes
) -> str:
    """Apply the app's answer to a view_submission; returns what happened (closed, errors, ...)."""
    with ws.mutation():
        ws.state.view_errors.pop(view_id, None)
        if status != 200:
            # Slack keeps the modal open and shows a connection error.
            ws.state.view_errors[view_id] = {"": "We had some trouble connecting. Try again?"}
            return "failed"
        reply = _json_body(body) or {}
        action = reply.get("response_action")
        stack = ws.state.modal_stacks.get(user_id) or []
        if action == "errors":
            ws.state.view_errors[view_id] = dict(reply.get("errors") or {})
            return "errors"
        if action == "clear":
            stack.clear()
            return "cleared"
        if action in ("update", "push"):
            try:
                spec = check_view(reply.get("view"), ws.rng, kinds=("modal",))
            except SlackError as exc:
                ws.state.view_errors[view_id] = {"": f"invalid view: {exc.extra}"}
                return "failed"
            current = ws.state.views[view_id]
            if action == "update":
                ws.state.views[view_id] = render_view(
                    ws,
                    view_id,
                    spec,
                    previous=current["previous_view_id"],
                    root=current["root_view_id"],
                )
                return "updated"
            record = render_view(
                ws, ws.ids.new("V"), spec, previous=view_id, root=current["root_view_id"]
            )
            ws.state.views[record["id"]] = record
            ws.state.view_users[record["id"]] = user_id
            stack.append(record["id"])
            return "pushed"
        if view_id in stack:
            stack.remove(view_id)
        return "closed"
