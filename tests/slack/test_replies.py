"""What a person hears back: the response_url Upward will post to, reading a body it does not
trust, and `deliver` carrying out a Reply against the Slack stand-in, in its documented order."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from pydantic import SecretStr
from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.home.listeners import publish_home
from bot.models import OutboxMessage, OutboxStatus, Purpose
from bot.sandbox import SlackStandIn
from bot.sandbox.interactions import issue_trigger_id, new_response_url
from bot.slack import outbox, replies
from bot.slack.records import Record
from bot.slack.replies import Reply
from tests import factories
from tests.slack.conftest import ALICE

NOW = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
API = "http://127.0.0.1:8765/api/"


# -- response_url --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url, allowed",
    [
        ("https://hooks.slack.com/actions/T1/2/abc", True),
        ("https://hooks.slack-gov.com/actions/T1/2/abc", True),
        ("https://HOOKS.SLACK.COM/actions/T1/2/abc", True),
        ("http://127.0.0.1:8765/sandbox/response/abc", True),  # the configured API's own host
        ("http://hooks.slack.com/actions/T1/2/abc", False),  # not https
        ("https://hooks.slack.com.evil.example/actions", False),
        ("https://evil.example/hooks.slack.com/actions", False),
        ("https://evil.example/?u=https://hooks.slack.com/", False),
        ("https://hooks.slack.com@evil.example/actions", False),  # the host is evil.example
        ("https://evil.example#@hooks.slack.com/", False),
        ("https://slack.com/api/chat.postMessage", False),  # Slack, but not a hook
        ("https://127.0.0.1:8765/sandbox/response/abc", False),  # the API's host, another scheme
        ("http://127.0.0.1:8766/sandbox/response/abc", False),  # the API's host, another port
        ("http://localhost:8765/sandbox/response/abc", False),
        ("http://169.254.169.254/latest/meta-data", False),
        ("file:///etc/passwd", False),
        ("http://[::1", False),  # not even a URL
        ("", False),
        (None, False),
        (443, False),
        (["https://hooks.slack.com/actions/T1/2/abc"], False),
        ({"url": "https://hooks.slack.com/actions/T1/2/abc"}, False),
    ],
)
def test_only_slacks_hooks_and_the_configured_api_are_response_urls(
    url: Any, allowed: bool, caplog: pytest.LogCaptureFixture
) -> None:
    context = {"settings": Settings(database_url="sqlite://", slack_api_url=API)}

    with caplog.at_level(logging.WARNING, logger="bot.slack.replies"):
        answer = replies.response_url(context, {"response_url": url})

    assert answer == (url if allowed else None)
    ignored = [r for r in caplog.records if "ignored a response_url" in r.getMessage()]
    assert len(ignored) == int(not allowed and isinstance(url, str) and bool(url))


def test_a_body_without_a_response_url_has_none() -> None:
    context = {"settings": Settings(database_url="sqlite://", slack_api_url=API)}
    assert replies.response_url(context, {}) is None


# -- reading a body whose shape is not trusted ---------------------------------------------------
@pytest.mark.parametrize(
    "body, path, found",
    [
        ({"user": {"id": "U1"}}, ("user", "id"), "U1"),
        ({"user_id": "U1"}, ("user_id",), "U1"),
        ({"user": {"id": ""}}, ("user", "id"), None),
        ({"user": {"id": 5}}, ("user", "id"), None),
        ({"user": {"id": ["U1"]}}, ("user", "id"), None),
        ({"user": {"id": {"id": "U1"}}}, ("user", "id"), None),
        ({"user": "U1"}, ("user", "id"), None),
        ({"user": ["U1"]}, ("user", "id"), None),
        ({"user": None}, ("user", "id"), None),
        ({"user": {}}, ("user", "id"), None),
        ({}, ("user", "id"), None),
        ({"user": {"id": "U1"}}, ("user",), None),  # an object is not a string
        ([{"user": {"id": "U1"}}], ("user", "id"), None),
        ("user", ("user",), None),
        (None, ("user",), None),
        (7, ("user",), None),
        ("just a string", (), "just a string"),
    ],
)
def test_text_at_finds_a_string_or_none_whatever_the_shape(
    body: Any, path: tuple[str, ...], found: str | None
) -> None:
    assert replies.text_at(body, *path) == found


@pytest.mark.parametrize(
    "body, user",
    [
        ({"user_id": "U0CMD00001", "user": {"id": "U0CLICK001"}}, "U0CMD00001"),
        ({"user_id": "", "user": {"id": "U0CLICK001"}}, "U0CLICK001"),
        ({"user": {"id": "U0CLICK001"}}, "U0CLICK001"),
        ({"user_id": 5, "user": "U0CLICK001"}, ""),
        ({}, ""),
    ],
)
def test_the_person_who_sent_a_request_is_read_from_a_command_or_a_click(
    body: dict[str, Any], user: str
) -> None:
    assert replies.user_of(body) == user


# -- deliver -------------------------------------------------------------------------------------
@pytest.fixture()
def context(sessions: sessionmaker[Session], settings: Settings) -> dict[str, Any]:
    """What a listener's context holds for `deliver` (as bot.app sets it)."""
    return {
        "sessions": sessions,
        "settings": settings,
        "clock": lambda: NOW,
        "catalog": factories.catalog(),
        "publish_home": publish_home,
    }


def a_click(slack: SlackStandIn, client: WebClient, **fields: Any) -> dict[str, Any]:
    """A block_actions body as Slack sends it for a click in Alice's DM with Upward."""
    dm = client.conversations_open(users=ALICE)["channel"]["id"]
    body = {
        "type": "block_actions",
        "user": {"id": ALICE},
        "channel": {"id": dm},
        "trigger_id": issue_trigger_id(slack.workspace, ALICE),
        "response_url": new_response_url(slack.workspace, user_id=ALICE, channel_id=dm),
        "actions": [{"action_id": "x", "action_ts": "1796300000.000100"}],
    }
    return {**body, **fields}


def dm(session: Session, key: str, text: str) -> Record:
    record = Record(Purpose.other, key)
    outbox.enqueue(
        session,
        record,
        method="chat.postMessage",
        payload={"channel": ALICE, "text": text},
        now=NOW,
    )
    session.flush()
    return record


def answers_to_alice(slack: SlackStandIn) -> list[tuple[str, str, dict[str, Any]]]:
    """(effect, ts, payload) of every response_url post Alice got."""
    return [(r["effect"], r["ts"], r["payload"]) for r in slack.workspace.responses]


def test_a_reply_is_carried_out_after_then_sends_then_flush_then_the_answer(
    session: Session,
    slack: SlackStandIn,
    client: WebClient,
    context: dict[str, Any],
) -> None:
    due = dm(session, "k:due", "flushed")
    own = dm(session, "k:own", "sent")
    body = a_click(slack, client)

    def after(ctx: dict[str, Any], c: WebClient) -> str:
        c.chat_postMessage(channel=ALICE, text="after")
        return "Formed, and the channels are ready."

    replies.deliver(context, client, body, Reply("Formed.", send=(own,), flush=5, after=after))

    messages = slack.workspace.dm_messages(ALICE)
    assert [m["text"] for m in messages] == ["after", "sent", "flushed"]
    ((effect, answered_at, payload),) = answers_to_alice(slack)
    assert (effect, payload["text"], payload["replace_original"]) == (
        "ephemeral",
        "Formed, and the channels are ready.",
        False,
    )
    assert float(answered_at) > float(messages[-1]["ts"]), "the answer comes last"
    session.expire_all()
    statuses = session.scalars(
        select(OutboxMessage.status).where(OutboxMessage.idempotency_key.in_([due.key, own.key]))
    )
    assert set(statuses) == {OutboxStatus.sent}


def test_slack_work_after_the_commit_that_fails_leaves_the_rest_of_the_reply(
    session: Session,
    slack: SlackStandIn,
    client: WebClient,
    context: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    own = dm(session, "k:own", "sent")

    def after(ctx: dict[str, Any], c: WebClient) -> str:
        raise RuntimeError("Slack refused to create a channel")

    replies.deliver(
        context, client, a_click(slack, client), Reply("Formed.", send=(own,), after=after)
    )

    assert [m["text"] for m in slack.workspace.dm_messages(ALICE)] == ["sent"]
    assert [p["text"] for _, _, p in answers_to_alice(slack)] == ["Formed."]
    assert "the next tick retries it" in caplog.text


def test_a_reply_flushes_no_more_due_rows_than_it_says(
    session: Session, slack: SlackStandIn, client: WebClient, context: dict[str, Any]
) -> None:
    for i in range(3):
        dm(session, f"k:{i}", f"due {i}")

    replies.deliver(context, client, a_click(slack, client), Reply(flush=2))

    assert len(slack.workspace.dm_messages(ALICE)) == 2
    assert answers_to_alice(slack) == [], "a Reply without text says nothing"


def test_a_distributed_app_flushes_only_the_callers_workspace(
    session: Session, slack: SlackStandIn, client: WebClient, context: dict[str, Any]
) -> None:
    context["settings"] = Settings(
        database_url="sqlite://",
        slack_api_url=slack.api_url,
        slack_client_id="1.2",
        slack_client_secret=SecretStr("secret"),
    )
    context["team_id"] = "T0SANDBOX1"
    for key, team in (("k:here", "T0SANDBOX1"), ("k:there", "T0OTHERCO1")):
        outbox.enqueue(
            session,
            Record(Purpose.other, key),
            method="chat.postMessage",
            payload={"channel": ALICE, "text": key},
            now=NOW,
            team_id=team,
        )

    replies.deliver(context, client, a_click(slack, client), Reply("Done.", flush=10))

    assert [m["text"] for m in slack.workspace.dm_messages(ALICE)] == ["k:here"]
    session.expire_all()
    assert (
        session.scalars(
            select(OutboxMessage.team_id).where(OutboxMessage.purpose == Purpose.reply)
        ).one()
        == "T0SANDBOX1"
    )


def test_a_home_reply_redraws_the_tab_and_says_nothing_else(
    slack: SlackStandIn, client: WebClient, context: dict[str, Any]
) -> None:
    replies.deliver(context, client, a_click(slack, client), Reply("Snoozed.", home=True))

    tab = slack.workspace.home_tab(ALICE)
    assert tab is not None and "You are not part of a program yet" in str(tab)
    assert answers_to_alice(slack) == [] and slack.workspace.ephemerals(ALICE) == []


def test_a_home_reply_where_no_tab_can_be_drawn_is_said_instead(
    slack: SlackStandIn, client: WebClient, context: dict[str, Any]
) -> None:
    del context["publish_home"]

    replies.deliver(context, client, a_click(slack, client), Reply("Snoozed.", home=True))

    assert [p["text"] for _, _, p in answers_to_alice(slack)] == ["Snoozed."]


MODAL = {
    "type": "modal",
    "callback_id": "test",
    "title": {"type": "plain_text", "text": "Reflection"},
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Write here"}}],
}


def test_a_modal_opens_with_the_clicks_trigger_and_nothing_is_said(
    slack: SlackStandIn, client: WebClient, context: dict[str, Any]
) -> None:
    replies.deliver(context, client, a_click(slack, client), Reply("Too late.", modal=MODAL))

    assert len(slack.workspace.open_views(ALICE)) == 1
    assert answers_to_alice(slack) == []


def test_a_modal_slack_will_not_open_is_explained_instead(
    slack: SlackStandIn, client: WebClient, context: dict[str, Any]
) -> None:
    body = a_click(slack, client, trigger_id="1796300000.0.expiredtrigger")

    replies.deliver(context, client, body, Reply("Too late.", modal=MODAL))

    assert slack.workspace.open_views(ALICE) == []
    assert [p["text"] for _, _, p in answers_to_alice(slack)] == ["Too late."]


def test_a_replacement_redraws_the_clicked_message_and_the_text_is_not_said(
    slack: SlackStandIn, client: WebClient, context: dict[str, Any]
) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "You said *3*."}}]
    replies.deliver(
        context,
        client,
        a_click(slack, client),
        Reply("ignored", replace={"text": "Check-in", "blocks": blocks}),
    )

    ((_, _, payload),) = answers_to_alice(slack)
    assert payload == {"replace_original": True, "text": "Check-in", "blocks": blocks}


def test_a_text_may_replace_the_clicked_message(
    slack: SlackStandIn, client: WebClient, context: dict[str, Any]
) -> None:
    replies.deliver(
        context, client, a_click(slack, client), Reply("Thanks.", replace_original=True)
    )

    ((_, _, payload),) = answers_to_alice(slack)
    assert (payload["text"], payload["replace_original"]) == ("Thanks.", True)


def test_a_click_without_slacks_response_url_is_answered_in_the_persons_dm(
    slack: SlackStandIn, client: WebClient, context: dict[str, Any]
) -> None:
    for url in (None, "https://evil.example/collect"):
        body = a_click(slack, client, response_url=url)
        replies.deliver(context, client, body, Reply(f"Answer {url}"))

    assert answers_to_alice(slack) == []
    assert [e["text"] for e in slack.workspace.ephemerals(ALICE)] == [
        "Answer None",
        "Answer https://evil.example/collect",
    ]


def test_a_slash_command_without_a_response_url_gets_no_answer_at_all(
    slack: SlackStandIn, client: WebClient, context: dict[str, Any]
) -> None:
    body = {"command": "/circle", "user_id": ALICE, "channel_id": "C0CIRCLE01", "text": "list"}

    replies.deliver(context, client, body, Reply("Your circles..."))

    assert slack.workspace.calls == [] and answers_to_alice(slack) == []


def test_the_same_request_delivered_twice_is_answered_once(
    slack: SlackStandIn, client: WebClient, context: dict[str, Any]
) -> None:
    body = a_click(slack, client)

    replies.deliver(context, client, body, Reply("Recorded."))
    replies.deliver(context, client, body, Reply("Recorded."))

    assert [p["text"] for _, _, p in answers_to_alice(slack)] == ["Recorded."]
