"""The signature is checked on the raw bytes before anything reads the body.

Unsigned, stale, wrongly signed and tampered bodies of every size get 401 without being decoded or
parsed; a body over the limit gets 413 before it is read; a timestamp or signature header Slack
would never send (not a number of seconds, a fraction, 400 digits, sent twice, not ASCII) is a
401 like any other bad signature, never a 500 with a traceback.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from slack_sdk.signature import SignatureVerifier

import bot.web
from bot.core.limits import REQUEST_BODY_MAX
from bot.sandbox.requests import FORM, JSON
from bot.slack import inbound
from tests.e2e.conftest import Stack

BAD_SIGNATURES = ("unsigned", "stale", "wrong_secret", "tamper")
# From nothing to just under the limit; the largest is the 985 KB flood of issue 14.
SIZES = (0, 1, 65_536, 985_000, REQUEST_BODY_MAX - 64)
# A request Slack does send, so only the headers can be wrong with it.
URL_VERIFICATION = json.dumps({"type": "url_verification", "challenge": "c-2"}).encode()


@pytest.fixture(scope="module")
def stack(bare_stack: Stack) -> Stack:
    return bare_stack


@pytest.fixture()
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every body the web app decodes or parses from now on (the real parsers still run)."""
    seen: list[str] = []

    def spy(name: str, real: Any) -> Any:
        def recorded(*args: Any, **kwargs: Any) -> Any:
            seen.append(name)
            return real(*args, **kwargs)

        return recorded

    monkeypatch.setattr(bot.web, "BoltRequest", spy("BoltRequest", bot.web.BoltRequest))
    for name in ("problem", "problem_in"):
        monkeypatch.setattr(inbound, name, spy(name, getattr(inbound, name)))
    return seen


def crashing_body(size: int) -> str:
    """A form body of `size` bytes whose payload nests deeper than any JSON parser goes."""
    if size < len("payload="):
        return "p" * size
    return "payload=" + "[" * (size - len("payload="))


def post(
    stack: Stack,
    body: bytes,
    headers: list[tuple[str, str | bytes]],
    content_type: str = FORM,
) -> tuple[int, Any]:
    """A POST to /slack/events with exactly these headers (repeats allowed, bytes sent as they
    are)."""
    url = urlsplit(stack.sender.request_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        conn.putrequest("POST", url.path)
        conn.putheader("Content-Type", content_type)
        conn.putheader("Content-Length", str(len(body)))
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


def signed_for(stack: Stack, body: bytes, timestamp: str) -> str:
    """A valid v0 signature of `body` for this exact timestamp text, made with the right secret."""
    verifier = SignatureVerifier(stack.slack.signing_secret)
    return verifier.generate_signature(timestamp=timestamp, body=body)  # type: ignore[return-value]


def test_unsigned_and_wrongly_signed_bodies_of_every_size_get_401_unparsed(
    stack: Stack, parsed: list[str]
) -> None:
    for size in SIZES:
        body = crashing_body(size)
        for variant in BAD_SIGNATURES:
            response = stack.sender.post(body, FORM, **{variant: True})
            assert (response.status, response.json()) == (401, {"error": "invalid request"}), (
                size,
                variant,
            )
            assert parsed == [], f"a {size}-byte body, {variant}, was read before its signature"


def test_a_signed_body_is_read_after_its_signature(stack: Stack, parsed: list[str]) -> None:
    """The spy sees what the app reads: a correctly signed body is parsed, once its signature
    holds (and a crashing one is a 400, Slack never sends it)."""
    response = stack.sender.post(crashing_body(65_536), FORM)
    assert response.status == 400 and "malformed request" in response.text
    assert parsed
    parsed.clear()
    challenge = stack.sender.send_event({"type": "url_verification", "challenge": "c-1"})
    assert challenge.status == 200 and "c-1" in challenge.text and parsed


@pytest.mark.parametrize("signed", [True, False])
def test_a_body_over_the_limit_gets_413_before_it_is_sent(
    stack: Stack, parsed: list[str], signed: bool
) -> None:
    """Only the headers go out: the answer comes before a byte of the body."""
    url = urlsplit(stack.sender.request_url)
    timestamp = str(int(time.time()))
    headers = [
        f"POST {url.path} HTTP/1.1",
        f"Host: {url.netloc}",
        f"Content-Type: {FORM}",
        f"Content-Length: {REQUEST_BODY_MAX + 1}",
    ]
    if signed:  # signed for a body the server never gets to see
        signature = signed_for(stack, b"x" * (REQUEST_BODY_MAX + 1), timestamp)
        headers += [f"X-Slack-Request-Timestamp: {timestamp}", f"X-Slack-Signature: {signature}"]
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
        answer = sock.recv(4096).decode()
    assert answer.startswith("HTTP/1.") and " 413 " in answer.splitlines()[0], answer
    assert parsed == []


def _timestamps(now: int) -> dict[str, list[tuple[str, str | bytes]]]:
    """Header sets Slack never sends, each signed correctly for the timestamp text it carries."""
    cases: dict[str, list[tuple[str, str | bytes]]] = {}
    for name, text in {
        "letters": "abc",
        "a fraction": f"{now}.648",
        "400 digits": "9" * 400,
        "empty": "",
        "a sign": f"+{now}",
        "hexadecimal": hex(now),
        "an underscore": f"{str(now)[:4]}_{str(now)[4:]}",
    }.items():
        cases[name] = [("X-Slack-Request-Timestamp", text), ("X-Slack-Signature", "")]
    # Full-width digits: Python's int() reads them; the header carries their UTF-8 bytes.
    wide = "".join(chr(0xFF10 + int(d)) for d in str(now))
    cases["full-width digits"] = [
        ("X-Slack-Request-Timestamp", wide.encode()),
        ("X-Slack-Signature", ""),
    ]
    cases["the timestamp twice"] = [
        ("X-Slack-Request-Timestamp", str(now)),
        ("X-Slack-Request-Timestamp", str(now)),
        ("X-Slack-Signature", ""),
    ]
    cases["the signature twice"] = [
        ("X-Slack-Request-Timestamp", str(now)),
        ("X-Slack-Signature", ""),
        ("X-Slack-Signature", ""),
    ]
    cases["a signature that is not ASCII"] = [
        ("X-Slack-Request-Timestamp", str(now)),
        ("X-Slack-Signature", b"v0=" + "\u00e9".encode() * 32),
    ]
    return cases


CASES = sorted(_timestamps(0))


@pytest.mark.parametrize("case", CASES)
def test_a_malformed_timestamp_or_signature_header_is_a_401(stack: Stack, case: str) -> None:
    """Each correctly signed for the timestamp text it carries, so only its form can refuse it.
    Nothing is logged at ERROR (the security suite's fixture fails the test otherwise)."""
    body = URL_VERIFICATION
    headers = _timestamps(int(time.time()))[case]
    timestamp = next(v for k, v in headers if k == "X-Slack-Request-Timestamp")
    text = timestamp.decode("latin-1") if isinstance(timestamp, bytes) else timestamp
    good = signed_for(stack, body, text)
    headers = [(k, good if k == "X-Slack-Signature" and v == "" else v) for k, v in headers]
    assert post(stack, body, headers, JSON) == (401, {"error": "invalid request"})
    stack.settle()


def test_the_same_request_with_a_well_formed_timestamp_is_answered(stack: Stack) -> None:
    """The control: signed the same way, a timestamp of whole seconds now is accepted."""
    now = str(int(time.time()))
    signature = signed_for(stack, URL_VERIFICATION, now)
    headers = [("X-Slack-Request-Timestamp", now), ("X-Slack-Signature", signature)]
    assert post(stack, URL_VERIFICATION, headers, JSON) == (200, {"challenge": "c-2"})
