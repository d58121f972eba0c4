"""What a request to /slack/events must look like before Bolt reads it.

Bolt and the listeners rely on the shape of what Slack sends: a JSON object, a `user` with an
`id`, a non-empty list of `actions`, a `view` with a `callback_id`, ids in Slack's alphabet. A body
that breaks it raises inside Bolt (an HTTP 500) or in a listener after the ack, where nobody sees
the error. Slack never sends such a body, so the web app refuses it with a 400 and touches nothing.
Only the fields Bolt or Upward read are checked; the rest passes through as it came.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from slack_bolt.request.internals import parse_body

# User, channel, team and view ids: an upper-case letter, then upper-case letters and digits.
SlackId = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{1,31}$")]
ActionId = Annotated[str, StringConstraints(min_length=1, max_length=255)]
Url = Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$", max_length=3000)]


class _Shape(BaseModel):
    # strict: a number where Slack sends a string is a different request, not one to coerce.
    model_config = ConfigDict(extra="allow", strict=True)


class _Ref(_Shape):
    """A `team`, `enterprise` or `channel` object."""

    id: str | None = None


class _Authorization(_Shape):
    enterprise_id: str | None = None
    team_id: str | None = None
    user_id: str | None = None
    is_bot: bool | None = None
    is_enterprise_install: bool | None = None


class _User(_Shape):
    id: SlackId
    team_id: str | None = None


class _Common(_Shape):
    """What Bolt's context builder reads from any body."""

    type: str | None = None
    team: str | _Ref | None = None
    enterprise: str | _Ref | None = None
    channel: str | _Ref | None = None
    authorizations: list[_Authorization] | None = None
    is_enterprise_install: bool | str | None = None
    is_ext_shared_channel: bool | None = None
    enterprise_id: str | None = None
    team_id: str | None = None
    thread_ts: str | None = None
    response_url: Url | None = None
    response_urls: list[dict[str, Any]] | None = None
    trigger_id: str | None = None
    message: dict[str, Any] | None = None
    container: dict[str, Any] | None = None
    function_data: dict[str, Any] | None = None


class _ViewState(_Shape):
    values: dict[str, dict[str, dict[str, Any]]] = {}


class _View(_Shape):
    id: str | None = None
    type: str
    callback_id: str | None = None
    private_metadata: str | None = None
    state: _ViewState | None = None
    team_id: str | None = None
    app_installed_team_id: str | None = None


class _Action(_Shape):
    action_id: ActionId
    block_id: str | None = None
    type: str | None = None
    value: str | None = None
    selected_date: str | None = None
    selected_option: dict[str, Any] | None = None
    action_ts: str | None = None


class _Interaction(_Common):
    """Any interactivity payload: someone did something."""

    type: Literal[
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
        "interactive_message",
        "dialog_submission",
        "dialog_cancellation",
        "dialog_suggestion",
        "workflow_step_edit",
    ]
    user: _User
    view: _View | None = None


class _BlockActions(_Interaction):
    type: Literal["block_actions"]
    actions: list[_Action] = Field(min_length=1)


class _SubmittedView(_View):
    callback_id: str


class _ViewSubmission(_Interaction):
    type: Literal["view_submission", "view_closed"]
    view: _SubmittedView


class _Command(_Shape):
    """A slash command's form fields (always strings)."""

    command: Annotated[str, StringConstraints(pattern=r"^/\S{1,31}$")]
    user_id: SlackId
    channel_id: SlackId | None = None
    team_id: str | None = None
    text: str = ""
    response_url: Url | None = None


class _Event(_Shape):
    type: str
    user: SlackId | None = None
    channel: str | None = None
    tab: str | None = None
    team: str | None = None
    user_team: str | None = None
    bot_id: str | None = None
    subtype: str | None = None
    thread_ts: str | None = None
    view: dict[str, Any] | None = None
    message: dict[str, Any] | None = None
    previous_message: dict[str, Any] | None = None


class _AppHomeOpened(_Event):
    type: Literal["app_home_opened"]
    user: SlackId


class _EventCallback(_Common):
    type: Literal["event_callback"]
    event: _Event


class _UrlVerification(_Shape):
    type: Literal["url_verification"]
    challenge: str


_INTERACTIONS: dict[str, type[_Interaction]] = {
    "block_actions": _BlockActions,
    "view_submission": _ViewSubmission,
    "view_closed": _ViewSubmission,
}


def problem(body: bytes, content_type: str | None) -> str | None:
    """Why Slack would never send this body (None when it is well-formed), read as Bolt reads it."""
    try:
        parsed = parse_body(body.decode("utf-8"), content_type)  # Bolt's own reading of a body
    except UnicodeDecodeError:
        return "not UTF-8"
    except ValueError:
        return "not JSON"
    except RecursionError:
        return "nested too deeply"
    return problem_in(parsed)


def problem_in(parsed: Any) -> str | None:
    """`problem` of a body already parsed (as Bolt's parse_body does), so it is not read twice."""
    if not isinstance(parsed, dict):
        return f"a JSON {type(parsed).__name__}, not an object"
    try:
        if _has_nul(parsed):
            return "a NUL character"
    except RecursionError:
        return "nested too deeply"
    try:
        _validate(parsed)
    except ValidationError as exc:
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc']) or 'body'}: {first['msg']}"
    return None


def _validate(body: dict[str, Any]) -> None:
    _Common.model_validate(body)
    kind = body.get("type")
    if "command" in body:
        _Command.model_validate(body)
    elif (
        kind == "event_callback" or "event" in body
    ):  # Bolt hands `event` to listeners only in an event_callback
        event = _EventCallback.model_validate(body).event
        if event.type == "app_home_opened":
            _AppHomeOpened.model_validate(body["event"])
    elif kind == "url_verification":
        _UrlVerification.model_validate(body)
    elif "user" in body or kind in _INTERACTIONS:
        _INTERACTIONS.get(kind, _Interaction).model_validate(body)  # type: ignore[arg-type]


def _has_nul(value: Any) -> bool:
    """Slack never sends a NUL; PostgreSQL cannot store or even compare one."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False
