"""Bodies Slack never sends: a 400 (a 401 without a valid signature), never a 500, and nothing done.

Bolt trusts the shape of what it is given; before the web app checked it, each of these made Bolt
raise (an HTTP 500) or made a listener fail after its ack, where nobody would see it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.sandbox import payloads
from bot.sandbox.requests import FORM, JSON
from tests.security.conftest import ErrorLog, World, as_interaction, exchange, sound


def _click(world: World, change: Callable[[dict[str, Any]], None]) -> tuple[str, str]:
    body = world.real_click("module", action_id="learning.done")
    change(body)
    return as_interaction(body), FORM


def _submission(world: World, change: Callable[[dict[str, Any]], None]) -> tuple[str, str]:
    with world.ws.lock:
        body = payloads.view_submission(
            world.ws,
            user_id=world.executive,
            view=json.loads(json.dumps(world.views["reflection"])),
        )
    change(body)
    return as_interaction(body), FORM


def _home_opened(world: World, change: Callable[[dict[str, Any]], None]) -> tuple[str, str]:
    with world.ws.lock:
        body = payloads.app_home_opened(
            world.ws,
            user_id=world.executive,
            channel_id=world.stack.person(world.executive).dm_channel_id,
        )
    change(body)
    return json.dumps(body), JSON


def _command(world: World, change: Callable[[dict[str, Any]], None]) -> tuple[str, str]:
    with world.ws.lock:
        fields = payloads.slash_command(
            world.ws,
            user_id=world.mentor,
            command="/circle",
            text="list",
            channel_id=world.open_circle.slack_channel_id,
        )
    change(fields)
    return urlencode(fields), FORM


CASES: dict[str, Callable[[World], tuple[str, str]]] = {
    "payload that is not JSON": lambda w: (urlencode({"payload": "{not json"}), FORM),
    "payload that is a list": lambda w: (as_interaction([1, 2]), FORM),
    "payload that is a string": lambda w: (as_interaction("block_actions"), FORM),
    "payload that is null": lambda w: (as_interaction(None), FORM),
    "event body that is a list": lambda w: ("[1]", JSON),
    "event body that does not parse": lambda w: ("{not json", JSON),
    "click without a user": lambda w: _click(w, lambda b: b.pop("user")),
    "click whose user is a string": lambda w: _click(w, lambda b: b.update(user=w.executive)),
    "click whose type is a list": lambda w: _click(w, lambda b: b.update(type=[])),
    "click whose type is empty": lambda w: _click(w, lambda b: b.update(type="")),
    "click of a type Slack does not have": lambda w: _click(
        w, lambda b: b.update(type="block_action")
    ),
    "click whose actions are an object": lambda w: _click(
        w, lambda b: b.update(actions={"0": b["actions"][0]})
    ),
    "click with no actions": lambda w: _click(w, lambda b: b.update(actions=[])),
    "click whose action id is a number": lambda w: _click(
        w, lambda b: b["actions"][0].update(action_id=5)
    ),
    "click whose team is a number": lambda w: _click(w, lambda b: b.update(team=5)),
    "click with a NUL in its user id": lambda w: _click(
        w, lambda b: b["user"].update(id=w.executive + "\x00")
    ),
    "click from a user id that is not Slack's": lambda w: _click(
        w, lambda b: b["user"].update(id="x" * 40)
    ),
    "modal without its type": lambda w: _submission(w, lambda b: b["view"].pop("type")),
    "modal whose state is a list": lambda w: _submission(w, lambda b: b["view"].update(state=[])),
    "modal that is a string": lambda w: _submission(w, lambda b: b.update(view="modal")),
    "App Home opened by nobody": lambda w: _home_opened(w, lambda b: b["event"].pop("user")),
    "App Home opened by a number": lambda w: _home_opened(w, lambda b: b["event"].update(user=5)),
    "event that is a string": lambda w: _home_opened(
        w, lambda b: b.update(event="app_home_opened")
    ),
    "event outside an event_callback": lambda w: _home_opened(w, lambda b: b.pop("type")),
    "command without a user": lambda w: _command(w, lambda f: f.pop("user_id")),
}


@pytest.mark.parametrize("case", CASES)
def test_a_body_slack_never_sends_gets_a_400_and_changes_nothing(
    world: World, errors_logged: ErrorLog, case: str
) -> None:
    body, content_type = CASES[case](world)
    done = exchange(world, lambda: world.stack.sender.post(body, content_type), errors_logged)
    sound(done)
    assert done.response.status == 400 and "malformed request" in done.response.text, (
        done.response.status,
        done.response.text,
    )
    assert not done.diff and not done.replies and not done.calls


@pytest.mark.parametrize("variant", ["unsigned", "stale", "wrong_secret", "tamper"])
def test_without_a_valid_signature_it_is_a_401_whatever_the_body(
    world: World, errors_logged: ErrorLog, variant: str
) -> None:
    done = exchange(
        world,
        lambda: world.stack.sender.post(as_interaction([1]), FORM, **{variant: True}),
        errors_logged,
    )
    sound(done)
    assert done.response.status == 401 and not done.diff and not done.replies and not done.calls
