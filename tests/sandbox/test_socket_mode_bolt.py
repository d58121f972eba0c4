"""A real Bolt app over Socket Mode on the stand-in, and the inspector reaching it there.

The app is ``slack_bolt.App`` behind ``slack_bolt.adapter.socket_mode.SocketModeHandler`` (the
built-in client), connected with the stand-in's app-level token; the person is a
``SimulatedUser`` whose clicks, commands and modal submissions go as envelopes. The same shapes
as tests/sandbox/test_bolt_round_trip.py, which drives the app over signed HTTP.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

from bot.sandbox import SimulatedUser, SlackStandIn
from tests.sandbox.conftest import ALICE
from tests.sandbox.socket_app import LESSON, PING, WAIT, hang_up

REFLECT = {
    "type": "modal",
    "callback_id": "reflect",
    "title": {"type": "plain_text", "text": "Reflect"},
    "submit": {"type": "plain_text", "text": "Send"},
    "blocks": [
        {
            "type": "input",
            "block_id": "note",
            "label": {"type": "plain_text", "text": "Note"},
            "element": {"type": "plain_text_input", "action_id": "text"},
        }
    ],
}


@pytest.fixture()
def alice(slack: SlackStandIn) -> SimulatedUser:
    return slack.socket_person(ALICE)


@pytest.fixture()
def bolt(slack: SlackStandIn) -> Iterator[None]:
    """A tiny Bolt app (a /hello command, a button, a modal) connected by SocketModeHandler."""
    app = App(
        client=WebClient(base_url=slack.api_url, token=slack.bot_token),
        signing_secret=slack.signing_secret,
    )

    @app.command("/hello")
    def hello(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack("Hello over a socket")
        client.views_open(trigger_id=body["trigger_id"], view=REFLECT)

    @app.action("lesson_done")
    def done(ack: Ack, respond: Respond, body: dict[str, Any]) -> None:
        ack()
        respond(replace_original=True, text=f"Done: {body['actions'][0]['value']}")

    @app.view("reflect")
    def reflect(ack: Ack, view: dict[str, Any]) -> None:
        if len(view["state"]["values"]["note"]["text"]["value"]) < 5:
            ack(response_action="errors", errors={"note": "Say a bit more"})
        else:
            ack()

    handler = SocketModeHandler(app, slack.app_token, ping_interval=PING)
    handler.connect()
    slack.socket_mode.wait_until(slack.socket_mode.live_connections, WAIT)
    yield
    hang_up(slack, handler.client)


@pytest.mark.usefixtures("bolt")
def test_a_bolt_app_round_trip_over_socket_mode(
    slack: SlackStandIn, client: WebClient, alice: SimulatedUser
) -> None:
    client.chat_postMessage(channel=ALICE, text="Lesson 1", blocks=LESSON)
    assert alice.click_button("Mark done").status == 200
    slack.workspace.wait_until(lambda: alice.latest_dm()["text"] == "Done: lesson-1", WAIT)

    assert alice.command("/hello").status == 200
    assert alice.ephemerals()[-1]["text"] == "Hello over a socket"
    view = slack.workspace.wait_until(alice.current_view, WAIT)
    alice.submit_view({"text": "meh"})
    assert slack.workspace.view_errors(view["id"]) == {"note": "Say a bit more"}
    assert alice.current_view() is not None
    alice.submit_view({"text": "Prompts are specs, not wishes."})
    assert alice.current_view() is None

    envelopes = slack.socket_mode.deliveries.all()
    assert all(e.acked for e in envelopes)
    kinds = [(e.type, e.payload.get("type")) for e in envelopes]
    assert kinds == [
        ("interactive", "block_actions"),
        ("slash_commands", None),
        ("interactive", "view_submission"),
        ("interactive", "view_submission"),
    ]


@pytest.mark.usefixtures("bolt")
def test_the_inspector_sends_over_the_socket_when_the_app_listens_there(
    slack: SlackStandIn, alice: SimulatedUser
) -> None:
    slack.transport = "socket"
    form = {"user": ALICE, "command": "/hello", "back": f"/sandbox/inspector/person/{ALICE}"}
    request = urllib.request.Request(
        f"{slack.url}/sandbox/inspector/command", data=urlencode(form).encode()
    )
    with urllib.request.urlopen(request, timeout=WAIT) as page:  # follows the redirect back
        note = parse_qs(urlsplit(page.url).query)["note"][0]
    assert note == "Alice Adams ran /hello; Upward acknowledged the envelope."
    assert alice.ephemerals()[-1]["text"] == "Hello over a socket"
    assert [d.type for d in slack.socket_mode.deliveries.all()] == ["slash_commands"]


def test_the_inspector_says_when_no_socket_is_open(slack: SlackStandIn) -> None:
    slack.transport = "socket"
    form = {"user": ALICE, "command": "/hello", "back": f"/sandbox/inspector/person/{ALICE}"}
    request = urllib.request.Request(
        f"{slack.url}/sandbox/inspector/command", data=urlencode(form).encode()
    )
    with urllib.request.urlopen(request, timeout=WAIT) as page:
        query = parse_qs(urlsplit(page.url).query)
    assert query["bad"] == ["1"] and "no Socket Mode connection" in query["note"][0]
