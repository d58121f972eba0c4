"""Upward replies at Slack's own response_url only, never wherever a payload points.

A reply is an HTTP POST from Upward's network; a payload naming any URL would otherwise make
Upward call it (an internal service, a cloud metadata address).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.security.conftest import ErrorLog, World, exchange, sound


@pytest.fixture()
def elsewhere() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server that is not Slack, and the paths it was asked for."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/internal/admin", hits
    finally:
        server.shutdown()
        server.server_close()


def test_a_refusal_for_a_click_is_not_posted_to_a_foreign_url(
    world: World, errors_logged: ErrorLog, elsewhere: tuple[str, list[str]]
) -> None:
    url, hits = elsewhere
    body = world.real_click("module", action_id="learning.done")
    body["user"]["id"] = world.other_executive  # refused: the module was sent to someone else
    body["response_url"] = url
    done = exchange(world, lambda: world.stack.sender.send_interaction(body), errors_logged)
    sound(done)
    assert hits == [] and not done.diff
    assert done.replies == [
        (
            world.other_executive,
            "This module was sent to someone else, so your click was not recorded.",
        )
    ]


def test_a_command_reply_is_not_posted_to_a_foreign_url(
    world: World, errors_logged: ErrorLog, elsewhere: tuple[str, list[str]]
) -> None:
    url, hits = elsewhere
    from bot.sandbox import payloads

    with world.ws.lock:
        fields = payloads.slash_command(
            world.ws,
            user_id=world.mentor,
            command="/circle",
            text="help",
            channel_id=world.open_circle.slack_channel_id,
        )
    fields["response_url"] = url
    done = exchange(world, lambda: world.stack.sender.send_form(fields), errors_logged)
    sound(done)
    assert hits == [] and not done.diff and not done.replies


@pytest.mark.parametrize(
    "url, allowed",
    [
        ("https://hooks.slack.com/actions/T1/2/abc", True),
        ("http://hooks.slack.com/actions/T1/2/abc", False),
        ("https://hooks.slack.com.evil.example/actions", False),
        ("https://evil.example/?hooks.slack.com", False),
        ("http://169.254.169.254/latest/meta-data", False),
        ("http://[::1", False),
        (None, False),
    ],
)
def test_only_slack_hosts_are_response_urls(url: str | None, allowed: bool) -> None:
    from types import SimpleNamespace

    from bot.slack.replies import response_url

    context = {"settings": SimpleNamespace(slack_api_url="https://slack.com/api/")}
    assert (response_url(context, {"response_url": url}) is not None) is allowed
