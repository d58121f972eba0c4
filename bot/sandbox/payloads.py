"""The requests Slack sends to an app, built from the stand-in's real state.

Slash commands are form fields; interactivity (block_actions, view_submission, view_closed) is a
JSON ``payload`` form field; Events API callbacks are raw JSON. Each payload carries a trigger_id
and response_url the stand-in will honour.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator, Mapping
from typing import Any

from bot.core.limits import INTERACTIVE_TYPES
from bot.sandbox.interactions import issue_trigger_id, new_response_url
from bot.sandbox.workspace import Workspace

SELECT_ONE = {"static_select", "external_select", "overflow", "radio_buttons"}
SELECT_MANY = {"multi_static_select", "multi_external_select", "checkboxes"}
# Element type -> key its chosen value travels under (in actions[] and in view state alike).
PICKED_KEYS = {
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
    "users_select": "selected_user",
    "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel",
    "multi_channels_select": "selected_channels",
    "plain_text_input": "value",
    "email_text_input": "value",
    "url_text_input": "value",
    "number_input": "value",
}
INITIAL_KEYS = {
    "selected_date": "initial_date",
    "selected_time": "initial_time",
    "selected_date_time": "initial_date_time",
    "selected_user": "initial_user",
    "selected_users": "initial_users",
    "selected_conversation": "initial_conversation",
    "selected_conversations": "initial_conversations",
    "selected_channel": "initial_channel",
    "selected_channels": "initial_channels",
    "value": "initial_value",
}


def _now_ts() -> str:
    return f"{time.time():.6f}"


def user_ref(ws: Workspace, user_id: str) -> dict[str, Any]:
    """The ``user`` object of an interaction payload."""
    name = ws.state.users[user_id].name
    return {"id": user_id, "username": name, "name": name, "team_id": ws.team_id}


def team_ref(ws: Workspace) -> dict[str, Any]:
    return {"id": ws.team_id, "domain": ws.domain}


def channel_ref(ws: Workspace, channel_id: str) -> dict[str, Any]:
    """The ``channel`` object of a payload; DMs are named ``directmessage`` as on Slack."""
    channel = ws.state.channels[channel_id]
    name = "directmessage" if channel.is_im else channel.name
    return {"id": channel_id, "name": name}


def slash_command(
    ws: Workspace, *, user_id: str, command: str, text: str, channel_id: str
) -> dict[str, str]:
    """The form fields of a slash command invocation."""
    return {
        "token": ws.seed.verification_token,
        "team_id": ws.team_id,
        "team_domain": ws.domain,
        "channel_id": channel_id,
        "channel_name": channel_ref(ws, channel_id)["name"],
        "user_id": user_id,
        "user_name": ws.state.users[user_id].name,
        "command": command,
        "text": text,
        "api_app_id": ws.app_id,
        "is_enterprise_install": "false",
        "response_url": new_response_url(ws, user_id=user_id, channel_id=channel_id),
        "trigger_id": issue_trigger_id(ws, user_id),
    }


def interactive_elements(
    blocks: list[dict[str, Any]],
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(block, element) for every element a person can act on, in reading order."""
    for block in blocks or []:
        candidates = list(block.get("elements") or []) if block.get("type") == "actions" else []
        candidates += [block.get("accessory"), block.get("element")]
        for element in candidates:
            if isinstance(element, dict) and element.get("type") in INTERACTIVE_TYPES:
                yield block, element


def options_of(element: Mapping[str, Any]) -> list[dict[str, Any]]:
    """An element's options, option groups flattened."""
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


def action_entry(
    block: Mapping[str, Any],
    element: Mapping[str, Any],
    *,
    option: dict[str, Any] | None = None,
    picked: Any = None,
) -> dict[str, Any]:
    """One entry of ``actions[]`` for acting on ``element`` (choosing ``option``/``picked``)."""
    kind = element["type"]
    entry: dict[str, Any] = {
        "type": kind,
        "action_id": element["action_id"],
        "block_id": block["block_id"],
        "action_ts": _now_ts(),
    }
    if kind == "button":
        entry["text"] = element["text"]
        if "value" in element:
            entry["value"] = element["value"]
        if "style" in element:
            entry["style"] = element["style"]
    elif kind in SELECT_ONE:
        entry["selected_option"] = option
    elif kind in SELECT_MANY:
        entry["selected_options"] = [option] if option is not None else []
    elif kind in PICKED_KEYS:
        entry[PICKED_KEYS[kind]] = picked
    if "placeholder" in element:
        entry["placeholder"] = element["placeholder"]
    return entry


def block_actions(
    ws: Workspace,
    *,
    user_id: str,
    action: dict[str, Any],
    message: dict[str, Any] | None = None,
    channel_id: str | None = None,
    is_ephemeral: bool = False,
    view: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A block_actions payload from a message (in ``channel_id``) or from a view."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": user_ref(ws, user_id),
        "api_app_id": ws.app_id,
        "token": ws.seed.verification_token,
        "trigger_id": issue_trigger_id(ws, user_id),
        "team": team_ref(ws),
        "enterprise": None,
        "is_enterprise_install": False,
        "state": {"values": {}},
        "actions": [action],
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view["id"]}
        payload["view"] = copy.deepcopy(view)
        return payload
    assert message is not None and channel_id is not None, "a message action needs its channel"
    payload["container"] = {
        "type": "message",
        "message_ts": message["ts"],
        "channel_id": channel_id,
        "is_ephemeral": is_ephemeral,
    }
    payload["channel"] = channel_ref(ws, channel_id)
    if not is_ephemeral:  # Slack leaves the message out for ephemeral sources
        shown = copy.deepcopy(message)
        shown.pop("metadata", None)
        payload["message"] = shown
    payload["response_url"] = new_response_url(
        ws,
        user_id=user_id,
        channel_id=channel_id,
        message_ts=message["ts"],
        is_ephemeral=is_ephemeral,
    )
    return payload


def _view_payload(ws: Workspace, kind: str, user_id: str, view: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": kind,
        "team": team_ref(ws),
        "user": user_ref(ws, user_id),
        "api_app_id": ws.app_id,
        "token": ws.seed.verification_token,
        "view": copy.deepcopy(view),
        "enterprise": None,
        "is_enterprise_install": False,
    }


def view_submission(ws: Workspace, *, user_id: str, view: dict[str, Any]) -> dict[str, Any]:
    """A view_submission payload for a view whose ``state.values`` are filled in."""
    payload = _view_payload(ws, "view_submission", user_id, view)
    payload.update(trigger_id=issue_trigger_id(ws, user_id), response_urls=[])
    return payload


def view_closed(
    ws: Workspace, *, user_id: str, view: dict[str, Any], is_cleared: bool = False
) -> dict[str, Any]:
    """A view_closed payload (sent only for views opened with notify_on_close)."""
    payload = _view_payload(ws, "view_closed", user_id, view)
    payload["is_cleared"] = is_cleared
    return payload


def event_callback(ws: Workspace, event: dict[str, Any]) -> dict[str, Any]:
    """The Events API envelope around one event."""
    now = time.time()
    return {
        "token": ws.seed.verification_token,
        "team_id": ws.team_id,
        "api_app_id": ws.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": ws.ids.new("Ev", 9),
        "event_time": int(now),
        "event_context": f"4-{ws.ids.token(16)}",
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": ws.team_id,
                "user_id": ws.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


def app_home_opened(ws: Workspace, *, user_id: str, channel_id: str) -> dict[str, Any]:
    """An ``app_home_opened`` event (home tab), with the published view if there is one."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": channel_id,
        "tab": "home",
        "event_ts": _now_ts(),
    }
    view = ws.home_tab(user_id)
    if view is not None:
        event["view"] = view
    return event_callback(ws, event)


def message_im(ws: Workspace, *, message: dict[str, Any], channel_id: str) -> dict[str, Any]:
    """A ``message`` event for something a person wrote in the bot's DM."""
    event = {
        **copy.deepcopy(message),
        "channel": channel_id,
        "event_ts": message["ts"],
        "channel_type": "im",
    }
    return event_callback(ws, event)


def url_verification(challenge: str, token: str = "sandboxverificationtoken") -> dict[str, Any]:
    """The handshake Slack sends when a request URL is configured."""
    return {"token": token, "challenge": challenge, "type": "url_verification"}


def initial_state(element: Mapping[str, Any]) -> dict[str, Any]:
    """The state Slack reports for an input nobody touched: its initial value, else null."""
    kind = element["type"]
    state: dict[str, Any] = {"type": kind}
    if kind in SELECT_ONE:
        state["selected_option"] = element.get("initial_option")
    elif kind in SELECT_MANY:
        state["selected_options"] = element.get("initial_options") or []
    elif kind == "rich_text_input":
        state["rich_text_value"] = element.get("initial_value")
    elif kind in PICKED_KEYS:
        key = PICKED_KEYS[kind]
        state[key] = element.get(INITIAL_KEYS[key])
    return state


def filled_state(element: Mapping[str, Any], given: Any) -> dict[str, Any]:
    """The state of an input once a person entered ``given`` (selects: option text or value)."""
    kind = element["type"]
    state: dict[str, Any] = {"type": kind}
    if kind in SELECT_ONE | SELECT_MANY:
        wanted = given if isinstance(given, (list, tuple)) else [given]
        chosen = [pick_option(element, str(w)) for w in wanted]
        if kind in SELECT_ONE:
            state["selected_option"] = chosen[0] if chosen else None
        else:
            state["selected_options"] = chosen
    elif kind == "rich_text_input":
        state["rich_text_value"] = {
            "type": "rich_text",
            "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": str(given)}]}
            ],
        }
    else:
        state[PICKED_KEYS.get(kind, "value")] = given
    return state


def pick_option(element: Mapping[str, Any], wanted: str) -> dict[str, Any]:
    """The option whose value or visible text is ``wanted`` (text compared case-insensitively)."""
    options = options_of(element)
    for option in options:
        if option.get("value") == wanted or option["text"]["text"].lower() == wanted.lower():
            return option
    shown = [o["text"]["text"] for o in options]
    raise LookupError(f"{element.get('action_id')!r} has no option {wanted!r}; options: {shown}")
