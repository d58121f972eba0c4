"""What a simulated person does, sent to the app as Socket Mode envelopes instead of HTTP requests.

``SocketSender`` has ``SignedSender``'s three calls, so ``SimulatedUser`` and the inspector act
the same over either transport: a slash command's fields go as a ``slash_commands`` envelope, an
interactive payload as ``interactive``, an event callback as ``events_api``. The app's ack stands
in for the HTTP response: status 200 and, where the envelope accepts one, the ack's payload as the
JSON body, so Slack's handling of the answer (a command's reply shown, a modal's
``response_action`` applied) is the same code for both. An envelope never acked, even after its
redelivery, raises ``TimeoutError``, as an HTTP request the app never answers does.
Envelopes are not signed, so the signing options of ``SignedSender`` are refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.requests import SlackHttpResponse
from bot.sandbox.socket_deliveries import REDELIVERIES, Envelope
from bot.sandbox.socket_mode import SocketModeServer


@dataclass
class SocketAck(SlackHttpResponse):
    """The app's ack, shaped as the HTTP answer it replaces; ``envelope`` is what the stand-in
    recorded of the envelope (its attempts, the ack)."""

    envelope: Envelope | None = field(default=None, repr=False)


class SocketSender:
    """Sends a person's requests as envelopes over the app's live Socket Mode connection."""

    target = "its Socket Mode connection"

    def __init__(self, socket_mode: SocketModeServer, *, timeout: float | None = None) -> None:
        self.socket_mode = socket_mode
        # By default a person waits as long as Slack keeps trying: every attempt's ack timeout,
        # and as long again for a connection to redeliver on.
        attempts = REDELIVERIES + 1
        self.timeout = timeout if timeout is not None else socket_mode.ack_timeout * attempts * 2

    def send_form(self, fields: Mapping[str, str], **options: Any) -> SocketAck:
        """A slash command: its fields as the envelope's payload."""
        return self._send("slash_commands", dict(fields), options)

    def send_interaction(self, payload: Mapping[str, Any], **options: Any) -> SocketAck:
        """An interactive payload (block_actions, view_submission, view_closed, ...)."""
        return self._send("interactive", dict(payload), options)

    def send_event(self, envelope: Mapping[str, Any], **options: Any) -> SocketAck:
        """An Events API callback."""
        return self._send("events_api", dict(envelope), options)

    def _send(self, kind: str, payload: dict[str, Any], options: Mapping[str, Any]) -> SocketAck:
        if options:
            raise TypeError(
                f"Socket Mode envelopes are not signed or retried by hand: {sorted(options)} apply"
                " only to SignedSender; use stand_in.socket_mode's controls instead"
            )
        sent = self.socket_mode.deliver(kind, payload)
        sent.settled.wait(self.timeout)
        envelope = self.socket_mode.deliveries.get(sent.envelope_id)
        if not envelope.acked:
            tries = len(envelope.attempts)
            raise TimeoutError(
                f"the app did not ack {kind} envelope {envelope.envelope_id} (sent {tries}"
                f" time{'s' if tries != 1 else ''}, {self.socket_mode.ack_timeout:g} s each)"
            )
        body = json.dumps(envelope.ack_payload).encode() if envelope.ack_payload else b""
        return SocketAck(200, {}, body, payload, envelope)
