"""Socket Mode on the stand-in: the WebSocket that ``apps.connections.open`` points an app at.

The rules it keeps, as Slack keeps them:

- A URL (``ws://HOST:PORT/link/?ticket=…&app_id=…``, issued by ``open_url`` for the app-level
  token that server.py checked) opens one connection, once; an unknown or spent ticket is refused
  in the handshake (HTTP 401), and the client must ask ``apps.connections.open`` again.
- An app holds at most ``MAX_CONNECTIONS`` (10) connections; another one hears ``disconnect`` with
  ``too_many_websockets`` and is closed.
- A new connection first hears ``hello`` (``num_connections``, ``connection_info.app_id``,
  ``debug_info``). The app's pings are answered (the library does that).
- Each envelope goes to one live connection, round robin, passing over connections told to
  disconnect while another is live. Acks and redelivery are ``bot.sandbox.socket_deliveries``'s.
- ``disconnect(reason)`` sends ``{"type": "disconnect", "reason": …}`` and closes that connection
  once the app has opened its replacement (or after ``disconnect_grace`` seconds;
  ``link_disabled`` at once), as Slack does when it rotates connections. ``drop()`` resets the TCP
  connection with no word at all, as a network failure would.

Why ``websockets.sync.server``: the rest of the stand-in is threads (``ThreadingHTTPServer``,
``wait_until`` on a condition), and the threaded server fits beside it with no event loop to run,
share or stop; ``websockets`` is well kept, speaks RFC 6455 fully (handshake, masking, pings,
close codes) and lets ``process_request`` refuse a bad ticket in the handshake. It listens on a
port of its own, bound lazily on the first ``apps.connections.open``, so a stand-in that never
sees Socket Mode starts no extra thread.
"""

from __future__ import annotations

import http
import itertools
import json
import logging
import secrets
import socket
import struct
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from bot.sandbox.socket_deliveries import Deliveries, Envelope, NoConnection

log = logging.getLogger("bot.sandbox.socket_mode")
T = TypeVar("T")

MAX_CONNECTIONS = 10  # per app, as Slack allows
DISCONNECT_REASONS = ("refresh_requested", "warning", "link_disabled")
LINK_PATH = "/link/"
# Slack's hello says roughly how long until it refreshes the connection; the stand-in never does
# by itself (``disconnect`` does it on demand), so this is only what Slack would say.
APPROXIMATE_CONNECTION_TIME = 18060


@dataclass(frozen=True)
class ConnectionInfo:
    """One Socket Mode connection as the stand-in saw it (``closed`` says how it ended)."""

    id: str
    opened_at: float
    closed_at: float | None
    told: str | None  # the disconnect reason it was sent, if any
    closed: str | None  # "by_app", "disconnect", "dropped", "too_many_websockets", "stopped"

    @property
    def live(self) -> bool:
        return self.closed_at is None


class _Link:
    """A connection and what the stand-in knows of it; change only under the server's lock."""

    def __init__(self, number: int, websocket: ServerConnection) -> None:
        self.number = number
        self.id = f"c{number}"
        self.websocket = websocket
        self.opened_at = time.time()
        self.closed_at: float | None = None
        self.told: str | None = None
        self.closed: str | None = None

    @property
    def live(self) -> bool:
        return self.closed_at is None

    def info(self) -> ConnectionInfo:
        return ConnectionInfo(self.id, self.opened_at, self.closed_at, self.told, self.closed)


class SocketModeServer:
    """The app's Socket Mode endpoint: connections, envelopes and the controls tests need."""

    def __init__(
        self,
        app_id: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ack_timeout: float = 3.0,
        disconnect_grace: float = 10.0,
    ) -> None:
        self.app_id = app_id
        self.ack_timeout = ack_timeout  # Slack waits 3 seconds for an ack
        self.disconnect_grace = disconnect_grace
        self._bind = (host, port)
        self._public_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        self._changed = threading.Condition()
        self._links: list[_Link] = []
        self._tickets: set[str] = set()
        self._numbers = itertools.count(1)
        self._turn = itertools.count()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self.deliveries = Deliveries(self, self._changed, ack_timeout=ack_timeout)

    # -- lifecycle ----------------------------------------------------------------------------
    def open_url(self) -> str:
        """A fresh single-use URL for one connection (what apps.connections.open answers)."""
        with self._changed:
            if self._server is None:
                self._start()
            ticket = secrets.token_hex(16)
            self._tickets.add(ticket)
            port = self.port
        return f"ws://{self._public_host}:{port}{LINK_PATH}?ticket={ticket}&app_id={self.app_id}"

    @property
    def port(self) -> int:
        """The WebSocket port (0 until the first apps.connections.open binds it)."""
        return self._server.socket.getsockname()[1] if self._server is not None else 0

    def _start(self) -> None:
        self.deliveries.start()
        self._server = serve(
            self._serve,
            *self._bind,
            process_request=self._check_ticket,
            close_timeout=1,  # a client that never answers our close frame is cut off soon
            logger=logging.getLogger("bot.sandbox.websockets"),
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="slack-stand-in-socket-mode", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Close every connection and the port; pending envelopes are given up."""
        with self._changed:
            server, self._server = self._server, None
            for link in self._links:
                if link.live and link.closed is None:
                    link.closed = "stopped"
        self.deliveries.stop()
        if server is not None:
            server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # -- one connection -------------------------------------------------------------------------
    def _check_ticket(self, websocket: ServerConnection, request: Request) -> Response | None:
        """Refuse the handshake unless it carries an unspent ticket of this app."""
        url = urlsplit(request.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        with self._changed:
            ticket = query.get("ticket", "")
            valid = url.path in (LINK_PATH, LINK_PATH.rstrip("/")) and ticket in self._tickets
            valid = valid and query.get("app_id") == self.app_id
            self._tickets.discard(ticket)
        if valid:
            return None
        return websocket.respond(http.HTTPStatus.UNAUTHORIZED, "invalid_ticket\n")

    def _serve(self, websocket: ServerConnection) -> None:
        """Run one connection: hello, then every message from the app, until it closes."""
        with self._changed:
            live = sum(1 for link in self._links if link.live)
            link = _Link(next(self._numbers), websocket)
            self._links.append(link)
            if live >= MAX_CONNECTIONS:
                link.told = link.closed = "too_many_websockets"
            self._changed.notify_all()
        try:
            if link.closed == "too_many_websockets":
                websocket.send(json.dumps(self._disconnect_message("too_many_websockets")))
                websocket.close()
                return
            websocket.send(json.dumps(self._hello(live + 1)))
            log.info("Socket Mode connection %s opened (%d live)", link.id, live + 1)
            for message in websocket:
                self.deliveries.receive(link.id, message)
        except ConnectionClosed:
            pass
        finally:
            with self._changed:
                link.closed_at = time.time()
                link.closed = link.closed or "by_app"
                self._changed.notify_all()
            log.info("Socket Mode connection %s closed (%s)", link.id, link.closed)

    def _hello(self, num_connections: int) -> dict[str, Any]:
        return {
            "type": "hello",
            "num_connections": num_connections,
            "debug_info": {
                "host": "applink-sandbox",
                "build_number": 1,
                "approximate_connection_time": APPROXIMATE_CONNECTION_TIME,
            },
            "connection_info": {"app_id": self.app_id},
        }

    @staticmethod
    def _disconnect_message(reason: str) -> dict[str, Any]:
        return {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-sandbox"}}

    # -- sending ----------------------------------------------------------------------------------
    def pick(self, avoid: str | None = None) -> str | None:
        """The connection the next envelope goes to (call with the lock held); None if none."""
        live = [link for link in self._links if link.live and link.closed is None]
        staying = [link for link in live if link.told is None] or live
        others = [link for link in staying if link.id != avoid] or staying
        return others[next(self._turn) % len(others)].id if others else None

    def send(self, connection_id: str, message: Mapping[str, Any]) -> bool:
        """Send one JSON message on a connection; False if it is gone."""
        with self._changed:
            link = self._link(connection_id)
        try:
            link.websocket.send(json.dumps(message))
        except ConnectionClosed:
            return False
        return True

    def deliver(
        self,
        kind: str,
        payload: Mapping[str, Any],
        *,
        accepts_response_payload: bool | None = None,
    ) -> Envelope:
        """Send one envelope (events_api, interactive, slash_commands) to a live connection.

        Raises ``NoConnection`` when the app has none open (as Slack would tell the person the
        app did not respond). The returned record fills in as the app acks.
        """
        return self.deliveries.deliver(kind, payload, accepts_response_payload)

    # -- controls ---------------------------------------------------------------------------------
    def disconnect(
        self, reason: str = "refresh_requested", *, connection: str | None = None
    ) -> ConnectionInfo:
        """Tell one connection (default: the oldest live one) to go, then close it."""
        if reason not in DISCONNECT_REASONS:
            raise ValueError(f"reason must be one of {DISCONNECT_REASONS}, not {reason!r}")
        with self._changed:
            link = self._live_link(connection)
            link.told = reason
            opened_before = max(other.number for other in self._links)
            self._changed.notify_all()
        sent = self.send(link.id, self._disconnect_message(reason))
        grace = 0.0 if reason == "link_disabled" or not sent else self.disconnect_grace

        def close_when_replaced() -> None:
            with self._changed:
                self._changed.wait_for(
                    lambda: (
                        not link.live
                        or any(o.live and o.number > opened_before for o in self._links)
                    ),
                    timeout=grace,
                )
                if not link.live:
                    return
                link.closed = "disconnect"
            link.websocket.close()

        threading.Thread(
            target=close_when_replaced, name=f"disconnect-{link.id}", daemon=True
        ).start()
        return link.info()

    def drop(self, *, connection: str | None = None) -> ConnectionInfo:
        """Cut one connection (default: the oldest live one) abruptly: no disconnect message and
        no close frame, the TCP connection reset."""
        with self._changed:
            link = self._live_link(connection)
            link.closed = "dropped"
        sock = link.websocket.socket
        try:
            # Linger 0: closing sends a reset (never a FIN first), as a failed network path or
            # load balancer would; then wake the connection's reader so that it ends. (websockets
            # < 17 reads in recv(), which holds the socket open until the client's next ping.)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        except OSError:
            pass  # already gone
        link.websocket.close_socket()
        return link.info()

    def withhold_acks(self, count: int = 1) -> None:
        """Lose the app's next ``count`` acks, as if they vanished with a connection."""
        self.deliveries.withhold(count)

    # -- read-back --------------------------------------------------------------------------------
    def connections(self) -> list[ConnectionInfo]:
        """Every connection so far, oldest first."""
        with self._changed:
            return [link.info() for link in self._links]

    def live_connections(self) -> list[ConnectionInfo]:
        """The connections open now (told to disconnect or not), oldest first."""
        return [info for info in self.connections() if info.live]

    def wait_until(self, predicate: Callable[[], T | None], timeout: float = 5.0) -> T:
        """Block until ``predicate()`` is truthy (re-checked on every Socket Mode change)."""
        with self._changed:
            result = self._changed.wait_for(predicate, timeout)
        if not result:
            raise TimeoutError(f"Socket Mode state did not satisfy the condition in {timeout}s")
        return result

    def describe(self) -> dict[str, Any]:
        """JSON-ready view of connections and envelopes (GET /sandbox/socket-mode)."""
        return {
            "app_id": self.app_id,
            "port": self.port,
            "ack_timeout": self.ack_timeout,
            "connections": [vars(info) | {"live": info.live} for info in self.connections()],
            "envelopes": [d.describe() for d in self.deliveries.all()],
        }

    def control(self, path: str, verb: str, data: Mapping[str, Any]) -> tuple[int, Any]:
        """``/sandbox/socket-mode`` (GET: connections and envelopes) and its POST controls
        ``/disconnect {"reason", "connection"}``, ``/drop {"connection"}`` and
        ``/withhold-acks {"count"}``; (status, JSON)."""
        connection = data.get("connection")
        try:
            if path in ("", "/") and verb == "GET":
                return 200, self.describe()
            if path == "/disconnect" and verb == "POST":
                reason = data.get("reason", "refresh_requested")
                return 200, vars(self.disconnect(reason, connection=connection))
            if path == "/drop" and verb == "POST":
                return 200, vars(self.drop(connection=connection))
            if path == "/withhold-acks" and verb == "POST":
                self.withhold_acks(int(data.get("count", 1)))
                return 200, {"ok": True}
        except NoConnection as exc:
            return 409, {"ok": False, "error": "no_connection", "detail": str(exc)}
        return 404, {"ok": False, "error": "not_found"}

    def _link(self, connection_id: str) -> _Link:
        return next(link for link in self._links if link.id == connection_id)

    def _live_link(self, connection_id: str | None) -> _Link:
        live = [link for link in self._links if link.live and link.closed is None]
        if connection_id is not None:
            live = [link for link in live if link.id == connection_id]
        if not live:
            which = f"connection {connection_id}" if connection_id else "any connection"
            raise NoConnection(f"the app has no live Socket Mode {which}")
        return live[0]
