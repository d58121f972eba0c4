"""A real slack_bolt App, fed by SimulatedUser and calling the stand-in: the two fit together."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot.sandbox import SimulatedUser, SlackStandIn
from tests.sandbox.conftest import ALICE

LESSON = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Lesson 1*"}},
    {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": "lesson_done",
                "text": {"type": "plain_text", "text": "Mark done"},
                "value": "lesson-1",
            }
        ],
    },
]
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


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def _build_app(slack: SlackStandIn) -> App:
    app = App(
        client=WebClient(base_url=slack.api_url, token=slack.bot_token),
        signing_secret=slack.signing_secret,
    )

    @app.command("/upward")
    def command(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack("Opening your reflection…")
        client.views_open(trigger_id=body["trigger_id"], view=REFLECT)

    @app.action("lesson_done")
    def done(ack: Ack, respond: Respond, body: dict[str, Any]) -> None:
        ack()
        respond(replace_original=True, text=f"Done: {body['actions'][0]['value']}")

    @app.view("reflect")
    def reflect(ack: Ack, view: dict[str, Any]) -> None:
        note = view["state"]["values"]["note"]["text"]["value"]
        if len(note) < 5:
            ack(response_action="errors", errors={"note": "Say a bit more"})
        else:
            ack()

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(
            user_id=event["user"],
            view={
                "type": "home",
                "blocks": [
                    {"type": "section", "text": {"type": "mrkdwn", "text": "Your progress"}}
                ],
            },
        )

    return app


@pytest.fixture()
def bolt_url(slack: SlackStandIn) -> Iterator[str]:
    """The Bolt app served over HTTP (WSGI), as the stand-in's people will reach it."""
    handler = SlackRequestHandler(_build_app(slack))
    server: WSGIServer = make_server("127.0.0.1", 0, handler, handler_class=_Quiet)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/slack/events"
    server.shutdown()
    server.server_close()


def test_bolt_app_round_trip(slack: SlackStandIn, client: WebClient, bolt_url: str) -> None:
    alice: SimulatedUser = slack.person(ALICE, bolt_url, timeout=10)
    client.chat_postMessage(channel=ALICE, text="Lesson 1", blocks=LESSON)

    assert alice.click_button("Mark done").status == 200
    slack.workspace.wait_until(lambda: alice.latest_dm()["text"] == "Done: lesson-1")

    assert alice.command("/upward").status == 200
    assert alice.ephemerals()[-1]["text"] == "Opening your reflection…"
    view = slack.workspace.wait_until(alice.current_view)
    assert view["callback_id"] == "reflect"
    alice.submit_view({"text": "meh"})
    assert slack.workspace.view_errors(view["id"]) == {"note": "Say a bit more"}
    alice.submit_view({"text": "Prompts are specs, not wishes."})
    assert alice.current_view() is None

    alice.open_home()
    home = slack.workspace.wait_until(alice.home)
    assert home["blocks"][0]["text"]["text"] == "Your progress"


def test_bolt_refuses_bad_signatures(slack: SlackStandIn, bolt_url: str) -> None:
    alice = slack.person(ALICE, bolt_url, timeout=10)
    for option in ("stale", "wrong_secret", "tamper", "unsigned"):
        assert alice.open_home(**{option: True}).status == 401, option
    assert alice.open_home(retry_num=1, retry_reason="http_timeout").status == 200
