"""The one way Upward builds a Slack Web API client: SLACK_API_URL plus slack-sdk's retry
handlers."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.config import Settings


def make_web_client(
    settings: Settings, *, token: str | None = None, timeout: int = 10, with_token: bool = True
) -> WebClient:
    """A WebClient that waits out 429s (Retry-After) and retries dropped connections.

    5xx answers are not retried here: a 500 after chat.postMessage may still have posted the
    message, so the outbox decides what is safe to send again. `with_token=False` gives a client
    without a token (a distributed app's base client: Bolt sets each workspace's token per request).
    """
    if with_token and token is None:
        token = settings.require_bot_token()
    return WebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=timeout,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=5),
        ],
    )
