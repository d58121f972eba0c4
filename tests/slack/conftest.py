"""Slack I/O against the real stand-in over HTTP, on the test's own rolled-back database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.sandbox import MINIMAL_SEED, SlackStandIn
from bot.slack.client import make_web_client

ALICE, BOB = "U0ALICE001", "U0BOB00001"  # the two people of MINIMAL_SEED


@pytest.fixture()
def sessions(session: Session) -> sessionmaker[Session]:
    """Sessions on the test's own connection, as a listener or a worker opens them: what they
    commit is a savepoint of the test's transaction, rolled back with it."""
    return sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture()
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(MINIMAL_SEED, rate_limits=False) as stand_in:
        yield stand_in


@pytest.fixture()
def settings(slack: SlackStandIn) -> Settings:
    """One workspace, the stand-in's (as SLACK_BOT_TOKEN and SLACK_API_URL would say)."""
    return Settings(
        database_url="sqlite://",
        slack_api_url=slack.api_url,
        slack_bot_token=SecretStr(slack.bot_token),
        slack_signing_secret=SecretStr(slack.signing_secret),
        slack_client_id=None,
        slack_client_secret=None,
    )


@pytest.fixture()
def client(settings: Settings) -> WebClient:
    """The client Upward builds, with its retry handlers."""
    return make_web_client(settings)
