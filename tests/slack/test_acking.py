"""The one boundary every action runs in: who called, what they clicked, and `perform`'s single
transaction (a refusal or a crash keeps nothing the action wrote, and the person hears one line)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.errors import SOMETHING_WENT_WRONG, InvalidInput, Refusal
from bot.models import Person
from bot.sandbox import SlackStandIn
from bot.sandbox.interactions import new_response_url
from bot.slack.acking import Caller, clicked_value, perform
from bot.slack.replies import Reply
from tests.slack.conftest import ALICE

NOW = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "body, caller",
    [
        (
            {"user": {"id": "U1"}, "channel": {"id": "C1"}, "team": {"id": "T1"}},
            Caller("U1", "C1", "T1"),
        ),
        ({"user_id": "U1", "channel_id": "C1", "team_id": "T1"}, Caller("U1", "C1", "T1")),
        ({"user": {"id": "U1"}}, Caller("U1", None, None)),
        ({"user": "U1", "channel": "C1", "team": 5}, Caller("", None, None)),
        ({"user": {"id": 5}, "channel": {"id": ""}, "team": {"id": None}}, Caller("", None, None)),
        ({}, Caller("", None, None)),
    ],
)
def test_the_caller_is_read_from_the_signed_request_whatever_its_shape(
    body: dict[str, Any], caller: Caller
) -> None:
    assert Caller.of(body) == caller


@pytest.mark.parametrize(
    "body, value",
    [
        ({"actions": [{"value": "12|a"}, {"value": "other"}]}, "12|a"),
        ({"actions": [{"value": ""}]}, ""),
        ({"actions": [{"value": 12}]}, ""),
        ({"actions": [{}]}, ""),
        ({"actions": ["12|a"]}, ""),
        ({"actions": []}, ""),
        ({"actions": {"0": {"value": "12|a"}}}, ""),
        ({"actions": None}, ""),
        ({}, ""),
    ],
)
def test_the_clicked_value_is_a_string_or_empty(body: dict[str, Any], value: str) -> None:
    assert clicked_value(body) == value


def test_a_picked_date_is_read_from_its_own_field() -> None:
    assert clicked_value({"actions": [{"selected_date": "2026-12-20"}]}, "selected_date") == (
        "2026-12-20"
    )


# -- perform -------------------------------------------------------------------------------------
@pytest.fixture()
def context(sessions: sessionmaker[Session], settings: Settings) -> dict[str, Any]:
    return {"sessions": sessions, "settings": settings, "clock": lambda: NOW}


def click(slack: SlackStandIn, client: WebClient, value: str = "go") -> dict[str, Any]:
    dm = client.conversations_open(users=ALICE)["channel"]["id"]
    return {
        "type": "block_actions",
        "user": {"id": ALICE},
        "channel": {"id": dm},
        "response_url": new_response_url(slack.workspace, user_id=ALICE, channel_id=dm),
        "actions": [{"action_id": "x", "value": value, "action_ts": "1796300000.000100"}],
    }


def people(session: Session) -> list[str]:
    session.expire_all()
    return list(session.scalars(select(Person.slack_user_id).order_by(Person.slack_user_id)))


def told(slack: SlackStandIn) -> list[str]:
    return [r["payload"]["text"] for r in slack.workspace.responses]


def writes_then(
    outcome: BaseException | None,
) -> Callable[[Session, Caller, str, dt.datetime], Reply]:
    """An action that adds a person, then returns or raises `outcome`."""

    def act(session: Session, caller: Caller, parsed: str, now: dt.datetime) -> Reply:
        session.add(Person(slack_user_id=f"U0{parsed.upper()}", display_name=caller.user_id))
        session.flush()
        if outcome is not None:
            raise outcome
        return Reply(f"Added {parsed} at {now:%H:%M} for {caller.user_id}.")

    return act


def test_an_action_runs_with_the_caller_and_the_clock_and_its_writes_are_committed(
    session: Session, slack: SlackStandIn, client: WebClient, context: dict[str, Any]
) -> None:
    perform(
        writes_then(None), clicked_value, body=click(slack, client), context=context, client=client
    )

    assert people(session) == ["U0GO"]
    assert told(slack) == [f"Added go at 09:00 for {ALICE}."]


@pytest.mark.parametrize(
    "raised, says",
    [
        (
            Refusal("Only this circle's mentor can do that."),
            "Only this circle's mentor can do that.",
        ),
        (InvalidInput("2026-13-01 is not a date."), "2026-13-01 is not a date."),
        (RuntimeError("a bug"), SOMETHING_WENT_WRONG),
    ],
)
def test_a_refusal_or_a_crash_keeps_nothing_and_is_one_private_line(
    session: Session,
    slack: SlackStandIn,
    client: WebClient,
    context: dict[str, Any],
    raised: BaseException,
    says: str,
) -> None:
    perform(
        writes_then(raised),
        clicked_value,
        body=click(slack, client),
        context=context,
        client=client,
    )

    assert people(session) == []
    assert told(slack) == [says]


def test_input_the_parser_cannot_read_never_reaches_the_action(
    session: Session, slack: SlackStandIn, client: WebClient, context: dict[str, Any]
) -> None:
    def parse(body: dict[str, Any]) -> str:
        raise InvalidInput("Sorry, that button is not one Upward understands.")

    perform(writes_then(None), parse, body=click(slack, client), context=context, client=client)

    assert people(session) == []
    assert told(slack) == ["Sorry, that button is not one Upward understands."]
