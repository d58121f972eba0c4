"""The wire format: auth, content types, unknown methods, and the control endpoints."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox import SlackStandIn
from tests.sandbox.conftest import ALICE


def _post(
    url: str, body: bytes, content_type: str, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": content_type, **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_unknown_token_is_invalid_auth_and_no_token_is_not_authed(slack: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as error:
        WebClient(base_url=slack.api_url, token="xoxb-not-a-real-token").auth_test()
    assert error.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as error:
        WebClient(base_url=slack.api_url).auth_test()
    assert error.value.response["error"] == "not_authed"


def test_revoked_token(slack: SlackStandIn, client: WebClient) -> None:
    slack.workspace.revoke_token(slack.bot_token)
    with pytest.raises(SlackApiError) as error:
        client.auth_test()
    assert error.value.response["error"] == "token_revoked"


def test_unknown_method_is_404(slack: SlackStandIn, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as error:
        client.api_call("chat.teleport")
    assert (error.value.response.status_code, error.value.response["error"]) == (
        404,
        "unknown_method",
    )


def test_form_body_with_token_field_and_json_body_with_bearer(slack: SlackStandIn) -> None:
    form = urlencode(
        {
            "token": slack.bot_token,
            "channel": ALICE,
            "text": "form",
            "blocks": json.dumps([{"type": "divider"}]),
        }
    ).encode()
    status, body = _post(
        f"{slack.api_url}chat.postMessage", form, "application/x-www-form-urlencoded"
    )
    assert status == 200 and body["ok"] is True
    payload = json.dumps({"channel": ALICE, "text": "json", "token": "ignored"}).encode()
    status, body = _post(
        f"{slack.api_url}chat.postMessage",
        payload,
        "application/json; charset=utf-8",
        {"Authorization": f"Bearer {slack.bot_token}"},
    )
    assert body["ok"] is True
    _, body = _post(f"{slack.api_url}chat.postMessage", payload, "application/json")
    assert body["error"] == "not_authed"  # Slack reads no token from a JSON body
    _, body = _post(
        f"{slack.api_url}chat.postMessage",
        b"{oops",
        "application/json",
        {"Authorization": f"Bearer {slack.bot_token}"},
    )
    assert body["error"] == "invalid_json"
    assert [m["text"] for m in slack.workspace.dm_messages(ALICE)] == ["form", "json"]


def test_faults_and_rate_limits_can_be_set_over_http(
    slack: SlackStandIn, client: WebClient
) -> None:
    status, body = _post(
        f"{slack.url}/sandbox/faults",
        json.dumps({"error_rate": 1.0, "methods": ["auth.test"]}).encode(),
        "application/json",
    )
    assert status == 200 and body["plan"]["methods"] == ["auth.test"]
    with pytest.raises(SlackApiError):
        client.auth_test()
    _post(
        f"{slack.url}/sandbox/faults", json.dumps({"error_rate": 0.0}).encode(), "application/json"
    )
    _post(
        f"{slack.url}/sandbox/fail-next",
        json.dumps({"method": "auth.test", "error": "account_inactive", "status": 200}).encode(),
        "application/json",
    )
    with pytest.raises(SlackApiError) as error:
        client.auth_test()
    assert error.value.response["error"] == "account_inactive"
    _, body = _post(
        f"{slack.url}/sandbox/rate-limits",
        json.dumps({"enabled": True, "per_method": {"auth.test": [1, 60]}}).encode(),
        "application/json",
    )
    assert body["per_method"]["auth.test"]["calls"] == 1
    client.auth_test()
    with pytest.raises(SlackApiError) as error:
        client.auth_test()
    assert error.value.response.status_code == 429
    status, body = _post(
        f"{slack.url}/sandbox/faults", json.dumps({"bogus": 1}).encode(), "application/json"
    )
    assert status == 400 and "bogus" in body["detail"]


def test_every_call_is_logged(slack: SlackStandIn, client: WebClient) -> None:
    client.auth_test()
    with pytest.raises(SlackApiError):
        client.users_info(user="U0NOBODY01")
    calls = slack.workspace.calls
    assert [(c.method, c.ok, c.error) for c in calls] == [
        ("auth.test", True, None),
        ("users.info", False, "user_not_found"),
    ]
    assert calls[1].args == {"user": "U0NOBODY01"}
