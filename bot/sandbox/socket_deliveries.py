"""Envelopes over Socket Mode: what went where, the app's acks, and the one redelivery.

The rules, as Slack applies them:

- An envelope is ``{"envelope_id", "type", "payload", "accepts_response_payload"}`` with the body
  HTTP would carry as ``payload`` (the event callback, the interactive payload, the slash
  command's fields). ``events_api`` envelopes also carry ``retry_attempt`` (0 at first) and
  ``retry_reason`` ("" at first). Slack accepts a response payload for slash commands,
  ``view_submission`` and ``block_suggestion``: the answers it shows a person.
- The app acks with ``{"envelope_id": …}`` plus, where accepted, ``"payload": {…}``, within
  ``ack_timeout`` seconds (Slack: 3). A payload on an envelope that accepts none is ignored, as
  are acks for envelopes unknown or already settled and messages that are not acks.
- An envelope not acked in time is redelivered once, on a live connection (another one when the
  app holds several), with ``retry_attempt: 1`` and ``retry_reason: "timeout"``; unacked again, it
  is given up. Slack documents these retries for events; the stand-in redelivers every kind, so
  an app's guard against a click or command processed twice is tested as well.
- ``withhold(n)`` loses the app's next ``n`` acks (``Envelope.withheld`` counts them), as if they
  vanished with a connection: the envelope is redelivered though the app did its work.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger("bot.sandbox.socket_mode")

KINDS = ("events_api", "interactive", "slash_commands")
ANSWERED_INTERACTIONS = frozenset({"view_submission", "block_suggestion"})
REDELIVERIES = 1  # Slack redelivers an unacked envelope once on a live connection


class NoConnection(ConnectionError):
    """The app has no live Socket Mode connection to carry an envelope."""


class Links(Protocol):
    """What deliveries need of the connections (SocketModeServer)."""

    def pick(self, avoid: str | None = None) -> str | None: ...

    def send(self, connection_id: str, message: Mapping[str, Any]) -> bool: ...


@dataclass(frozen=True)
class Attempt:
    """One sending of an envelope."""

    connection: str
    retry_attempt: int
    retry_reason: str
    sent_at: float


@dataclass
class Envelope:
    """One envelope and what became of it; read-back copies come from ``Deliveries``."""

    envelope_id: str
    type: str
    payload: dict[str, Any]
    accepts_response_payload: bool
    attempts: list[Attempt] = field(default_factory=list)
    acked_on: str | None = None  # the connection the counted ack came on
    ack_payload: dict[str, Any] | None = None  # the answer, where the envelope accepts one
    withheld: int = 0  # acks the stand-in lost on purpose
    given_up: bool = False
    settled: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)

    @property
    def acked(self) -> bool:
        return self.acked_on is not None

    def message(self, attempt: Attempt) -> dict[str, Any]:
        """The JSON message for one attempt."""
        message: dict[str, Any] = {
            "envelope_id": self.envelope_id,
            "type": self.type,
            "payload": self.payload,
            "accepts_response_payload": self.accepts_response_payload,
        }
        if self.type == "events_api" or attempt.retry_attempt:
            message["retry_attempt"] = attempt.retry_attempt
            message["retry_reason"] = attempt.retry_reason
        return message

    def describe(self) -> dict[str, Any]:
        """JSON-ready summary (GET /sandbox/socket-mode)."""
        return {
            "envelope_id": self.envelope_id,
            "type": self.type,
            "attempts": [dataclasses.asdict(a) for a in self.attempts],
            "acked_on": self.acked_on,
            "ack_payload": self.ack_payload,
            "withheld": self.withheld,
            "given_up": self.given_up,
        }


def accepts_response_payload(kind: str, payload: Mapping[str, Any]) -> bool:
    """Whether Slack would show (and so accept) an answer in the ack of this envelope."""
    if kind == "slash_commands":
        return True
    return kind == "interactive" and payload.get("type") in ANSWERED_INTERACTIONS


class Deliveries:
    """Every envelope sent, its attempts and acks; one redelivery timer per pending envelope."""

    def __init__(self, links: Links, changed: threading.Condition, *, ack_timeout: float) -> None:
        self._links = links
        self._changed = changed  # the server's lock; notified on every change
        self.ack_timeout = ack_timeout
        self._by_id: dict[str, Envelope] = {}
        self._timers: dict[str, threading.Timer] = {}
        self._withhold = 0
        self._stopped = False

    def deliver(
        self, kind: str, payload: Mapping[str, Any], accepts: bool | None = None
    ) -> Envelope:
        """Send a new envelope to a live connection; ``NoConnection`` when there is none."""
        if kind not in KINDS:
            raise ValueError(f"an envelope's type is one of {KINDS}, not {kind!r}")
        with self._changed:
            connection = self._links.pick()
            if connection is None or self._stopped:
                raise NoConnection("the app has no live Socket Mode connection")
            envelope = Envelope(
                envelope_id=str(uuid.uuid4()),
                type=kind,
                payload=dict(payload),
                accepts_response_payload=(
                    accepts_response_payload(kind, payload) if accepts is None else accepts
                ),
            )
            self._by_id[envelope.envelope_id] = envelope
            attempt = self._attempt(envelope, connection, 0, "")
        self._links.send(connection, envelope.message(attempt))  # lost: the timer redelivers
        return envelope

    def _attempt(self, envelope: Envelope, connection: str, retry: int, reason: str) -> Attempt:
        """Record an attempt and start its ack timer (lock held)."""
        attempt = Attempt(connection, retry, reason, time.time())
        envelope.attempts.append(attempt)
        timer = threading.Timer(self.ack_timeout, self._expired, (envelope, len(envelope.attempts)))
        timer.daemon = True
        self._timers[envelope.envelope_id] = timer
        timer.start()
        self._changed.notify_all()
        return attempt

    def _expired(self, envelope: Envelope, attempts_then: int) -> None:
        """No ack in time: redeliver once on a live connection, else give the envelope up."""
        with self._changed:
            if envelope.settled.is_set() or len(envelope.attempts) != attempts_then:
                return
            if attempts_then > REDELIVERIES or self._stopped:
                self._settle(envelope, given_up=True)
                return
            previous = envelope.attempts[-1].connection

            def where() -> str | None:
                if self._stopped or envelope.settled.is_set():
                    return "-"  # stop waiting
                return self._links.pick(avoid=previous)

            # Between a drop and the app's reconnect there may be no connection for a moment.
            connection = self._changed.wait_for(where, timeout=self.ack_timeout)
            if envelope.settled.is_set():
                return
            if connection in (None, "-"):
                self._settle(envelope, given_up=True)
                return
            attempt = self._attempt(envelope, connection, attempts_then, "timeout")
        log.info("redelivering envelope %s on %s", envelope.envelope_id, connection)
        self._links.send(connection, envelope.message(attempt))

    def receive(self, connection: str, raw: str | bytes) -> None:
        """One message from the app: an ack counts (or is withheld); anything else is ignored."""
        try:
            message = json.loads(raw)
        except ValueError:
            log.warning("ignored a message that is not JSON on %s", connection)
            return
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        with self._changed:
            envelope = self._by_id.get(envelope_id) if isinstance(envelope_id, str) else None
            if envelope is None or envelope.settled.is_set():
                log.info("ignored a message for no pending envelope on %s", connection)
                return
            if self._withhold > 0:
                self._withhold -= 1
                envelope.withheld += 1
                self._changed.notify_all()
                return
            payload = message.get("payload")
            if envelope.accepts_response_payload and isinstance(payload, dict):
                envelope.ack_payload = payload
            envelope.acked_on = connection
            self._settle(envelope)

    def _settle(self, envelope: Envelope, *, given_up: bool = False) -> None:
        """Acked or given up (lock held)."""
        timer = self._timers.pop(envelope.envelope_id, None)
        if timer is not None:
            timer.cancel()
        envelope.given_up = given_up
        envelope.settled.set()
        self._changed.notify_all()

    def withhold(self, count: int = 1) -> None:
        """Lose the app's next ``count`` acks."""
        with self._changed:
            self._withhold += count
            self._changed.notify_all()

    def start(self) -> None:
        """Accept envelopes (again, after ``stop``)."""
        with self._changed:
            self._stopped = False

    def stop(self) -> None:
        """Give up every pending envelope and stop redelivering."""
        with self._changed:
            self._stopped = True
            for envelope in self._by_id.values():
                if not envelope.settled.is_set():
                    self._settle(envelope, given_up=True)

    def all(self) -> list[Envelope]:
        """Copies of every envelope sent so far, oldest first."""
        with self._changed:
            return [self._copy(d) for d in self._by_id.values()]

    def get(self, envelope_id: str) -> Envelope:
        """A copy of one envelope's record as it stands now."""
        with self._changed:
            return self._copy(self._by_id[envelope_id])

    @staticmethod
    def _copy(envelope: Envelope) -> Envelope:
        return dataclasses.replace(envelope, attempts=list(envelope.attempts))
