"""An `X-Slack-Request-Id` is logged only in a safe alphabet and a bounded length.

Every line a request logs carries its id (bot.logs.request_id), taken from Slack's header when
sent. Taken verbatim, a header folded over two lines, or holding brackets, escapes or a few KB,
put whatever its sender liked into the log: a forged line, a fake level, terminal escapes.
"""

from __future__ import annotations

import logging
import re
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from bot.logs import request_id
from bot.sandbox import signature_headers
from bot.sandbox.requests import FORM
from tests.e2e.conftest import Stack
from tests.security.conftest import as_interaction

SAFE = re.compile(r"[A-Za-z0-9._:-]{1,64}")


@pytest.fixture(scope="module")
def stack(bare_stack: Stack) -> Stack:
    return bare_stack


class _Ids(logging.Handler):
    """The request id each line was logged under (as the JSON and text formats show it)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.ids: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(("bot", "upward")):
            self.ids.append(request_id.get())


@pytest.fixture()
def logged_ids() -> Iterator[list[str]]:
    handler = _Ids()
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    try:
        yield handler.ids
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def _send(stack: Stack, request_id_header: bytes) -> str:
    """A signed body Slack never sends (the app logs a warning about it), with this header value,
    sent as raw bytes; the answer's status line."""
    body = as_interaction([1]).encode()
    url = urlsplit(stack.sender.request_url)
    signed = signature_headers(body, stack.slack.signing_secret, int(time.time()))
    head = (
        f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: {FORM}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in signed.items())
    ).encode()
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(head + b"X-Slack-Request-Id: " + request_id_header + b"\r\n\r\n" + body)
        answer = sock.recv(4096)
    return answer.split(b"\r\n", 1)[0].decode()


HOSTILE = {
    "a line folded into a forged log line": b"req-1\r\n 00:00:00 ERROR bot.app [admin] forged",
    "brackets and a fake level": b"req-2] ERROR [x",
    "a terminal escape": b"\x1b[31mreq-3\x1b[0m",
    "a newline escaped as text": b"req-4\\n[ERROR]",
    "4 KB": b"r" * 4096,
    "bytes that are not ASCII": "req-\u00e9\u202e".encode(),
    "nothing safe at all": b"[]{}<>\"'",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_request_id_is_logged_in_a_safe_alphabet_and_length(
    stack: Stack, logged_ids: list[str], case: str
) -> None:
    assert " 400 " in _send(stack, HOSTILE[case])
    assert logged_ids, "the refusal was logged"
    for logged in logged_ids:
        assert SAFE.fullmatch(logged), repr(logged)


def test_slacks_own_request_ids_are_logged_as_sent(stack: Stack, logged_ids: list[str]) -> None:
    assert " 400 " in _send(stack, b"7091234567890.1234567890")
    assert logged_ids == ["7091234567890.1234567890"]
