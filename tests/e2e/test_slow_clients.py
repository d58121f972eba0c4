"""`upward serve` with slow and idle clients connected: /healthz and signed clicks still answer.

gunicorn's gthread workers gave each connection a thread while it read its request, so ten
clients sending their headers a byte at a time made /healthz time out for 75 s. uvicorn reads
requests in its event loop and bot.asgi reads each whole body there before an app thread sees it.
"""

from __future__ import annotations

import signal
import socket
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from slack_sdk import WebClient
from sqlalchemy.engine import URL

from bot.core.limits import REQUEST_BODY_MAX
from bot.sandbox import DEMO_SEED_PATH, SignedSender, SimulatedUser, SlackStandIn
from bot.sandbox.slow_clients import SlowClients
from tests.e2e.conftest import eventually
from tests.e2e.test_serve import _wait_healthy, start_serve

EXEC = "U07EXEC0003"
SLOW = 50
ANSWER_WITHIN = 1.0  # seconds: what Slack allows is 3, and each of these needs milliseconds


@contextmanager
def serving(database: URL, tmp_path: Path, *args: str) -> Iterator[tuple[SlackStandIn, str]]:
    """`upward serve ARGS` against the stand-in, stopped with SIGTERM, which must exit 0."""
    with SlackStandIn(DEMO_SEED_PATH, rate_limits=False) as slack:
        proc, url = start_serve(database, slack, tmp_path, *args)
        try:
            _wait_healthy(url, proc)
            yield slack, url
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "Traceback" not in err, err


def healthz(url: str) -> int:
    with urllib.request.urlopen(f"{url}/healthz", timeout=ANSWER_WITHIN) as response:
        return response.status


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the database plays no part
def test_fifty_slow_or_idle_clients_hold_no_thread(empty_database: URL, tmp_path: Path) -> None:
    # One process of four threads: fifty slow clients would hold every thread twelve times over.
    with serving(empty_database, tmp_path, "--workers", "1", "--threads", "4") as (slack, url):
        WebClient(base_url=slack.api_url, token=slack.bot_token).chat_postMessage(
            channel=EXEC,
            text="An old message",
            blocks=[
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "retired.button",
                            "text": {"type": "plain_text", "text": "Old button"},
                        }
                    ],
                }
            ],
        )
        sender = SignedSender(f"{url}/slack/events", slack.signing_secret, timeout=ANSWER_WITHIN)
        person = SimulatedUser(slack, sender, EXEC)
        port = urlsplit(url).port
        assert port is not None
        with SlowClients("127.0.0.1", port, count=SLOW) as slow:
            for _ in range(10):
                assert healthz(url) == 200
                assert person.click_button("Old button").status == 200
            # Headers a byte at a time and idle connections are still held open meanwhile...
            for kind in ("headers", "idle"):
                assert slow.open_count(kind) == slow.opened(kind) > 0
            # ...and a body trickled for longer than the front's deadline is answered 408 and
            # let go.
            assert eventually(lambda: slow.open_count("body") == 0, timeout=30)
            assert healthz(url) == 200
            # The click was handled, not only acked: it told the person the button is retired.
            assert eventually(lambda: person.ephemerals(), timeout=10)
        # SIGTERM (in `serving`) with the slow clients gone or still connected exits 0.


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_slow_clients_still_connected_do_not_hold_up_a_graceful_stop(
    empty_database: URL, tmp_path: Path
) -> None:
    with (
        serving(empty_database, tmp_path, "--workers", "2") as (_slack, url),
        SlowClients("127.0.0.1", urlsplit(url).port or 0, count=SLOW, kinds=("headers", "idle")),
    ):
        assert healthz(url) == 200
        # `serving` sends SIGTERM while all fifty are connected; it must exit 0 within 30 s.


def _raw(url: str, head: list[str], body: bytes = b"") -> str:
    """Send a request as raw bytes; the first line of the answer."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.decode("latin-1").splitlines()[0] if answer else ""


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_body_over_the_limit_is_refused_by_the_front_chunked_or_not(
    empty_database: URL, tmp_path: Path
) -> None:
    with serving(empty_database, tmp_path, "--workers", "1") as (_slack, url):
        start = ["POST /slack/events HTTP/1.1", f"Host: {urlsplit(url).netloc}"]
        declared = _raw(url, [*start, f"Content-Length: {REQUEST_BODY_MAX + 1}"])
        assert " 413 " in declared, "answered from Content-Length, before the body is sent"
        chunk = b"a" * 65_536
        chunked = b"".join(
            b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(REQUEST_BODY_MAX // len(chunk) + 1)
        )
        answer = _raw(url, [*start, "Transfer-Encoding: chunked"], chunked + b"0\r\n\r\n")
        assert " 413 " in answer, answer
        assert healthz(url) == 200
