"""views.* (modals, App Home), files_upload_v2, and response_url posts."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.sandbox import SlackStandIn, Workspace
from bot.sandbox.interactions import issue_trigger_id, new_response_url
from tests.sandbox.conftest import ALICE, BOB, SEED

MODAL = {
    "type": "modal",
    "callback_id": "reflect",
    "title": {"type": "plain_text", "text": "Reflect"},
    "submit": {"type": "plain_text", "text": "Send"},
    "blocks": [
        {
            "type": "input",
            "block_id": "note",
            "label": {"type": "plain_text", "text": "What did you learn?"},
            "element": {"type": "plain_text_input", "action_id": "text"},
        }
    ],
}
HOME = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hi"}}]}


def _error(call: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as error:
        call(**kwargs)
    return error.value.response.data  # type: ignore[return-value]


def test_views_open_needs_a_fresh_trigger_and_uses_it_once(
    slack: SlackStandIn, client: WebClient
) -> None:
    trigger = issue_trigger_id(slack.workspace, ALICE)
    view = client.views_open(trigger_id=trigger, view=MODAL)["view"]
    assert view["id"].startswith("V") and view["callback_id"] == "reflect" and view["hash"]
    assert [v["id"] for v in slack.workspace.open_views(ALICE)] == [view["id"]]
    assert (
        _error(client.views_open, trigger_id=trigger, view=MODAL)["error"] == "exchanged_trigger_id"
    )
    assert (
        _error(client.views_open, trigger_id="1.2.nope", view=MODAL)["error"]
        == "invalid_trigger_id"
    )


def test_expired_trigger_is_refused() -> None:
    now = [1_700_000_000.0]
    workspace = Workspace.from_seed(SEED, clock=lambda: now[0])
    with SlackStandIn(workspace=workspace, rate_limits=False) as slack:
        client = WebClient(base_url=slack.api_url, token=slack.bot_token)
        trigger = issue_trigger_id(workspace, ALICE)
        now[0] += 3.5
        assert (
            _error(client.views_open, trigger_id=trigger, view=MODAL)["error"]
            == "expired_trigger_id"
        )


def test_views_update_checks_the_hash(slack: SlackStandIn, client: WebClient) -> None:
    view = client.views_open(trigger_id=issue_trigger_id(slack.workspace, ALICE), view=MODAL)[
        "view"
    ]
    changed = {**MODAL, "title": {"type": "plain_text", "text": "Thanks"}}
    updated = client.views_update(view_id=view["id"], view=changed, hash=view["hash"])["view"]
    assert updated["id"] == view["id"] and updated["hash"] != view["hash"]
    assert slack.workspace.open_views(ALICE)[-1]["title"]["text"] == "Thanks"
    assert (
        _error(client.views_update, view_id=view["id"], view=MODAL, hash=view["hash"])["error"]
        == "hash_conflict"
    )
    assert _error(client.views_update, view_id="V0NOPE0001", view=MODAL)["error"] == "not_found"


def test_invalid_views_answer_invalid_arguments_with_messages(
    slack: SlackStandIn, client: WebClient
) -> None:
    trigger = issue_trigger_id(slack.workspace, ALICE)
    too_many = {**MODAL, "blocks": [{"type": "divider"}] * 101}
    answer = _error(client.views_open, trigger_id=trigger, view=too_many)
    assert answer["error"] == "invalid_arguments"
    assert "100" in answer["response_metadata"]["messages"][0]
    long_title = {**MODAL, "title": {"type": "plain_text", "text": "t" * 25}}
    answer = _error(client.views_open, trigger_id=trigger, view=long_title)
    assert "title" in answer["response_metadata"]["messages"][0]


def test_views_publish_sets_the_home_tab_with_a_stable_id(
    slack: SlackStandIn, client: WebClient
) -> None:
    first = client.views_publish(user_id=ALICE, view=HOME)["view"]
    second = client.views_publish(user_id=ALICE, view=HOME)["view"]
    assert first["id"] == second["id"] and first["type"] == "home"
    assert slack.workspace.home_tab(ALICE)["blocks"][0]["text"]["text"] == "Hi"
    assert slack.workspace.home_tab(BOB) is None
    assert (
        _error(client.views_publish, user_id="U0NOBODY01", view=HOME)["error"] == "user_not_found"
    )
    assert _error(client.views_publish, user_id=ALICE, view=MODAL)["error"] == "invalid_arguments"


def test_files_upload_v2_round_trip(slack: SlackStandIn, client: WebClient) -> None:
    channel = client.conversations_create(name="files")["channel"]["id"]
    answer = client.files_upload_v2(
        channel=channel,
        content=b"week,score\n1,9\n",
        filename="scores.csv",
        title="Scores",
        initial_comment="This week's scores",
    )
    file_id = answer["file"]["id"]
    assert answer["file"]["title"] == "Scores"
    assert slack.workspace.file_content(file_id) == b"week,score\n1,9\n"
    message = slack.workspace.channel_messages(channel)[-1]
    assert message["text"] == "This week's scores"
    assert message["files"][0]["id"] == file_id and message["files"][0]["mimetype"] == "text/csv"
    assert client.files_info(file=file_id)["file"]["channels"] == [channel]
    with urllib.request.urlopen(message["files"][0]["url_private"]) as download:
        assert download.read() == b"week,score\n1,9\n"


def test_complete_upload_without_bytes_is_file_not_found(client: WebClient) -> None:
    ticket = client.files_getUploadURLExternal(filename="a.txt", length=3)
    answer = _error(client.files_completeUploadExternal, files=[{"id": ticket["file_id"]}])
    assert answer["error"] == "file_not_found"


def test_response_url_posts_are_recorded_where_the_person_sees_them(
    slack: SlackStandIn, client: WebClient
) -> None:
    ws = slack.workspace
    channel = client.conversations_create(name="responses")["channel"]["id"]
    client.conversations_invite(channel=channel, users=ALICE)
    url = new_response_url(ws, user_id=ALICE, channel_id=channel)
    webhook = WebhookClient(url)
    assert webhook.send(text="only you").status_code == 200
    assert webhook.send(text="everyone", response_type="in_channel").status_code == 200
    assert [e["text"] for e in ws.ephemerals(ALICE)] == ["only you"]
    assert [m["text"] for m in ws.channel_messages(channel)] == ["everyone"]
    assert [r["effect"] for r in ws.responses] == ["ephemeral", "in_channel"]


def test_response_url_replaces_and_deletes_the_source_message(
    slack: SlackStandIn, client: WebClient
) -> None:
    ws = slack.workspace
    posted = client.chat_postMessage(channel=ALICE, text="Pick one")
    url = new_response_url(ws, user_id=ALICE, channel_id=posted["channel"], message_ts=posted["ts"])
    WebhookClient(url).send(text="Picked", replace_original=True)
    assert [m["text"] for m in ws.dm_messages(ALICE)] == ["Picked"]
    WebhookClient(url).send_dict({"delete_original": True})
    assert ws.dm_messages(ALICE) == []
    for _ in range(3):
        WebhookClient(url).send(text="again")
    assert WebhookClient(url).send(text="sixth").status_code == 404  # five uses at most


def test_state_and_calls_inspection_endpoints(slack: SlackStandIn, client: WebClient) -> None:
    client.chat_postMessage(channel=ALICE, text="inspect me")
    with urllib.request.urlopen(f"{slack.url}/sandbox/state") as response:
        state = json.load(response)
    dm = next(c for c in state["channels"] if c.get("user") == ALICE)
    assert dm["messages"][0]["text"] == "inspect me"
    assert {u["id"] for u in state["users"]} >= {ALICE, BOB}
    with urllib.request.urlopen(f"{slack.url}/sandbox/calls") as response:
        calls = json.load(response)
    assert calls[-1]["method"] == "chat.postMessage" and calls[-1]["ok"] is True
