"""views.* methods: modals (open, push, update) and the App Home tab (publish)."""

from __future__ import annotations

import copy
from typing import Any

from bot.core.limits import MODAL_STACK_MAX
from bot.sandbox.errors import SlackError, invalid_arguments
from bot.sandbox.methods.base import Call, method
from bot.sandbox.validation import check_view
from bot.sandbox.workspace import Workspace


def render_view(
    ws: Workspace,
    view_id: str,
    spec: dict[str, Any],
    *,
    previous: str | None = None,
    root: str | None = None,
) -> dict[str, Any]:
    """A stored view as Slack returns it: the app's spec plus ids, hash and empty state."""
    return {
        "id": view_id,
        "team_id": ws.team_id,
        "type": spec["type"],
        "title": spec.get("title"),
        "close": spec.get("close"),
        "submit": spec.get("submit"),
        "blocks": spec.get("blocks", []),
        "private_metadata": spec.get("private_metadata", ""),
        "callback_id": spec.get("callback_id", ""),
        "external_id": spec.get("external_id", ""),
        "state": {"values": {}},
        "hash": f"{int(ws.now())}.{ws.ids.token(8)}",
        "clear_on_close": bool(spec.get("clear_on_close", False)),
        "notify_on_close": bool(spec.get("notify_on_close", False)),
        "previous_view_id": previous,
        "root_view_id": root or view_id,
        "app_id": ws.app_id,
        "app_installed_team_id": ws.team_id,
        "bot_id": ws.bot_id,
    }


def _exchange_trigger(call: Call) -> str:
    """The user a trigger_id was issued for; each trigger opens one view within its lifetime."""
    ws = call.ws
    trigger_id = call.require("trigger_id")
    trigger = ws.state.triggers.get(trigger_id)
    if trigger is None:
        raise SlackError("invalid_trigger_id")
    if trigger.used:
        raise SlackError("exchanged_trigger_id")
    if ws.now() - trigger.issued_at > ws.trigger_ttl:
        raise SlackError("expired_trigger_id")
    trigger.used = True
    return trigger.user_id


def _check_external_id(ws: Workspace, spec: dict[str, Any], own_id: str | None = None) -> None:
    external_id = spec.get("external_id")
    if external_id and any(
        v["external_id"] == external_id and v["id"] != own_id for v in ws.state.views.values()
    ):
        raise SlackError("duplicate_external_id")


def _store(ws: Workspace, user_id: str, record: dict[str, Any]) -> dict[str, Any]:
    ws.state.views[record["id"]] = record
    ws.state.view_users[record["id"]] = user_id
    return {"view": copy.deepcopy(record)}


@method("views.open")
def open_view(call: Call) -> dict[str, Any]:
    """Open a modal for the person whose interaction issued the trigger_id."""
    ws = call.ws
    spec = check_view(call.args.get("view"), ws.rng, kinds=("modal",))
    user_id = _exchange_trigger(call)
    _check_external_id(ws, spec)
    record = render_view(ws, ws.ids.new("V"), spec)
    ws.state.modal_stacks[user_id] = [record["id"]]
    return _store(ws, user_id, record)


@method("views.push")
def push_view(call: Call) -> dict[str, Any]:
    """Push a modal on top of the person's open modal."""
    ws = call.ws
    spec = check_view(call.args.get("view"), ws.rng, kinds=("modal",))
    user_id = _exchange_trigger(call)
    stack = ws.state.modal_stacks.get(user_id) or []
    if not stack:
        raise SlackError("not_found")
    if len(stack) >= MODAL_STACK_MAX:
        raise SlackError("push_limit_reached")
    _check_external_id(ws, spec)
    record = render_view(ws, ws.ids.new("V"), spec, previous=stack[-1], root=stack[0])
    stack.append(record["id"])
    return _store(ws, user_id, record)


@method("views.update")
def update_view(call: Call) -> dict[str, Any]:
    """Replace an open modal or a home tab, by view_id or external_id; ``hash`` guards races."""
    ws = call.ws
    view_id, external_id = call.get("view_id"), call.get("external_id")
    if not view_id and not external_id:
        raise invalid_arguments("must provide either view_id or external_id")
    existing = (
        ws.state.views.get(view_id or "")
        if view_id
        else next((v for v in ws.state.views.values() if v["external_id"] == external_id), None)
    )
    if existing is None:
        raise SlackError("not_found")
    spec = check_view(call.args.get("view"), ws.rng, kinds=(existing["type"],))
    if call.get("hash") and call.get("hash") != existing["hash"]:
        raise SlackError("hash_conflict")
    _check_external_id(ws, spec, existing["id"])
    record = render_view(
        ws,
        existing["id"],
        spec,
        previous=existing["previous_view_id"],
        root=existing["root_view_id"],
    )
    return _store(ws, ws.state.view_users[existing["id"]], record)


@method("views.publish")
def publish_view(call: Call) -> dict[str, Any]:
    """Publish a person's App Home tab (one home view per person, same id on each publish)."""
    ws = call.ws
    user = ws.user(call.require("user_id", "user_not_found"))
    spec = check_view(call.args.get("view"), ws.rng, kinds=("home",))
    current = ws.state.home_views.get(user.id)
    if current and call.get("hash") and call.get("hash") != ws.state.views[current]["hash"]:
        raise SlackError("hash_conflict")
    record = render_view(ws, current or ws.ids.new("V"), spec)
    ws.state.home_views[user.id] = record["id"]
    return _store(ws, user.id, record)
