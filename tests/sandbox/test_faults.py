"""Fault injection: 5xx shares, one-off errors, dropped connections, failures after commit."""

from __future__ import annotations

import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from bot.sandbox import FaultPlan, Faults, SlackStandIn
from tests.sandbox.conftest import ALICE

FAST = FixedValueRetryIntervalCalculator(0.01)


def _outcomes(rate: float, seed: int) -> list[int]:
    faults = Faults(FaultPlan(error_rate=rate, seed=seed))
    return [f.status if f else 200 for f in (faults.decide("chat.postMessage") for _ in range(200))]


def test_error_share_is_seeded_and_reproducible() -> None:
    first, again = _outcomes(0.25, seed=7), _outcomes(0.25, seed=7)
    assert first == again
    failures = sum(s != 200 for s in first)
    assert 25 <= failures <= 75
    assert {s for s in first if s != 200} <= {500, 503}
    assert _outcomes(0.25, seed=8) != first


def test_faults_can_target_some_methods(slack: SlackStandIn, client: WebClient) -> None:
    slack.faults.configure(FaultPlan(error_rate=1.0, methods=frozenset({"chat.postMessage"})))
    assert client.auth_test()["ok"]
    with pytest.raises(SlackApiError) as error:
        client.chat_postMessage(channel=ALICE, text="x")
    assert error.value.response.status_code in (500, 503)
    assert slack.workspace.dm_messages(ALICE) == []  # decided before the side effect


def test_one_off_slack_error_with_http_200(slack: SlackStandIn, client: WebClient) -> None:
    slack.fail_next("chat.postMessage", error="account_inactive", status=200, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as error:
            client.chat_postMessage(channel=ALICE, text="x")
        assert (error.value.response.status_code, error.value.response["error"]) == (
            200,
            "account_inactive",
        )
    assert client.chat_postMessage(channel=ALICE, text="third time")["ok"]
    assert [m["text"] for m in slack.workspace.dm_messages(ALICE)] == ["third time"]


def test_server_error_retry_handler_recovers(slack: SlackStandIn) -> None:
    slack.fail_next("chat.postMessage", status=503, times=2)
    client = WebClient(
        base_url=slack.api_url,
        token=slack.bot_token,
        retry_handlers=[ServerErrorRetryHandler(max_retry_count=2, interval_calculator=FAST)],
    )
    assert client.chat_postMessage(channel=ALICE, text="made it")["ok"]
    assert [c.status for c in slack.workspace.calls_to("chat.postMessage")] == [503, 503, 200]
    assert len(slack.workspace.dm_messages(ALICE)) == 1  # nothing was lost, nothing doubled


def test_dropped_connection_is_recovered_by_connection_retry(slack: SlackStandIn) -> None:
    slack.fail_next("chat.postMessage", drop=True)
    client = WebClient(
        base_url=slack.api_url,
        token=slack.bot_token,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1, interval_calculator=FAST)],
    )
    assert client.chat_postMessage(channel=ALICE, text="after a drop")["ok"]
    assert [m["text"] for m in slack.workspace.dm_messages(ALICE)] == ["after a drop"]


def test_dropped_connection_without_retry_raises(slack: SlackStandIn) -> None:
    slack.fail_next("auth.test", drop=True)
    client = WebClient(base_url=slack.api_url, token=slack.bot_token, retry_handlers=[])
    with pytest.raises(ConnectionError):
        client.auth_test()


def test_fail_after_commit_posts_the_message_but_answers_500(
    slack: SlackStandIn, client: WebClient
) -> None:
    slack.fail_next("chat.postMessage", status=500, after_commit=True)
    with pytest.raises(SlackApiError) as error:
        client.chat_postMessage(channel=ALICE, text="did it post?")
    assert error.value.response.status_code == 500
    assert [m["text"] for m in slack.workspace.dm_messages(ALICE)] == ["did it post?"]
    assert slack.workspace.calls[-1].fault == "error 500 internal_error after commit"


def test_drop_after_commit_with_default_retry_posts_twice(slack: SlackStandIn) -> None:
    # slack_sdk's default handler retries connection errors once: without idempotency the
    # message is posted twice. (Same handler as the default, with a short interval.)
    slack.fail_next("chat.postMessage", drop=True, after_commit=True)
    client = WebClient(
        base_url=slack.api_url,
        token=slack.bot_token,
        retry_handlers=[ConnectionErrorRetryHandler(interval_calculator=FAST)],
    )
    client.chat_postMessage(channel=ALICE, text="twice")
    assert [m["text"] for m in slack.workspace.dm_messages(ALICE)] == ["twice", "twice"]


def test_slow_answers_delay_the_response(slack: SlackStandIn, client: WebClient) -> None:
    slack.faults.configure(slow_rate=1.0, slow_seconds=0.3)
    started = time.monotonic()
    assert client.auth_test()["ok"]
    assert time.monotonic() - started >= 0.3
    slack.faults.clear()
    started = time.monotonic()
    client.auth_test()
    assert time.monotonic() - started < 0.3


def test_fault_plan_rejects_impossible_rates() -> None:
    with pytest.raises(ValueError, match="error_rate"):
        FaultPlan(error_rate=1.5)
