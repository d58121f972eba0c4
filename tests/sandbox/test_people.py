"""SimulatedUser: acting on what the bot really posted, through signed requests."""

from __future__ import annotations

import json
import threading

import pytest
from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    Option,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.webhook import WebhookClient

from bot.sandbox import SimulatedUser, SlackStandIn
from bot.sandbox.interactions import issue_trigger_id
from tests.sandbox.conftest import ALICE, Receiver

LESSON = [
    SectionBlock(block_id="lesson", text="*Lesson 1*: prompts"),
    ActionsBlock(
        block_id="lesson_actions",
        elements=[
            ButtonElement(
                text="Mark done", action_id="lesson_done", value="lesson-1", style="primary"
            ),
            ButtonElement(text="Snooze", action_id="lesson_snooze", value="lesson-1"),
            StaticSelectElement(
                action_id="rating",
                placeholder="Rate it",
                options=[Option(text="Useful", value="5"), Option(text="Meh", value="2")],
            ),
        ],
    ),
]


@pytest.fixture()
def alice(slack: SlackStandIn, receiver: Receiver) -> SimulatedUser:
    return slack.person(ALICE, receiver.url)


def test_click_button_sends_the_real_block_actions_payload(
    slack: SlackStandIn, client: WebClient, receiver: Receiver, alice: SimulatedUser
) -> None:
    posted = client.chat_postMessage(channel=ALICE, text="Lesson 1", blocks=LESSON)
    alice.click_button("Mark done")
    request = receiver.requests[0]
    payload = request.payload()
    assert payload["type"] == "block_actions"
    assert payload["user"]["id"] == ALICE and payload["team"]["id"] == slack.workspace.team_id
    assert payload["actions"][0]["action_id"] == "lesson_done"
    assert payload["actions"][0]["block_id"] == "lesson_actions"
    assert payload["actions"][0]["value"] == "lesson-1"
    assert payload["container"] == {
        "type": "message",
        "message_ts": posted["ts"],
        "channel_id": posted["channel"],
        "is_ephemeral": False,
    }
    assert payload["message"]["ts"] == posted["ts"] and payload["message"]["blocks"][1]["elements"]
    assert payload["channel"] == {"id": posted["channel"], "name": "directmessage"}
    assert payload["response_url"].startswith(slack.url) and payload["trigger_id"]
    # The trigger and response_url are real: the app can use them.
    assert client.views_open(
        trigger_id=payload["trigger_id"],
        view={
            "type": "modal",
            "title": {"type": "plain_text", "text": "Done"},
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Nice"}}],
        },
    )["ok"]


def test_choose_a_select_option_by_text_or_value(
    client: WebClient, receiver: Receiver, alice: SimulatedUser
) -> None:
    client.chat_postMessage(channel=ALICE, text="Rate", blocks=LESSON)
    alice.choose("Useful", action_id="rating")
    alice.choose("2", action_id="rating")
    first, second = (r.payload()["actions"][0] for r in receiver.requests)
    assert first["type"] == "static_select" and first["selected_option"]["value"] == "5"
    assert second["selected_option"]["text"]["text"] == "Meh"


def test_click_finds_the_newest_matching_message_and_reports_misses(
    client: WebClient, receiver: Receiver, alice: SimulatedUser
) -> None:
    client.chat_postMessage(channel=ALICE, text="old", blocks=LESSON)
    newer = client.chat_postMessage(channel=ALICE, text="new", blocks=LESSON)
    alice.click(action_id="lesson_snooze")
    assert receiver.requests[0].payload()["container"]["message_ts"] == newer["ts"]
    with pytest.raises(LookupError, match="Unsubscribe"):
        alice.click_button("Unsubscribe")


def test_response_url_from_a_click_replaces_the_message(
    slack: SlackStandIn, client: WebClient, receiver: Receiver, alice: SimulatedUser
) -> None:
    client.chat_postMessage(channel=ALICE, text="Lesson", blocks=LESSON)
    alice.click_button("Mark done")
    url = receiver.requests[0].payload()["response_url"]
    WebhookClient(url).send(text="Done! :tada:", replace_original=True)
    assert alice.latest_dm()["text"] == "Done! :tada:"
    assert "blocks" not in alice.latest_dm()


def test_ephemeral_click_carries_no_message(
    client: WebClient, receiver: Receiver, alice: SimulatedUser
) -> None:
    channel = client.conversations_create(name="eph")["channel"]["id"]
    client.conversations_invite(channel=channel, users=ALICE)
    client.chat_postEphemeral(channel=channel, user=ALICE, text="Pick", blocks=LESSON)
    alice.click_button("Snooze", channel_id=channel)
    payload = receiver.requests[0].payload()
    assert payload["container"]["is_ephemeral"] is True and "message" not in payload


def test_submit_view_sends_state_values_and_applies_errors(
    slack: SlackStandIn, client: WebClient, receiver: Receiver, alice: SimulatedUser
) -> None:
    client.views_open(
        trigger_id=issue_trigger_id(slack.workspace, ALICE),
        view={
            "type": "modal",
            "callback_id": "reflect",
            "private_metadata": "lesson-1",
            "title": {"type": "plain_text", "text": "Reflect"},
            "submit": {"type": "plain_text", "text": "Send"},
            "blocks": [
                {
                    "type": "input",
                    "block_id": "note",
                    "label": {"type": "plain_text", "text": "Note"},
                    "element": {"type": "plain_text_input", "action_id": "text"},
                },
                {
                    "type": "input",
                    "block_id": "mood",
                    "optional": True,
                    "label": {"type": "plain_text", "text": "Mood"},
                    "element": {
                        "type": "static_select",
                        "action_id": "pick",
                        "options": [
                            {"text": {"type": "plain_text", "text": "Great"}, "value": "great"}
                        ],
                    },
                },
            ],
        },
    )
    receiver.reply = lambda r: (
        200,
        json.dumps({"response_action": "errors", "errors": {"note": "Too short"}}).encode(),
    )
    alice.submit_view({"text": "ok"})
    view = receiver.requests[0].payload()["view"]
    assert view["callback_id"] == "reflect" and view["private_metadata"] == "lesson-1"
    assert view["state"]["values"] == {
        "note": {"text": {"type": "plain_text_input", "value": "ok"}},
        "mood": {"pick": {"type": "static_select", "selected_option": None}},
    }
    assert slack.workspace.view_errors(view["id"]) == {"note": "Too short"}
    assert alice.current_view() is not None  # still open, showing the error
    receiver.reply = lambda r: (200, b"")
    alice.submit_view({"text": "a longer note", "pick": "Great"})
    values = receiver.requests[1].payload()["view"]["state"]["values"]
    assert values["mood"]["pick"]["selected_option"]["value"] == "great"
    assert alice.current_view() is None  # an empty 200 closes the modal
    with pytest.raises(LookupError):
        alice.submit_view({})


def test_required_inputs_must_be_filled(
    slack: SlackStandIn, client: WebClient, alice: SimulatedUser
) -> None:
    client.views_open(
        trigger_id=issue_trigger_id(slack.workspace, ALICE),
        view={
            "type": "modal",
            "title": {"type": "plain_text", "text": "T"},
            "submit": {"type": "plain_text", "text": "Go"},
            "blocks": [
                {
                    "type": "input",
                    "block_id": "b",
                    "label": {"type": "plain_text", "text": "Name"},
                    "element": {"type": "plain_text_input", "action_id": "a"},
                }
            ],
        },
    )
    with pytest.raises(ValueError, match="'Name' is required"):
        alice.submit_view({})


def test_command_reply_is_shown_to_the_person(
    slack: SlackStandIn, receiver: Receiver, alice: SimulatedUser
) -> None:
    receiver.reply = lambda r: (200, json.dumps({"text": "You are in circle A"}).encode())
    response = alice.command("/circle", "list")
    fields = receiver.requests[0].form()
    assert fields["command"] == "/circle" and fields["text"] == "list"
    assert fields["user_id"] == ALICE and fields["channel_name"] == "directmessage"
    assert fields["response_url"].startswith(slack.url) and fields["trigger_id"]
    assert response.status == 200
    assert [e["text"] for e in alice.ephemerals()] == ["You are in circle A"]


def test_open_home_and_send_dm_send_events(
    slack: SlackStandIn, client: WebClient, receiver: Receiver, alice: SimulatedUser
) -> None:
    client.views_publish(user_id=ALICE, view={"type": "home", "blocks": [{"type": "divider"}]})
    alice.open_home()
    alice.send_dm("hello bot")
    home_event = json.loads(receiver.requests[0].body)["event"]
    assert home_event["type"] == "app_home_opened" and home_event["view"]["type"] == "home"
    assert home_event["channel"] == alice.dm_channel_id
    message_event = json.loads(receiver.requests[1].body)["event"]
    assert (message_event["type"], message_event["channel_type"], message_event["text"]) == (
        "message",
        "im",
        "hello bot",
    )
    assert alice.dms()[-1]["text"] == "hello bot"


def test_wait_for_dm_sees_a_message_posted_from_another_thread(
    slack: SlackStandIn, client: WebClient, alice: SimulatedUser
) -> None:
    threading.Timer(0.05, lambda: client.chat_postMessage(channel=ALICE, text="later")).start()
    assert alice.wait_for_dm("later", timeout=2)["text"] == "later"
    with pytest.raises(TimeoutError):
        alice.wait_for_dm("never", timeout=0.1)
