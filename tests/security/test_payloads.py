"""Arbitrary payloads at every listener: never a 5xx, never a traceback, never half a change.

Each test starts from a real request (a click on a real button by the person it was sent to, the
reflection modal, `/circle`, App Home, a DM), then lets hypothesis break it: strings replaced by
huge, unicode, control-character or number-like text, fields removed or given the wrong type,
numbers out of range, unknown action ids, bodies that are not JSON objects. Every request is
signed correctly, so it reaches Upward's own code. After the app has finished with it (listeners
run after the ack), the database must be unchanged, or changed only where that listener may write
(a mutation can leave a request valid: then its whole effect, and nothing else, is allowed).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.sandbox import payloads
from bot.sandbox.requests import FORM, JSON
from tests.security.conftest import Change, ErrorLog, World, as_interaction, exchange, sound

EXAMPLES = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

Path = tuple[str | int, ...]


# -- what hypothesis throws ----------------------------------------------------------------------

NASTY = [
    "",
    " ",
    "x" * 5000,
    "9" * 40,
    "-1",
    "0",
    "2147483648",
    "1e9",
    "١٢",
    "²",
    "3.5",
    "None",
    "null",
    "true",
    "\x00",
    "\x1b[31m",
    "\u202e",
    "\ud7ff",
    "<!channel>",
    "' OR 1=1 --",
    "%s%n",
    "{{}}",
    "../../etc/passwd",
    "U07LEAD0001",
    "UZZZZZZZZ",
    "learning.answer:",
    "http://127.0.0.1:1/x",
    "Traceback",
]
strings = (
    st.text(max_size=40)
    | st.sampled_from(NASTY)
    | st.text(st.characters(codec="utf-8"), min_size=1, max_size=8)
)
numbers = (
    st.integers()
    | st.sampled_from([2**31, 2**63, -(2**63) - 1, 10**30])
    | st.floats(allow_nan=False)
)
junk = st.recursive(
    st.none() | st.booleans() | numbers | strings,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def paths(value: Any, prefix: Path = ()) -> list[Path]:
    """Every place in a JSON value (dict keys and list items), outermost first."""
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            out += paths(child, prefix + (key,))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            out += paths(child, prefix + (i,))
    return out


def _parent(body: Any, path: Path) -> tuple[Any, str | int] | None:
    """The container holding `path`'s last step, if the path still leads somewhere."""
    node = body
    for step in path[:-1]:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return None
    key = path[-1]
    if isinstance(node, dict) or (
        isinstance(node, list) and isinstance(key, int) and key < len(node)
    ):
        return node, key
    return None


@st.composite
def piecewise(draw: st.DrawFn, value: str) -> str:
    """A `a|b|c` button value with some of its parts replaced (numbers out of range, unicode
    digits...)."""
    parts = value.split("|")
    for i in draw(st.sets(st.integers(0, len(parts) - 1), min_size=1)):
        parts[i] = draw(strings | numbers.map(str))
    if draw(st.booleans()):
        parts = parts[: draw(st.integers(0, len(parts)))] + draw(st.lists(strings, max_size=2))
    return "|".join(parts)


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any], focus: list[Path]) -> Any:
    """`base` with one to three things broken; now and then not a JSON object at all."""
    if draw(st.integers(0, 19)) == 0:
        return draw(st.lists(junk, max_size=2) | strings | numbers | st.none())
    body = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        present = [p for p in focus if _parent(body, p) is not None] or [()]
        path = draw(st.sampled_from(present) | st.sampled_from(paths(body) or [()]))
        place = _parent(body, path) if path else None
        if place is None:
            continue
        node, key = place
        old = node.get(key) if isinstance(node, dict) else node[key]
        how = draw(st.sampled_from(["remove", "junk", "string", "parts"]))
        if how == "remove":
            if isinstance(node, dict):
                node.pop(key, None)
            else:
                del node[key]
        elif how == "parts" and isinstance(old, str) and "|" in old:
            node[key] = draw(piecewise(old))
        else:
            node[key] = draw(junk if how == "junk" else strings)
    return body


# -- what may change ------------------------------------------------------------------------------

Footprint = Callable[[Any, list[Change]], None]  # (the body sent, the database changes) -> assert


def nothing(body: Any, diff: list[Change]) -> None:
    assert not diff, f"the database changed: {diff}"


def within(*tables: str, owner_rows: bool = True) -> Footprint:
    """Only these tables may change, and `people` only for the person the request names."""

    def check(body: Any, diff: list[Change]) -> None:
        assert {c.table for c in diff} <= set(tables), f"changed outside {tables}: {diff}"
        user = (
            body.get("user", {}).get("id")
            if isinstance(body, dict) and isinstance(body.get("user"), dict)
            else None
        )
        for change in diff:
            if change.table == "people" and owner_rows:
                assert change.row["slack_user_id"] == user, f"changed someone else: {change}"
        if any(c.table == "answers" for c in diff):  # an answer is always shown in its message
            assert any(c.table == "outbox" and c.row["method"] == "chat.update" for c in diff), diff

    return check


def throw(
    world: World,
    errors: ErrorLog,
    raw: bytes | str,
    content_type: str,
    footprint: Footprint,
    body: Any,
) -> None:
    """Sign and post `raw`; after the app has finished, check it and rewind the database."""
    done = exchange(world, lambda: world.stack.sender.post(raw, content_type), errors)
    sound(done)
    footprint(body, done.diff)


# -- the listeners ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Click:
    name: str
    what: str  # which message of the world
    find: dict[str, str]
    footprint: Footprint


ANSWER = within("answers", "deliveries", "outbox")
SELF = within("people")
CLICKS = [
    Click("learning.answer", "module", {"action_id_prefix": "learning.answer:"}, ANSWER),
    Click("learning.retry", "module", {"action_id": "learning.retry"}, ANSWER),
    Click("learning.done", "module", {"action_id": "learning.done"}, ANSWER),
    Click("learning.reflect", "module", {"action_id": "learning.reflect"}, nothing),
    Click("learning.snooze", "module", {"action_id": "learning.snooze"}, SELF),
    Click("learning.pause_until", "module", {"action_id": "learning.pause_until"}, SELF),
    Click("learning.opt_out", "module", {"action_id": "learning.opt_out"}, SELF),
    Click("learning.rate", "baseline", {"action_id": "learning.rate:3"}, ANSWER),
    Click("kpis.value", "checkin", {"action_id": "kpis.value:2"}, within("kpi_observations")),
    Click("kpis.observe", "observe", {"action_id": "kpis.observe:4"}, within("kpi_observations")),
    Click("circles.met", "met", {"text": "Yes, we met"}, within("circle_members")),
    Click("circles.pulse", "pulse", {"text": "4"}, within("circle_members")),
    Click("digest.nudge", "digest", {"action_id": "digest.nudge"}, within("outbox")),
    Click(
        "digest.pause", "digest", {"action_id": "digest.pause"}, within("people", owner_rows=False)
    ),
    Click("digest.ping_mentor", "digest", {"action_id": "digest.ping_mentor"}, within("outbox")),
]
CLICK_FOCUS: list[Path] = [
    ("actions", 0, "value"),
    ("actions", 0, "action_id"),
    ("actions", 0, "selected_date"),
    ("actions", 0, "block_id"),
    ("actions", 0),
    ("actions",),
    ("user", "id"),
    ("user",),
    ("type",),
    ("trigger_id",),
    ("response_url",),
    ("container", "channel_id"),
    ("channel", "id"),
    ("team", "id"),
    ("view",),
    ("message",),
]


def real_click(world: World, click: Click) -> dict[str, Any]:
    """The click its recipient would send on the world's real message."""
    find = dict(click.find)
    prefix = find.pop("action_id_prefix", None)
    if prefix:  # the first option of the first unanswered question
        blocks = world.messages[click.what]["message"]["blocks"]
        find["value"] = next(
            e["value"]
            for _, e in payloads.interactive_elements(blocks)
            if e.get("action_id", "").startswith(prefix)
        )
    return world.real_click(click.what, **find)


@pytest.mark.parametrize("click", CLICKS, ids=[c.name for c in CLICKS])
@EXAMPLES
@given(data=st.data())
def test_a_mutated_click_never_breaks_a_listener(
    world: World, errors_logged: ErrorLog, click: Click, data: st.DataObject
) -> None:
    base = real_click(world, click)
    body = data.draw(mutated(base, CLICK_FOCUS), label="payload")
    throw(world, errors_logged, as_interaction(body), FORM, click.footprint, body)


@EXAMPLES
@given(
    data=st.data(),
    action_id=strings
    | st.sampled_from(["circles.met:", "kpis.value:", "digest.", "learning.answer:x"]),
)
def test_an_unknown_action_id_is_answered_politely(
    world: World, errors_logged: ErrorLog, data: st.DataObject, action_id: str
) -> None:
    base = real_click(world, CLICKS[0])
    base["actions"][0]["action_id"] = action_id
    body = (
        data.draw(mutated(base, [("actions", 0, "value"), ("user", "id")]), label="payload")
        if data.draw(st.booleans())
        else base
    )
    throw(world, errors_logged, as_interaction(body), FORM, ANSWER, body)


VIEW_FOCUS: list[Path] = [
    ("view", "private_metadata"),
    ("view", "callback_id"),
    ("view", "id"),
    ("view", "type"),
    ("view", "state", "values", "reflection", "text", "value"),
    ("view", "state", "values", "reflection", "text"),
    ("view", "state", "values", "reflection"),
    ("view", "state", "values"),
    ("view", "state"),
    ("view",),
    ("user", "id"),
    ("user",),
    ("type",),
    ("trigger_id",),
    ("response_urls",),
]


@EXAMPLES
@given(data=st.data(), text=strings | st.text(min_size=1900, max_size=2100))
def test_a_mutated_modal_submission_never_breaks_its_listener(
    world: World, errors_logged: ErrorLog, data: st.DataObject, text: str
) -> None:
    view = json.loads(json.dumps(world.views["reflection"]))
    view["state"] = {
        "values": {"reflection": {"text": {"type": "plain_text_input", "value": text}}}
    }
    with world.ws.lock:
        base = payloads.view_submission(world.ws, user_id=world.executive, view=view)
    body = (
        data.draw(mutated(base, VIEW_FOCUS), label="payload") if data.draw(st.booleans()) else base
    )
    throw(world, errors_logged, as_interaction(body), FORM, ANSWER, body)


COMMAND_WRITES = within(
    "circles", "circle_prompts", "mentor_notes", "circle_members", "outbox", "kpi_observations"
)
COMMANDS = [
    "",
    "help",
    "list",
    "prompt",
    "close",
    "form",
    "form --dry-run",
    "note a short note",
    "schedule 2026-12-10 15:00",
    "schedule 2026-02-30 25:61",
    "attended <@U07LEAD0001>",
    "add <@UNOBODY1>",
    "remove <@U07EXEC0001|sam>",
    "dance",
]


@EXAMPLES
@given(
    data=st.data(),
    text=strings
    | st.sampled_from(COMMANDS)
    | st.builds(lambda c, s: f"{c} {s}", st.sampled_from(COMMANDS), strings),
)
def test_any_circle_command_text_or_fields_never_break_it(
    world: World, errors_logged: ErrorLog, data: st.DataObject, text: str
) -> None:
    with world.ws.lock:
        fields: dict[str, Any] = payloads.slash_command(
            world.ws,
            user_id=world.other_mentor,
            command="/circle",
            text=text,
            channel_id=world.open_circle.slack_channel_id,
        )
    for key in data.draw(
        st.sets(
            st.sampled_from(["user_id", "channel_id", "command", "response_url", "team_id"]),
            max_size=2,
        )
    ):
        if data.draw(st.booleans()):
            fields.pop(key)
        else:
            fields[key] = data.draw(strings)
    throw(world, errors_logged, urlencode(fields), FORM, COMMAND_WRITES, fields)


EVENT_FOCUS: list[Path] = [
    ("event", "user"),
    ("event", "tab"),
    ("event", "type"),
    ("event", "channel"),
    ("event",),
    ("type",),
    ("team_id",),
    ("authorizations",),
]


@EXAMPLES
@given(data=st.data())
def test_a_mutated_app_home_opened_event_never_breaks_it(
    world: World, errors_logged: ErrorLog, data: st.DataObject
) -> None:
    with world.ws.lock:
        base = payloads.app_home_opened(
            world.ws,
            user_id=world.executive,
            channel_id=world.stack.person(world.executive).dm_channel_id,
        )
    base["event"].pop(
        "view", None
    )  # the tab as last published: its shape would change between examples
    body = data.draw(mutated(base, EVENT_FOCUS), label="event")
    throw(world, errors_logged, json.dumps(body), JSON, nothing, body)


@EXAMPLES
@given(data=st.data(), text=strings)
def test_a_direct_message_to_the_bot_never_breaks_it(
    world: World, errors_logged: ErrorLog, data: st.DataObject, text: str
) -> None:
    channel = world.stack.person(world.executive).dm_channel_id
    message = {"type": "message", "user": world.executive, "text": text, "ts": "1764000000.000100"}
    with world.ws.lock:
        base = payloads.message_im(world.ws, message=message, channel_id=channel)
    body = data.draw(mutated(base, EVENT_FOCUS + [("event", "text")]), label="event")
    throw(world, errors_logged, json.dumps(body), JSON, nothing, body)


@EXAMPLES
@given(
    raw=st.binary(max_size=200)
    | st.text(max_size=200).map(str.encode)
    | junk.map(lambda v: json.dumps(v).encode()),
    content_type=st.sampled_from([FORM, JSON, "text/plain", ""]),
)
def test_a_body_that_is_no_slack_request_at_all_is_refused(
    world: World, errors_logged: ErrorLog, raw: bytes, content_type: str
) -> None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raw = raw.decode("latin-1").encode()  # slack_sdk signs text; Slack sends nothing else
    throw(world, errors_logged, raw, content_type, nothing, None)


def test_an_id_echoed_back_is_not_mistaken_for_a_crash_shown_to_a_person(
    world: World, errors_logged: ErrorLog
) -> None:
    """A made-up trigger_id ('Traceback') is passed to views.open as Slack requires; it is not text
    a person reads, so the crash check looks at the modal's words, which must still be clean."""
    body = real_click(world, next(c for c in CLICKS if c.name == "learning.reflect"))
    body["trigger_id"] = "Traceback"
    throw(world, errors_logged, as_interaction(body), FORM, nothing, body)
