"""Slow and idle HTTP clients, as an attacker (or a bad network) would hold a server's connections.

    with SlowClients("127.0.0.1", port, count=50) as slow:
        ...  # meanwhile, check that real requests are still answered
        slow.open_count()  # how many of them the server has not hung up on yet

Three kinds, in turn: *headers* sends a request line and then one byte of a header at a time,
never finishing them; *body* sends complete headers announcing a body and then one byte of it at a
time; *idle* connects and sends nothing. One thread trickles a byte down every open connection
each `interval` seconds, for as long as the context lasts, and notices which ones the server has
closed. Only loopback addresses are accepted: this is a test tool for the machine it runs on.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal

Kind = Literal["headers", "body", "idle"]
KINDS: tuple[Kind, ...] = ("headers", "body", "idle")


@dataclass
class _Client:
    kind: Kind
    sock: socket.socket
    open: bool = True
    sent: int = 0


@dataclass
class SlowClients:
    """`count` slow or idle connections to host:port, trickled for as long as the context lasts."""

    host: str
    port: int
    count: int = 50
    interval: float = 0.5
    path: str = "/slack/events"
    kinds: tuple[Kind, ...] = KINDS
    _clients: list[_Client] = field(default_factory=list, init=False)
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        if not ipaddress.ip_address(socket.gethostbyname(self.host)).is_loopback:
            raise ValueError(f"slow clients only target this machine, not {self.host}")

    def __enter__(self) -> SlowClients:
        for i in range(self.count):
            kind = self.kinds[i % len(self.kinds)]
            sock = socket.create_connection((self.host, self.port), timeout=5)
            sock.setblocking(False)
            client = _Client(kind, sock)
            self._send(client, self._opening(kind))
            self._clients.append(client)
        self._thread = threading.Thread(target=self._trickle, name="slow-clients", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        for client in self._clients:
            client.sock.close()

    def opened(self, kind: Kind | None = None) -> int:
        """How many connections (of `kind`) were opened."""
        return sum(1 for c in self._clients if kind is None or c.kind == kind)

    def open_count(self, kind: Kind | None = None) -> int:
        """How many connections (of `kind`) the server has not closed yet."""
        with self._lock:
            return sum(1 for c in self._clients if c.open and (kind is None or c.kind == kind))

    def _opening(self, kind: Kind) -> bytes:
        start = f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        if kind == "headers":
            return (start + "Content-Type: application/x-www-form-urlencoded\r\nX-Slow: ").encode()
        if kind == "body":
            return (
                start + "Content-Type: application/x-www-form-urlencoded\r\n"
                "Content-Length: 100000\r\n\r\npayload="
            ).encode()
        return b""

    def _send(self, client: _Client, data: bytes) -> None:
        if not data or not client.open:
            return
        try:
            client.sock.send(data)
            client.sent += len(data)
        except BlockingIOError:
            pass  # the server is not reading: exactly what a slow client hopes for
        except OSError:
            client.open = False

    def _closed_by_server(self, client: _Client) -> bool:
        try:
            data = client.sock.recv(4096)
        except BlockingIOError:
            return False  # nothing to read: still open
        except OSError:
            return True
        return data == b"" or data.startswith(b"HTTP/")  # hung up, or answered (an error)

    def _trickle(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                for client in self._clients:
                    if not client.open:
                        continue
                    if self._closed_by_server(client):
                        client.open = False
                        continue
                    if client.kind != "idle":
                        self._send(client, b"a")
