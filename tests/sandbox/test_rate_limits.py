"""Rate limits: 429 with an honest Retry-After, and slack_sdk's retry handler recovering."""

from __future__ import annotations

import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.sandbox import Limit, RateLimiter, RateLimits, SlackStandIn
from tests.sandbox.conftest import ALICE, BOB, SEED


def _limited(**overrides: Limit) -> SlackStandIn:
    return SlackStandIn(SEED, rate_limits=RateLimits(per_method=dict(overrides)))


def test_burst_beyond_the_limit_gets_429_with_retry_after() -> None:
    with _limited(**{"users.info": Limit(3, 1.0)}) as slack:
        client = WebClient(base_url=slack.api_url, token=slack.bot_token)
        for _ in range(3):
            client.users_info(user=ALICE)
        with pytest.raises(SlackApiError) as error:
            client.users_info(user=ALICE)
        response = error.value.response
        assert response.status_code == 429
        assert response["error"] == "ratelimited"
        assert response.headers["Retry-After"] == "1"
        assert slack.workspace.calls[-1].status == 429


def test_retry_handler_recovers_and_every_call_succeeds() -> None:
    with _limited(**{"users.info": Limit(3, 1.0)}) as slack:
        client = WebClient(
            base_url=slack.api_url,
            token=slack.bot_token,
            retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=3)],
        )
        started = time.monotonic()
        answers = [client.users_info(user=ALICE) for _ in range(5)]
        assert all(a["ok"] for a in answers)
        assert time.monotonic() - started < 4
        statuses = [c.status for c in slack.workspace.calls_to("users.info")]
        assert statuses.count(200) == 5 and 429 in statuses


def test_post_message_is_limited_per_channel_not_per_workspace() -> None:
    limits = RateLimits(post_message_per_channel=Limit(2, 1.0))
    with SlackStandIn(SEED, rate_limits=limits) as slack:
        client = WebClient(base_url=slack.api_url, token=slack.bot_token)
        client.chat_postMessage(channel=ALICE, text="1")
        client.chat_postMessage(channel=ALICE, text="2")
        with pytest.raises(SlackApiError) as error:
            client.chat_postMessage(channel=ALICE, text="3")
        assert error.value.response.status_code == 429
        assert client.chat_postMessage(channel=BOB, text="other channel")["ok"]
        assert len(slack.workspace.dm_messages(ALICE)) == 2  # the limited call did nothing


def test_time_scale_shrinks_slack_tiers() -> None:
    # Tier 2 is 20 a minute; at scale 1/6 that is 20 in 10 seconds (ample time for 21 calls even on
    # a busy machine, where a 1-second window let the first calls age out and the test flake).
    with SlackStandIn(SEED, rate_limits=RateLimits(time_scale=1 / 6)) as slack:
        client = WebClient(base_url=slack.api_url, token=slack.bot_token)
        for i in range(20):
            client.conversations_create(name=f"c{i}")
        with pytest.raises(SlackApiError):
            client.conversations_create(name="c-too-many")


def test_retry_after_is_the_honest_wait_rounded_up() -> None:
    now = [0.0]
    limiter = RateLimiter(
        RateLimits(per_method={"users.list": Limit(20, 60.0)}), clock=lambda: now[0]
    )
    assert all(limiter.check("users.list") is None for _ in range(20))
    assert limiter.check("users.list") == 3  # one token every 3 seconds
    now[0] = 2.5
    assert limiter.check("users.list") == 1  # 0.5 s left, rounded up to 1
    now[0] = 3.0
    assert limiter.check("users.list") is None


def test_limits_can_be_switched_off_at_run_time(slack: SlackStandIn) -> None:
    slack.rate_limiter.configure(RateLimits(per_method={"auth.test": Limit(1, 60.0)}))
    client = WebClient(base_url=slack.api_url, token=slack.bot_token)
    client.auth_test()
    with pytest.raises(SlackApiError):
        client.auth_test()
    slack.rate_limiter.configure(enabled=False)
    assert all(client.auth_test()["ok"] for _ in range(10))
