"""Signed requests: slack_sdk's verifier accepts good ones and refuses each broken variant."""

from __future__ import annotations

import json
import time

import pytest
from slack_sdk.signature import SignatureVerifier

from bot.sandbox import SignedSender, SlackStandIn, payloads, signature_headers
from tests.sandbox.conftest import ALICE, SECRET, Receiver


def _verify(request: object) -> bool:
    return SignatureVerifier(SECRET).is_valid_request(request.body, request.headers)  # type: ignore[attr-defined]


def test_signature_headers_match_slack_sdk() -> None:
    body = "token=x&command=%2Fcircle"
    headers = signature_headers(body, SECRET, int(time.time()))
    assert SignatureVerifier(SECRET).is_valid_request(body, headers)
    assert headers["X-Slack-Signature"].startswith("v0=")


@pytest.mark.parametrize(
    "option, valid",
    [
        ({}, True),
        ({"stale": True}, False),
        ({"wrong_secret": True}, False),
        ({"tamper": True}, False),
        ({"unsigned": True}, False),
    ],
)
def test_sender_variants(receiver: Receiver, option: dict[str, bool], valid: bool) -> None:
    sender = SignedSender(receiver.url, SECRET)
    sender.send_form({"command": "/circle", "text": "list"}, **option)
    sender.send_event({"type": "url_verification", "challenge": "c"}, **option)
    assert [_verify(r) for r in receiver.requests] == [valid, valid]


def test_retry_headers_and_event_shape(slack: SlackStandIn, receiver: Receiver) -> None:
    sender = SignedSender.for_stand_in(slack, receiver.url)
    envelope = payloads.app_home_opened(slack.workspace, user_id=ALICE, channel_id="D0TEST0001")
    response = sender.send_event(envelope, retry_num=1, retry_reason="http_timeout")
    assert response.status == 200
    request = receiver.requests[0]
    assert request.headers["X-Slack-Retry-Num"] == "1"
    assert request.headers["X-Slack-Retry-Reason"] == "http_timeout"
    assert request.headers["Content-Type"] == "application/json"
    sent = json.loads(request.body)
    assert sent["type"] == "event_callback" and sent["event"]["type"] == "app_home_opened"
    assert sent["event"]["tab"] == "home" and sent["team_id"] == slack.workspace.team_id
    assert sent["authorizations"][0]["user_id"] == slack.workspace.bot_user_id
    assert _verify(request)


def test_error_answers_are_returned_not_raised(receiver: Receiver) -> None:
    receiver.reply = lambda r: (401, b'{"error": "invalid request"}')
    response = SignedSender(receiver.url, SECRET).send_form({"a": "b"}, stale=True)
    assert response.status == 401 and response.json() == {"error": "invalid request"}
