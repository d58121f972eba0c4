"""The sandbox inspector: click through Upward by hand as any simulated person, in a browser.

``GET /sandbox/inspector`` lists the stand-in's people and channels; a person's page
(``/sandbox/inspector/person/U…``, drawn by ``bot.sandbox.inspector_pages``) shows their DM with
the app, their App Home tab and any modal on their screen. Each button, date picker and select
there is a small form (``bot.sandbox.inspector_blocks``): pressing it POSTs here, and the
stand-in sends the app the request Slack would send for that person (block_actions,
view_submission, app_home_opened, a slash command), built from the stored blocks exactly as
``SimulatedUser`` builds it, waits for the app's answer to settle, and redirects back. It goes
the way the app listens (``stand_in.transport``): signed HTTP to ``request_url``, or an envelope
over the app's Socket Mode connection.

The inspector acts as anyone, so it answers only requests from this machine.
"""

from __future__ import annotations

import ipaddress
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, urlencode, urlsplit

from bot.sandbox import payloads
from bot.sandbox.errors import SlackError
from bot.sandbox.inspector_blocks import PREFIX
from bot.sandbox.inspector_pages import channel_page, index_page, message_page, person_page
from bot.sandbox.people import SimulatedUser
from bot.sandbox.socket_mode import SocketModeServer
from bot.sandbox.socket_sender import SocketAck
from bot.sandbox.standin import StandIn
from bot.sandbox.workspace import Workspace

SETTLE_FIRST = 2.0  # seconds to wait for the app's first Web API call after an action
SETTLE_QUIET = 0.3  # ...and for its calls to stop, so the page shows the answer


@dataclass
class Answer:
    """What the stand-in's HTTP handler sends back: an HTML page or a redirect."""

    status: int
    html: str = ""
    location: str | None = None


class Inspected(StandIn, Protocol):
    """A stand-in whose people the inspector can act as (SlackStandIn)."""

    socket_mode: SocketModeServer

    def person(self, user_id: str, request_url: str) -> SimulatedUser: ...

    def socket_person(self, user_id: str) -> SimulatedUser: ...


class InspectorError(Exception):
    """An action the inspector cannot carry out; the message says why and what to do."""


def handle(
    stand_in: Inspected, verb: str, path: str, query: str, body: bytes, *, client: str
) -> Answer:
    """Answer one request under ``/sandbox/inspector``."""
    if not _is_local(client):
        why = "It acts as any person in the workspace; open it on the machine running the sandbox."
        return Answer(403, message_page("Only this machine may use the inspector", why))
    rest = path.removeprefix(PREFIX).strip("/")
    args = {k: v[-1] for k, v in parse_qs(query).items()}
    notice = (args.get("note", ""), args.get("bad") == "1")
    if verb == "GET":
        kind, _, key = rest.partition("/")
        if rest == "":
            return Answer(200, index_page(stand_in))
        if kind == "person" and key:
            return _page(lambda: person_page(stand_in, key, notice))
        if kind == "channel" and key:
            return _page(lambda: channel_page(stand_in, key, args.get("as", ""), notice))
    elif verb == "POST" and rest in ACTIONS:
        form = {
            k: v[-1]
            for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()
        }
        try:
            note, bad = ACTIONS[rest](stand_in, form), False
        except InspectorError as exc:
            note, bad = str(exc), True
        return Answer(303, location=_back(form, note, bad))
    return Answer(
        404, message_page("Not found", f"Nothing at {path}; start from the inspector's index.")
    )


def _page(draw: Callable[[], str]) -> Answer:
    try:
        return Answer(200, draw())
    except LookupError as exc:
        return Answer(404, message_page("Not found", str(exc.args[0] if exc.args else exc)))


def _is_local(client: str) -> bool:
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def _back(form: dict[str, str], note: str, bad: bool) -> str:
    """The page the form came from (only ever an inspector page), with a note of what happened."""
    back = form.get("back") or PREFIX
    parts = urlsplit(back)
    if parts.scheme or parts.netloc or not parts.path.startswith(PREFIX) or "\\" in back:
        back, parts = PREFIX, urlsplit(PREFIX)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items() if k not in ("note", "bad")}
    query["note"] = note
    if bad:
        query["bad"] = "1"
    anchor = form.get("anchor", "")
    safe = anchor.replace("-", "").replace(".", "").isalnum()  # m-<ts>, home, latest
    return f"{parts.path}?{urlencode(query)}" + (f"#{anchor}" if safe else "")


# -- acting as a person ----------------------------------------------------------------------
def _person(stand_in: Inspected, user_id: str) -> SimulatedUser:
    """The person, sending the way the app listens: over its socket, or signed HTTP."""
    if stand_in.transport == "socket" and not stand_in.socket_mode.live_connections():
        raise InspectorError(
            "Upward holds no Socket Mode connection to the stand-in, so nothing was sent. Start"
            " it with the stand-in's app token (SLACK_APP_TOKEN) and let it connect."
        )
    request_url = stand_in.request_url
    if stand_in.transport != "socket" and not request_url:
        raise InspectorError(
            "The stand-in does not know where Upward listens, so nothing was sent. Run `upward"
            " serve --sandbox`, or set `stand_in.request_url` to Upward's /slack/events URL."
        )
    try:
        if stand_in.transport == "socket":
            return stand_in.socket_person(user_id)
        return stand_in.person(user_id, request_url or "")
    except SlackError:
        raise InspectorError(f"There is no person {user_id!r} in the stand-in.") from None


def _name(ws: Workspace, user_id: str) -> str:
    with ws.lock:
        user = ws.state.users[user_id]
        return user.real_name or user.name


def _sent(person: SimulatedUser, what: str, send: Callable[[], Any]) -> str:
    """Send a request as the person, wait for the app's answer to settle; a note of what
    happened."""
    before = _activity(person.ws)
    try:
        response = send()
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InspectorError(
            f"{what}, but Upward did not answer at {person.sender.target} ({reason}). "
            "Is `upward serve --sandbox` still running?"
        ) from None
    _settle(person.ws, before)
    if isinstance(response, SocketAck):
        return f"{what}; Upward acknowledged the envelope."
    status = getattr(response, "status", 200)
    if status != 200:
        raise InspectorError(
            f"{what}; Upward answered HTTP {status}, so Slack would show the person an error."
        )
    return f"{what}; Upward answered HTTP 200."


def _activity(ws: Workspace) -> int:
    with ws.lock:
        return len(ws.state.calls) + len(ws.state.responses)


def _settle(ws: Workspace, before: int) -> None:
    """Wait until the app has called the Web API after the action and then stopped for a moment."""
    start = last_change = time.monotonic()
    seen = before
    while time.monotonic() - start < SETTLE_FIRST + 3:
        now_seen = _activity(ws)
        if now_seen != seen:
            seen, last_change = now_seen, time.monotonic()
        quiet = time.monotonic() - last_change
        if (seen > before and quiet >= SETTLE_QUIET) or (seen == before and quiet >= SETTLE_FIRST):
            return
        time.sleep(0.03)


def _visible_source(ws: Workspace, user_id: str, form: dict[str, str]) -> dict[str, Any]:
    """The message or view the form names, as this person can see it now (call with the lock
    held)."""
    state = ws.state
    if form.get("view"):
        view_id = form["view"]
        if view_id != state.home_views.get(user_id) and view_id not in state.modal_stacks.get(
            user_id, []
        ):
            raise InspectorError(
                "That view is no longer on the person's screen; the page shows what is there now."
            )
        return {"view": state.views[view_id], "blocks": state.views[view_id].get("blocks") or []}
    ts, channel_id = form.get("ts", ""), form.get("channel", "")
    if form.get("ephemeral") == "1":
        found = next((e for e in state.ephemerals if e["user"] == user_id and e["ts"] == ts), None)
    else:
        channel = state.channels.get(channel_id)
        found = (
            channel.by_ts.get(ts) if channel is not None and user_id in channel.members else None
        )
    if found is None:
        raise InspectorError(
            "That message is gone (Upward deleted or replaced it); the page shows what is there"
            " now."
        )
    return {
        "message": found,
        "channel_id": found.get("channel", channel_id),
        "is_ephemeral": form.get("ephemeral") == "1",
        "blocks": found.get("blocks") or [],
    }


def _element(
    blocks: list[dict[str, Any]], block_id: str, action_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    for block, element in payloads.interactive_elements(blocks):
        if block.get("block_id") == block_id and element.get("action_id") == action_id:
            return block, element
    raise InspectorError(
        "That button is no longer there (Upward updated the message); the page shows it as it is"
        " now."
    )


def click(stand_in: Inspected, form: dict[str, str]) -> str:
    """Press a button, pick a date or choose an option, as the person: a signed block_actions."""
    person = _person(stand_in, form.get("user", ""))
    ws = person.ws
    with ws.lock:
        source = _visible_source(ws, person.user_id, form)
        block, element = _element(
            source.pop("blocks"), form.get("block_id", ""), form.get("action_id", "")
        )
        option = picked = None
        if payloads.options_of(element):
            try:
                option = payloads.pick_option(element, form.get("option", ""))
            except LookupError:
                raise InspectorError("Choose one of the options first.") from None
            what = f"chose “{option['text']['text']}”"
        elif element["type"] in payloads.PICKED_KEYS:
            picked = form.get("picked") or None
            if picked is None:
                raise InspectorError(
                    "Pick a date (or time) first, then press the button next to it."
                )
            hint = (element.get("placeholder") or {}).get("text") or element["action_id"]
            what = f"picked {picked} in “{hint}”"
        else:
            label = (element.get("text") or {}).get("text") or element["action_id"]
            what = f"pressed “{label}”"
        action = payloads.action_entry(block, element, option=option, picked=picked)
        payload = payloads.block_actions(ws, user_id=person.user_id, action=action, **source)
    return _sent(
        person,
        f"{_name(ws, person.user_id)} {what}",
        lambda: person.sender.send_interaction(payload),
    )


def submit(stand_in: Inspected, form: dict[str, str]) -> str:
    """Fill the open modal's inputs from the form and press its submit button (a signed
    view_submission)."""
    person = _person(stand_in, form.get("user", ""))
    view = person.current_view()
    if view is None or view["id"] != form.get("view"):
        raise InspectorError(
            "That form is no longer open; the page shows what is on the person's screen now."
        )
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        element = block.get("element") if block.get("type") == "input" else None
        if not element:
            continue
        given = form.get(f"input-{block['block_id']}", "")
        if given:
            values[block["block_id"]] = given
        elif element["type"] in payloads.PICKED_KEYS:  # emptied: Slack reports null
            values[block["block_id"]] = None
    title = (view.get("title") or {}).get("text") or "the form"
    try:
        note = _sent(
            person,
            f"{_name(person.ws, person.user_id)} submitted “{title}”",
            lambda: person.submit_view(values),
        )
    except ValueError:
        raise InspectorError(
            "Fill in every field not marked (optional); "
            "Slack will not submit the form without them."
        ) from None
    if person.ws.view_errors(view["id"]):
        raise InspectorError(
            f"{note.removesuffix('.')}, and it asked for changes (shown in the form)."
        )
    return note


def close(stand_in: Inspected, form: dict[str, str]) -> str:
    """Press the modal's Cancel (the app hears of it only if it asked to)."""
    person = _person(stand_in, form.get("user", ""))
    view = person.current_view()
    if view is None:
        raise InspectorError("No form is open.")
    if not view.get("notify_on_close"):
        person.close_view()
        return f"{_name(person.ws, person.user_id)} closed the form."
    return _sent(person, f"{_name(person.ws, person.user_id)} closed the form", person.close_view)


def open_home(stand_in: Inspected, form: dict[str, str]) -> str:
    """Open the app's Home tab as the person (Slack sends app_home_opened on every visit)."""
    person = _person(stand_in, form.get("user", ""))
    return _sent(person, f"{_name(person.ws, person.user_id)} opened App Home", person.open_home)


def command(stand_in: Inspected, form: dict[str, str]) -> str:
    """Run a slash command as the person, in their DM with the app or in a channel they are in."""
    person = _person(stand_in, form.get("user", ""))
    name = form.get("command", "/circle")
    if not name.startswith("/") or not name[1:].replace("-", "").replace("_", "").isalnum():
        raise InspectorError(f"{name!r} is not a slash command; they look like /circle.")
    channel = form.get("channel") or None
    if channel is not None:
        with person.ws.lock:
            found = person.ws.state.channels.get(channel)
            if found is None or person.user_id not in found.members:
                raise InspectorError(
                    "The person is not in that channel, so Slack would not run the command there."
                )
    text = form.get("text", "").strip()
    return _sent(
        person,
        f"{_name(person.ws, person.user_id)} ran {name} {text}".rstrip(),
        lambda: person.command(name, text, channel_id=channel),
    )


ACTIONS: dict[str, Callable[[Inspected, dict[str, str]], str]] = {
    "click": click,
    "submit": submit,
    "close": close,
    "home": open_home,
    "command": command,
}
