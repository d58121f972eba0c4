"""chat.* methods, DMs, threads, metadata, history and Block Kit validation."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ActionsBlock, ButtonElement, SectionBlock

from bot.sandbox import SlackStandIn
from tests.sandbox.conftest import ALICE, BOB, GONE


def _error(call: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as error:
        call(**kwargs)
    return error.value.response.data  # type: ignore[return-value]


def test_post_to_a_user_id_lands_in_their_dm(slack: SlackStandIn, client: WebClient) -> None:
    posted = client.chat_postMessage(channel=ALICE, text="Welcome to Upward")
    dm = client.conversations_open(users=ALICE)["channel"]["id"]
    assert posted["channel"] == dm and dm.startswith("D")
    assert client.conversations_open(users=ALICE)["channel"]["id"] == dm  # same id every time
    assert [m["text"] for m in slack.workspace.dm_messages(ALICE)] == ["Welcome to Upward"]
    assert slack.workspace.dm_messages(BOB) == []


def test_posting_by_user_id_and_by_dm_id_is_one_conversation(
    slack: SlackStandIn, client: WebClient
) -> None:
    dm = client.conversations_open(users=BOB)["channel"]["id"]
    client.chat_postMessage(channel=dm, text="one")
    client.chat_postMessage(channel=BOB, text="two")
    assert [m["text"] for m in slack.workspace.dm_messages(BOB)] == ["one", "two"]


def test_model_blocks_round_trip_with_generated_block_ids(
    slack: SlackStandIn, client: WebClient
) -> None:
    blocks = [
        SectionBlock(text="Lesson 1"),
        ActionsBlock(elements=[ButtonElement(text="Mark done", action_id="done", value="l1")]),
    ]
    client.chat_postMessage(channel=ALICE, text="Lesson", blocks=blocks)
    stored = slack.workspace.dm_messages(ALICE)[0]["blocks"]
    assert [b["type"] for b in stored] == ["section", "actions"]
    assert all(b["block_id"] for b in stored)  # Slack fills in missing block_ids
    assert stored[1]["elements"][0]["action_id"] == "done"


def test_chat_update_edits_text_and_blocks(slack: SlackStandIn, client: WebClient) -> None:
    posted = client.chat_postMessage(channel=ALICE, text="Draft")
    updated = client.chat_update(
        channel=posted["channel"],
        ts=posted["ts"],
        text="Final",
        blocks=[SectionBlock(text="Final body")],
    )
    assert updated["ts"] == posted["ts"]
    message = slack.workspace.dm_messages(ALICE)[0]
    assert message["text"] == "Final" and message["blocks"][0]["text"]["text"] == "Final body"
    assert "edited" in message
    assert (
        _error(client.chat_update, channel=posted["channel"], ts="1.000001", text="x")["error"]
        == "message_not_found"
    )


def test_threads_keep_replies_out_of_history(slack: SlackStandIn, client: WebClient) -> None:
    parent = client.chat_postMessage(channel=ALICE, text="Parent")
    reply = client.chat_postMessage(channel=ALICE, text="Reply", thread_ts=parent["ts"])
    client.chat_postMessage(channel=ALICE, text="Reply to reply", thread_ts=reply["ts"])
    replies = slack.workspace.thread_replies(parent["channel"], parent["ts"])
    assert [r["text"] for r in replies] == ["Reply", "Reply to reply"]
    assert all(r["thread_ts"] == parent["ts"] for r in replies)
    history = client.conversations_history(channel=parent["channel"])["messages"]
    assert [m["text"] for m in history] == ["Parent"]
    assert history[0]["reply_count"] == 2
    thread = client.conversations_replies(channel=parent["channel"], ts=parent["ts"])["messages"]
    assert [m["text"] for m in thread] == ["Parent", "Reply", "Reply to reply"]


def test_metadata_round_trips_only_with_include_all_metadata(client: WebClient) -> None:
    metadata = {"event_type": "lesson_sent", "event_payload": {"lesson": "l1", "week": 2}}
    posted = client.chat_postMessage(channel=ALICE, text="Lesson", metadata=metadata)
    plain = client.conversations_history(channel=posted["channel"])["messages"][0]
    assert "metadata" not in plain
    full = client.conversations_history(channel=posted["channel"], include_all_metadata=True)
    assert full["messages"][0]["metadata"] == metadata


def test_history_is_newest_first_with_oldest_latest_and_cursor(client: WebClient) -> None:
    posted = [client.chat_postMessage(channel=BOB, text=f"m{i}") for i in range(7)]
    channel = posted[0]["channel"]
    texts: list[str] = []
    cursor = None
    while True:
        page = client.conversations_history(channel=channel, limit=3, cursor=cursor)
        texts += [m["text"] for m in page["messages"]]
        cursor = page["response_metadata"]["next_cursor"]
        assert page["has_more"] == bool(cursor)
        if not cursor:
            break
    assert texts == [f"m{i}" for i in reversed(range(7))]
    window = client.conversations_history(
        channel=channel, oldest=posted[1]["ts"], latest=posted[4]["ts"]
    )
    assert [m["text"] for m in window["messages"]] == ["m3", "m2"]
    inclusive = client.conversations_history(
        channel=channel, oldest=posted[1]["ts"], latest=posted[4]["ts"], inclusive=True
    )
    assert [m["text"] for m in inclusive["messages"]] == ["m4", "m3", "m2", "m1"]
    assert (
        _error(client.conversations_history, channel=channel, cursor="bm9wZQ==")["error"]
        == "invalid_cursor"
    )


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_post_message_errors(slack: SlackStandIn, client: WebClient) -> None:
    assert _error(client.chat_postMessage, channel=ALICE)["error"] == "no_text"
    assert _error(client.chat_postMessage, channel="", text="x")["error"] == "channel_not_found"
    assert (
        _error(client.chat_postMessage, channel="C0NOPE0001", text="x")["error"]
        == "channel_not_found"
    )
    # Public channel the bot is not in; private channel it cannot even see.
    assert (
        _error(client.chat_postMessage, channel="C0GENERAL1", text="x")["error"] == "not_in_channel"
    )
    assert (
        _error(client.chat_postMessage, channel="G0SECRET01", text="x")["error"]
        == "channel_not_found"
    )
    assert (
        _error(client.chat_postMessage, channel=ALICE, text="x", thread_ts="1.000001")["error"]
        == "thread_not_found"
    )
    assert (
        _error(client.chat_postMessage, channel=ALICE, text="x" * 40_001)["error"] == "msg_too_long"
    )
    assert _error(client.conversations_open, users=GONE)["error"] == "user_disabled"


def test_over_long_section_text_is_refused_with_invalid_blocks(client: WebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    answer = _error(client.chat_postMessage, channel=ALICE, text="t", blocks=blocks)
    assert answer["error"] == "invalid_blocks"
    assert "3000" in answer["errors"][0] and "/blocks/0" in answer["errors"][0]


def test_fifty_one_blocks_are_refused_fifty_pass(client: WebClient) -> None:
    block = {"type": "section", "text": {"type": "mrkdwn", "text": "x"}}
    answer = _error(client.chat_postMessage, channel=ALICE, text="t", blocks=[block] * 51)
    assert answer["error"] == "invalid_blocks" and "50" in answer["errors"][0]
    assert client.chat_postMessage(channel=ALICE, text="t", blocks=[block] * 50)["ok"]


@pytest.mark.parametrize(
    "block, problem",
    [
        ({"type": "sparkle"}, "unsupported type"),
        ({"type": "header", "text": {"type": "mrkdwn", "text": "h"}}, "plain_text"),
        ({"type": "section", "text": {"type": "mrkdwn", "text": ""}}, "more than 0"),
        (
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "a",
                        "text": {"type": "plain_text", "text": "b" * 76},
                    }
                ],
            },
            "75",
        ),
    ],
)
def test_block_rules_slack_enforces(client: WebClient, block: dict[str, Any], problem: str) -> None:
    answer = _error(client.chat_postMessage, channel=ALICE, text="t", blocks=[block])
    assert answer["error"] == "invalid_blocks" and problem in answer["errors"][0]


def test_form_encoded_blocks_that_are_not_json(client: WebClient) -> None:
    answer = _error(
        client.api_call,
        api_method="chat.postMessage",
        data={"channel": ALICE, "blocks": "[not json"},
    )
    assert answer["error"] == "invalid_blocks_format"


def test_post_ephemeral_reaches_only_members(slack: SlackStandIn, client: WebClient) -> None:
    channel = client.conversations_create(name="ephemeral-test")["channel"]["id"]
    client.conversations_invite(channel=channel, users=ALICE)
    answer = client.chat_postEphemeral(channel=channel, user=ALICE, text="only you")
    assert answer["message_ts"]
    shown = slack.workspace.ephemerals(ALICE)
    assert [(e["channel"], e["text"]) for e in shown] == [(channel, "only you")]
    assert slack.workspace.channel_messages(channel) == []
    assert (
        _error(client.chat_postEphemeral, channel=channel, user=BOB, text="x")["error"]
        == "user_not_in_channel"
    )


def test_chat_delete_and_permalink(slack: SlackStandIn, client: WebClient) -> None:
    posted = client.chat_postMessage(channel=ALICE, text="bye")
    link = client.chat_getPermalink(channel=posted["channel"], message_ts=posted["ts"])["permalink"]
    assert posted["channel"] in link
    client.chat_delete(channel=posted["channel"], ts=posted["ts"])
    assert slack.workspace.dm_messages(ALICE) == []
