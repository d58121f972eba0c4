"""The app side of Socket Mode for the stand-in's tests: slack_sdk's own built-in client.

``AppSide`` wraps ``slack_sdk.socket_mode.SocketModeClient`` (the client Upward runs) pointed at the
stand-in with ``WebClient(base_url=..., token=app_token)``; it records every message it hears and
acks each envelope as a real app would. Waits are on its condition, never sleeps.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.sandbox import SlackStandIn

T = TypeVar("T")
PING = 2  # the clients' ping interval: a dead connection is noticed within a couple of these
WAIT = 20  # generous: the machine is small and busy

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


class AppSide:
    """slack_sdk's built-in SocketModeClient on the stand-in, recording all it hears; it acks each
    envelope (with ``answer(request)`` as the payload) unless ``ack`` is False."""

    def __init__(
        self,
        api_url: str,
        app_token: str,
        *,
        ack: bool = True,
        answer: Callable[[SocketModeRequest], dict[str, Any] | None] = lambda request: None,
    ) -> None:
        web = WebClient(base_url=api_url, token=app_token)
        self.client = SocketModeClient(app_token=app_token, web_client=web, ping_interval=PING)
        self.ack, self.answer = ack, answer
        self.messages: list[dict[str, Any]] = []  # every JSON message, hello and disconnect too
        self.requests: list[SocketModeRequest] = []
        self._changed = threading.Condition()
        self.client.on_message_listeners.append(self._heard)
        self.client.socket_mode_request_listeners.append(self._handle)

    def _heard(self, raw: str) -> None:
        with self._changed:
            self.messages.append(json.loads(raw))
            self._changed.notify_all()

    def _handle(self, client: SocketModeClient, request: SocketModeRequest) -> None:
        with self._changed:
            self.requests.append(request)
            self._changed.notify_all()
        if self.ack:
            response = SocketModeResponse(request.envelope_id, payload=self.answer(request))
            client.send_socket_mode_response(response)

    def wait_for(self, predicate: Callable[[], T | None], timeout: float = WAIT) -> T:
        with self._changed:
            result = self._changed.wait_for(predicate, timeout)
        assert result, "the app side did not hear what it waited for"
        return result

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        with self._changed:
            return [m for m in self.messages if m.get("type") == kind]

    def for_envelope(self, envelope_id: str) -> list[SocketModeRequest]:
        with self._changed:
            return [r for r in self.requests if r.envelope_id == envelope_id]


def hang_up(slack: SlackStandIn, client: SocketModeClient) -> None:
    """Close the client for good. The stand-in hangs up first (no reconnect now): the client's
    close() would otherwise wait out its 3-second socket read."""
    client.auto_reconnect_enabled = False
    slack.socket_mode.stop()
    client.close()


@contextmanager
def connected(slack: SlackStandIn, **options: Any) -> Iterator[AppSide]:
    """An AppSide connected to the stand-in (closed on leaving)."""
    app = AppSide(slack.api_url, slack.app_token, **options)
    app.client.connect()
    slack.socket_mode.wait_until(slack.socket_mode.live_connections, WAIT)
    try:
        yield app
    finally:
        hang_up(slack, app.client)
