"""The asynchronous front `upward serve` puts before the WSGI app, so slow clients hold no thread.

uvicorn (run by gunicorn's `uvicorn_worker.UvicornH11Worker`) reads every connection in one event
loop: a connection that is idle, or sends its headers a byte at a time, costs the loop a few KB
and never reaches the app. `WSGIFront` then reads the whole body in the loop too, with a size cap
and a deadline, and only then runs the WSGI app (bot.web.UpwardWSGI) in one of `threads` threads.
"""

from __future__ import annotations

import asyncio
import contextvars
import io
import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from a2wsgi.wsgi import build_environ

from bot.core.limits import REQUEST_BODY_MAX

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Answer = tuple[int, list[tuple[bytes, bytes]], bytes]

# Slack's requests are tens of KB sent from its data centres, done in milliseconds; a client that
# needs longer for a whole body is answered 408 and let go. Shorter than gunicorn's 10 s graceful
# timeout, so a deploy never waits on one.
BODY_DEADLINE_SECONDS = 5.0


class _TooLarge(Exception):
    pass


class _Gone(Exception):
    pass


class WSGIFront:
    """ASGI app running a WSGI app once the whole request is in memory, in one trip to a thread.

    A body declared or found larger than `max_bytes` is answered 413 (before any of it is read
    when Content-Length says so), one not complete within `deadline` seconds 408; both close the
    connection. Then the WSGI app runs in a thread with the body as `wsgi.input`, and what it
    answers (Upward's answers are small) is sent from the loop.

    Written here because no library does both halves: uvicorn hands an app the body as it
    arrives, and a2wsgi's WSGIMiddleware starts the WSGI thread at once, lets it block reading a
    slow body, and makes a blocking trip back to the loop for every read and write. Measured with
    bench/ack_latency.py under load, those trips cost Upward about 1.5 ms of CPU per click and
    doubled its median ack in the closed loop; one trip costs what gunicorn's gthread did. The
    WSGI environ is a2wsgi's own `build_environ`.
    """

    def __init__(
        self,
        app: WSGIApp,
        *,
        threads: int,
        max_bytes: int = REQUEST_BODY_MAX,
        deadline: float = BODY_DEADLINE_SECONDS,
    ) -> None:
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="upward-web")
        self.max_bytes = max_bytes
        self.deadline = deadline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":  # websockets: not Upward's
            await send({"type": "websocket.close", "code": 1000})
            return
        declared = _content_length(scope)
        if declared is None or declared > self.max_bytes:
            await _refuse(send, 413, "request body too large")
            return
        try:
            body = await asyncio.wait_for(self._read(receive), self.deadline)
        except _TooLarge:
            await _refuse(send, 413, "request body too large")
            return
        except TimeoutError:
            await _refuse(send, 408, "request body not received in time")
            return
        except _Gone:
            return
        headers = [
            (name, value)
            for name, value in scope["headers"]
            if name not in (b"content-length", b"transfer-encoding")
        ]
        headers.append((b"content-length", str(len(body)).encode()))
        environ = build_environ({**scope, "headers": headers}, io.BytesIO(body))  # type: ignore[arg-type, typeddict-item]
        # A copy of the loop's context: what the app sets in it (the request id) ends with it.
        run = contextvars.copy_context().run
        loop = asyncio.get_running_loop()
        status, response_headers, data = await loop.run_in_executor(
            self.executor, run, self._answer, environ
        )
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": data})

    async def _read(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Gone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _answer(self, environ: dict[str, Any]) -> Answer:
        """Call the WSGI app (in a thread) and collect its whole answer."""
        started: list[Any] = []
        chunks: list[bytes] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            started[:] = [status, headers]  # nothing is sent before the app returns
            return chunks.append  # PEP 3333's write()

        iterable = self.app(environ, start_response)
        try:
            chunks.extend(iterable)
        finally:
            getattr(iterable, "close", lambda: None)()
        status, headers = started
        encoded = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        return int(status.split(" ", 1)[0]), encoded, b"".join(chunks)


def _content_length(scope: Scope) -> int | None:
    """The declared length (0 when none is declared), or None when it is not one number."""
    values = [value for name, value in scope["headers"] if name == b"content-length"]
    if not values:
        return 0
    if len(values) > 1 or not values[0].isdigit() or len(values[0]) > 12:
        return None
    return int(values[0])


async def _lifespan(receive: Receive, send: Send) -> None:
    """Nothing to start or stop: the WSGI app is built before the loop runs."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _refuse(send: Send, status: int, error: str) -> None:
    data = json.dumps({"ok": False, "error": error}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


def asgi_front(wsgi: WSGIApp, *, threads: int) -> ASGIApp:
    """`wsgi` behind the front: whole bodies read in the event loop, then `threads` app threads."""
    return WSGIFront(wsgi, threads=threads)
