"""Socket Mode on the stand-in, driven by slack_sdk's own Socket Mode client.

The app side is never a mock: ``AppSide`` (tests/sandbox/socket_app.py) is slack_sdk's built-in
``SocketModeClient``, as Upward runs it, and the handshake rules are checked with the
``websockets`` client. Every wait is on a condition (the stand-in's ``wait_until`` or the app
side's own), never a sleep.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.request import SocketModeRequest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from bot.sandbox import (
    MINIMAL_SEED,
    NoConnection,
    SeedError,
    SimulatedUser,
    SlackStandIn,
    load_seed,
)
from tests.sandbox.conftest import ALICE, SEED
from tests.sandbox.socket_app import LESSON, WAIT, AppSide, connected

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def alice(slack: SlackStandIn) -> SimulatedUser:
    return slack.socket_person(ALICE)


@pytest.fixture()
def app(slack: SlackStandIn) -> Iterator[AppSide]:
    """The app side connected, acking every envelope with no payload."""
    with connected(slack) as app_side:
        yield app_side


def test_a_connection_first_hears_hello(slack: SlackStandIn, app: AppSide) -> None:
    hello = app.wait_for(lambda: app.of_type("hello"))[0]
    assert hello["num_connections"] == 1
    assert hello["connection_info"] == {"app_id": slack.workspace.app_id}
    assert hello["debug_info"]["approximate_connection_time"] > 0
    assert [c.id for c in slack.socket_mode.live_connections()] == ["c1"]


def test_events_clicks_and_commands_travel_as_envelopes_and_are_acked(
    slack: SlackStandIn, client: WebClient, app: AppSide, alice: SimulatedUser
) -> None:
    client.chat_postMessage(channel=ALICE, text="Lesson 1", blocks=LESSON)
    home, click, command = alice.open_home(), alice.click_button("Mark done"), alice.command("/hi")

    heard = {r.type: r for r in app.requests}
    assert heard["events_api"].payload["event"]["type"] == "app_home_opened"
    assert heard["events_api"].payload["event"]["user"] == ALICE
    assert (heard["events_api"].retry_attempt, heard["events_api"].retry_reason) == (0, "")
    assert heard["interactive"].payload["type"] == "block_actions"
    assert heard["interactive"].payload["actions"][0]["value"] == "lesson-1"
    assert heard["slash_commands"].payload["command"] == "/hi"
    assert heard["slash_commands"].payload["user_id"] == ALICE
    assert heard["slash_commands"].payload == command.sent  # the fields HTTP would carry
    accepts = {r.type: r.accepts_response_payload for r in app.requests}
    assert accepts == {"events_api": False, "interactive": False, "slash_commands": True}
    for ack in (home, click, command):
        assert ack.status == 200 and ack.envelope is not None
        assert ack.envelope.acked_on == "c1" and len(ack.envelope.attempts) == 1


def test_without_a_connection_nothing_is_sent_and_signing_options_do_not_apply(
    slack: SlackStandIn, alice: SimulatedUser
) -> None:
    with pytest.raises(NoConnection):
        alice.command("/hi")
    assert slack.socket_mode.deliveries.all() == []
    with pytest.raises(TypeError, match="not signed"):
        alice.open_home(stale=True)


def test_a_slash_commands_ack_payload_is_shown_to_the_person(
    slack: SlackStandIn, alice: SimulatedUser
) -> None:
    def answer(request: SocketModeRequest) -> dict[str, Any]:
        return {"text": f"Hi {request.payload['user_name']}", "response_type": "ephemeral"}

    with connected(slack, answer=answer):
        assert alice.command("/hi").json() == {"text": "Hi alice", "response_type": "ephemeral"}
    assert alice.ephemerals()[-1]["text"] == "Hi alice"
    assert alice.ephemerals()[-1]["source"] == "command"


def test_an_unacked_envelope_is_redelivered_once_with_retry_attempt_and_reason(
    slack: SlackStandIn, app: AppSide, alice: SimulatedUser
) -> None:
    slack.socket_mode.withhold_acks(1)  # the app acks; the stand-in loses the ack
    ack = alice.open_home()

    assert ack.envelope is not None and ack.envelope.withheld == 1 and ack.envelope.acked
    sent = [(a.retry_attempt, a.retry_reason) for a in ack.envelope.attempts]
    assert sent == [(0, ""), (1, "timeout")]
    heard = app.for_envelope(ack.envelope.envelope_id)
    assert [(r.retry_attempt, r.retry_reason) for r in heard] == [(0, ""), (1, "timeout")]
    assert heard[0].payload == heard[1].payload


def test_an_envelope_never_acked_is_given_up_after_exactly_one_redelivery() -> None:
    # The app never acks, so no ack can be late: a short wait for it is safe here.
    with (
        SlackStandIn(SEED, rate_limits=False, ack_timeout=1.0) as slack,
        connected(slack, ack=False) as app,
    ):
        alice = slack.socket_person(ALICE)
        WebClient(base_url=slack.api_url, token=slack.bot_token).chat_postMessage(
            channel=ALICE, text="Lesson 1", blocks=LESSON
        )
        with pytest.raises(TimeoutError, match="did not ack interactive envelope"):
            alice.click_button("Mark done")
        (envelope,) = slack.socket_mode.deliveries.all()
        assert envelope.given_up and not envelope.acked  # settled: no attempt will follow
        assert [(a.retry_attempt, a.retry_reason) for a in envelope.attempts] == [
            (0, ""),
            (1, "timeout"),
        ]
        envelope_id = envelope.envelope_id
        heard = app.wait_for(lambda: h if len(h := app.for_envelope(envelope_id)) == 2 else None)
        assert [(r.retry_attempt, r.retry_reason) for r in heard] == [(None, None), (1, "timeout")]


def test_after_refresh_requested_the_client_reconnects_and_the_next_envelope_uses_it(
    slack: SlackStandIn, app: AppSide, alice: SimulatedUser
) -> None:
    socket_mode = slack.socket_mode
    session = app.client.session_id()
    told = socket_mode.disconnect("refresh_requested")

    assert app.wait_for(lambda: app.of_type("disconnect"))[0]["reason"] == "refresh_requested"
    new = socket_mode.wait_until(
        lambda: not socket_mode.connections()[0].live and socket_mode.live_connections(), WAIT
    )[0]
    assert (told.id, new.id) == ("c1", "c2")
    assert socket_mode.connections()[0].told == "refresh_requested"
    ack = alice.open_home()
    assert ack.envelope is not None and ack.envelope.attempts[0].connection == "c2"
    assert ack.envelope.acked_on == "c2" and app.for_envelope(ack.envelope.envelope_id)
    assert app.client.session_id() != session


def test_after_an_abrupt_drop_the_client_reconnects_by_itself(
    slack: SlackStandIn, app: AppSide, alice: SimulatedUser
) -> None:
    socket_mode = slack.socket_mode
    app.wait_for(lambda: app.of_type("hello"))  # the client is reading: the reset reaches it
    socket_mode.drop()

    new = socket_mode.wait_until(
        lambda: not socket_mode.connections()[0].live and socket_mode.live_connections(), WAIT
    )[0]
    assert socket_mode.connections()[0].closed == "dropped" and new.id == "c2"
    assert app.of_type("disconnect") == []  # no word before the drop
    ack = alice.command("/hi")
    assert ack.envelope is not None and ack.envelope.acked_on == "c2"


def test_apps_connections_open_takes_only_the_app_level_token(slack: SlackStandIn) -> None:
    api = WebClient(base_url=slack.api_url)
    url = api.apps_connections_open(app_token=slack.app_token)["url"]
    assert url.startswith("ws://127.0.0.1:") and f"app_id={slack.workspace.app_id}" in url
    refused = {
        slack.bot_token: "not_allowed_token_type",
        "xapp-1-A0SANDBOX1-1-someoneelses": "invalid_auth",
    }
    for token, error in refused.items():
        with pytest.raises(SlackApiError) as answer:
            api.apps_connections_open(app_token=token)
        assert answer.value.response["error"] == error
    with pytest.raises(SlackApiError) as answer:
        api.api_call("apps.connections.open")
    assert answer.value.response["error"] == "not_authed"
    with pytest.raises(SlackApiError) as answer:  # the app token opens connections, nothing else
        WebClient(base_url=slack.api_url, token=slack.app_token).auth_test()
    assert answer.value.response["error"] == "not_allowed_token_type"
    assert [c.error for c in slack.workspace.calls_to("apps.connections.open")] == [
        None,
        "not_allowed_token_type",
        "invalid_auth",
        "not_authed",
    ]


def test_a_url_opens_one_connection_and_an_app_holds_at_most_ten(slack: SlackStandIn) -> None:
    api = WebClient(base_url=slack.api_url)
    urls = [api.apps_connections_open(app_token=slack.app_token)["url"] for _ in range(11)]
    with ExitStack() as open_sockets:
        hellos = []
        for url in urls[:10]:
            websocket = open_sockets.enter_context(connect(url, open_timeout=WAIT))
            hellos.append(json.loads(websocket.recv(timeout=WAIT)))
        assert [h["num_connections"] for h in hellos] == list(range(1, 11))
        with pytest.raises(InvalidStatus) as spent:
            connect(urls[0], open_timeout=WAIT)
        assert spent.value.response.status_code == 401
        with connect(urls[10], open_timeout=WAIT) as eleventh:
            told = json.loads(eleventh.recv(timeout=WAIT))
            assert (told["type"], told["reason"]) == ("disconnect", "too_many_websockets")
            with pytest.raises(ConnectionClosed):
                eleventh.recv(timeout=WAIT)
    assert len(slack.socket_mode.live_connections()) <= 10


def test_the_controls_answer_over_http(slack: SlackStandIn, app: AppSide) -> None:
    def post(path: str, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            f"{slack.url}/sandbox/socket-mode{path}", data=json.dumps(body).encode()
        )
        with urllib.request.urlopen(request, timeout=WAIT) as response:
            return json.loads(response.read())

    assert post("/withhold-acks", {"count": 1}) == {"ok": True}
    assert post("/disconnect", {"reason": "warning"})["told"] == "warning"
    assert app.wait_for(lambda: app.of_type("disconnect"))[0]["reason"] == "warning"
    socket_mode = slack.socket_mode  # slack_sdk reconnects on any disconnect message
    socket_mode.wait_until(
        lambda: not socket_mode.connections()[0].live and socket_mode.live_connections(), WAIT
    )
    with urllib.request.urlopen(f"{slack.url}/sandbox/socket-mode", timeout=WAIT) as response:
        state = json.loads(response.read())
    assert state["app_id"] == slack.workspace.app_id
    assert [(c["id"], c["told"], c["live"]) for c in state["connections"]] == [
        ("c1", "warning", False),
        ("c2", None, True),
    ]


def test_python_m_bot_sandbox_speaks_socket_mode_and_stops_with_a_connection_open() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.sandbox", "--port", "0", "--no-rate-limits"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Should the lines never come, stop the stand-in so that readline() ends instead of hanging.
    deadline = threading.Timer(WAIT, process.terminate)
    deadline.start()
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        api_url = re.search(r"listening on (http://\S+/api/)", lines[0])
        app_token = re.search(r"app-level token (xapp-\S+)", lines[2])
        assert api_url and app_token, lines
        app = AppSide(api_url.group(1), app_token.group(1))
        app.client.connect()
        assert app.wait_for(lambda: app.of_type("hello"))[0]["num_connections"] == 1
        app.client.auto_reconnect_enabled = False  # the stand-in is about to go away
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=WAIT) == 0
        app.client.close()
    finally:
        deadline.cancel()
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_seed_names_the_app_level_token() -> None:
    assert load_seed(MINIMAL_SEED).app_token.startswith("xapp-1-A0SANDBOX1-")
    assert load_seed(None).app_token.startswith("xapp-1-A07UPWRD001-")  # the demo workspace
    assert load_seed(SEED).app_token.startswith("xapp-")  # a default when the seed names none
    with pytest.raises(SeedError, match="app.app_token"):
        load_seed({**SEED, "app": {**SEED["app"], "app_token": "xoxb-not-an-app-token"}})
