"""conversations.* methods and the error strings Slack answers with."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox import SlackStandIn
from tests.sandbox.conftest import ALICE, BOB, BOT, CAROL, GONE


def _error(call: Any, **kwargs: Any) -> str:
    with pytest.raises(SlackApiError) as error:
        call(**kwargs)
    return error.value.response["error"]


def test_create_invite_kick_archive_life_cycle(slack: SlackStandIn, client: WebClient) -> None:
    created = client.conversations_create(name="circle-alpha", is_private=True)["channel"]
    channel = created["id"]
    assert created["is_private"] and created["is_member"] and created["creator"] == BOT
    client.conversations_invite(channel=channel, users=f"{ALICE},{BOB}")
    client.conversations_setTopic(channel=channel, topic="Week 1: prompts")
    client.conversations_setPurpose(channel=channel, purpose="Peer circle")
    info = client.conversations_info(channel=channel, include_num_members=True)["channel"]
    assert info["topic"]["value"] == "Week 1: prompts" and info["purpose"]["value"] == "Peer circle"
    assert info["num_members"] == 3
    client.conversations_kick(channel=channel, user=BOB)
    assert slack.workspace.channel_by_name("circle-alpha")["members"] == [BOT, ALICE]
    client.conversations_archive(channel=channel)
    assert slack.workspace.channel_info(channel)["is_archived"] is True
    # Joins, topic changes and the archive show up as system messages, hidden by default.
    subtypes = [m.get("subtype") for m in slack.workspace.channel_messages(channel, system=True)]
    assert subtypes == [
        "channel_join",
        "channel_join",
        "channel_topic",
        "channel_purpose",
        "channel_leave",
        "channel_archive",
    ]
    assert slack.workspace.channel_messages(channel) == []


def test_channel_name_rules(client: WebClient) -> None:
    assert _error(client.conversations_create, name="Has Caps") == "invalid_name_specials"
    assert _error(client.conversations_create, name="dots.here") == "invalid_name_specials"
    assert _error(client.conversations_create, name="x" * 81) == "invalid_name_maxlength"
    assert _error(client.conversations_create, name="--") == "invalid_name_punctuation"
    assert client.conversations_create(name="x" * 80)["ok"]
    assert _error(client.conversations_create, name="general") == "name_taken"


def test_archived_channels_keep_their_names(client: WebClient) -> None:
    channel = client.conversations_create(name="old-circle")["channel"]["id"]
    client.conversations_archive(channel=channel)
    assert _error(client.conversations_create, name="old-circle") == "name_taken"
    assert _error(client.conversations_archive, channel=channel) == "already_archived"
    assert _error(client.chat_postMessage, channel=channel, text="x") == "is_archived"
    assert _error(client.conversations_invite, channel=channel, users=ALICE) == "is_archived"


def test_invite_errors(client: WebClient) -> None:
    channel = client.conversations_create(name="invites")["channel"]["id"]
    client.conversations_invite(channel=channel, users=ALICE)
    assert _error(client.conversations_invite, channel=channel, users=ALICE) == "already_in_channel"
    assert _error(client.conversations_invite, channel=channel, users=BOT) == "cant_invite_self"
    assert (
        _error(client.conversations_invite, channel=channel, users="U0NOBODY01") == "user_not_found"
    )
    assert (
        _error(client.conversations_invite, channel="C0NOPE0001", users=BOB) == "channel_not_found"
    )
    assert _error(client.conversations_invite, channel="C0GENERAL1", users=BOB) == "not_in_channel"
    assert _error(client.conversations_invite, channel=channel, users=GONE) == "cant_invite"


def test_one_bad_id_fails_the_whole_invite_unless_forced(
    slack: SlackStandIn, client: WebClient
) -> None:
    channel = client.conversations_create(name="forced")["channel"]["id"]
    with pytest.raises(SlackApiError) as error:
        client.conversations_invite(channel=channel, users=f"{BOB},U0NOBODY01")
    assert error.value.response["errors"] == [
        {"user": "U0NOBODY01", "ok": False, "error": "user_not_found"}
    ]
    assert BOB not in slack.workspace.channel_info(channel)["members"]
    forced = client.conversations_invite(channel=channel, users=f"{BOB},U0NOBODY01", force=True)
    assert forced["errors"][0]["user"] == "U0NOBODY01"
    assert BOB in slack.workspace.channel_info(channel)["members"]


def test_kick_errors(client: WebClient) -> None:
    channel = client.conversations_create(name="kicks")["channel"]["id"]
    assert _error(client.conversations_kick, channel=channel, user=ALICE) == "not_in_channel"
    assert _error(client.conversations_kick, channel=channel, user=BOT) == "cant_kick_self"
    assert _error(client.conversations_kick, channel=channel, user="U0NOBODY01") == "user_not_found"


def test_private_channels_the_bot_is_not_in_are_invisible(client: WebClient) -> None:
    assert _error(client.conversations_info, channel="G0SECRET01") == "channel_not_found"
    assert _error(client.conversations_members, channel="G0SECRET01") == "channel_not_found"
    listed = client.conversations_list(types="public_channel,private_channel")["channels"]
    assert [c["name"] for c in listed] == ["general"]


def test_members_paginate(client: WebClient) -> None:
    members: list[str] = []
    cursor = None
    while True:
        page = client.conversations_members(channel="C0GENERAL1", limit=2, cursor=cursor)
        members += page["members"]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert members == [ALICE, BOB, CAROL]


def test_conversations_open_for_several_people_is_a_group_dm(client: WebClient) -> None:
    group = client.conversations_open(users=f"{ALICE},{BOB}", return_im=True)["channel"]
    assert group["is_mpim"] is True
    again = client.conversations_open(users=f"{BOB},{ALICE}")
    assert again["channel"]["id"] == group["id"] and again["already_open"] is True
    assert _error(client.conversations_open, users="U0NOBODY01") == "user_not_found"
    assert _error(client.conversations_open, users=BOT) == "cannot_dm_bot"
