"""Fixtures for the stand-in's tests: a small seeded workspace served over real HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_sdk import WebClient

from bot.sandbox import SlackStandIn

ALICE, BOB, CAROL, GONE = "U0ALICE001", "U0BOB00001", "U0CAROL001", "U0GONE0001"
BOT = "U0SANDBOT1"
TOKEN = "xoxb-0000000001-0000000000001-sandboxsandboxsandboxsa"
SECRET = "test-signing-secret"

SEED: dict[str, Any] = {
    "team": {"id": "T0SANDBOX1", "name": "Sandbox", "domain": "sandbox"},
    "app": {"id": "A0SANDBOX1", "signing_secret": SECRET},
    "bot": {
        "user_id": BOT,
        "bot_id": "B0SANDBOT1",
        "name": "upward",
        "token": TOKEN,
        "tokens": ["xoxb-0000000001-0000000000001-secondtokensecondtoken"],
    },
    "users": [
        {
            "id": ALICE,
            "name": "alice",
            "real_name": "Alice Adams",
            "email": "alice@example.com",
            "tz": "Europe/Berlin",
        },
        {
            "id": BOB,
            "name": "bob",
            "real_name": "Bob Brown",
            "email": "Bob@Example.com",
            "tz": "America/Los_Angeles",
        },
        {
            "id": CAROL,
            "name": "carol",
            "real_name": "Carol Chen",
            "email": "carol@example.com",
            "tz": "Asia/Kolkata",
        },
        {
            "id": GONE,
            "name": "gone",
            "real_name": "Gone Person",
            "email": "gone@example.com",
            "deleted": True,
        },
    ],
    "channels": [
        {"id": "C0GENERAL1", "name": "general", "is_general": True, "members": "all"},
        {"id": "G0SECRET01", "name": "secret", "is_private": True, "members": [ALICE]},
    ],
}


@pytest.fixture()
def slack() -> Iterator[SlackStandIn]:
    """A running stand-in without rate limits or faults."""
    with SlackStandIn(SEED, rate_limits=False) as stand_in:
        yield stand_in


@pytest.fixture()
def client(slack: SlackStandIn) -> WebClient:
    """A real slack_sdk WebClient pointed at the stand-in."""
    return WebClient(base_url=slack.api_url, token=slack.bot_token)


@dataclass
class Received:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode()).items()}

    def payload(self) -> dict[str, Any]:
        """The interactivity ``payload`` field, decoded."""
        return json.loads(self.form()["payload"])


@dataclass
class Receiver:
    """A tiny stand-in for the bot's request URL: records requests, answers via ``reply``."""

    url: str
    requests: list[Received] = field(default_factory=list)
    reply: Callable[[Received], tuple[int, bytes]] = lambda r: (200, b"")


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    """A local HTTP server standing in for the app's /slack/events endpoint."""
    box: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received = Received(self.path, dict(self.headers.items()), body)
            box["r"].requests.append(received)
            status, answer = box["r"].reply(received)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box["r"] = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/slack/events")
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    yield box["r"]
    server.shutdown()
    server.server_close()
