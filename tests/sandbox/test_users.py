"""Seeding and the users.* / auth.test methods."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox import DEMO_SEED_PATH, SeedError, SlackStandIn, Workspace, load_seed
from tests.sandbox.conftest import ALICE, BOB, BOT, CAROL, GONE, SEED


def _offset(tz: str) -> int:
    offset = datetime.now(UTC).astimezone(ZoneInfo(tz)).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


def test_users_info_gives_iana_tz_and_current_offset(client: WebClient) -> None:
    for user_id, tz in [
        (ALICE, "Europe/Berlin"),
        (BOB, "America/Los_Angeles"),
        (CAROL, "Asia/Kolkata"),
    ]:
        user = client.users_info(user=user_id)["user"]
        assert user["tz"] == tz
        assert user["tz_offset"] == _offset(tz)
        assert user["profile"]["email"]
    assert client.users_info(user=CAROL)["user"]["tz_label"] == "India Standard Time"
    assert client.users_info(user=BOB)["user"]["tz_label"] in (
        "Pacific Standard Time",
        "Pacific Daylight Time",
    )


def test_deleted_user_is_still_returned_with_deleted_flag(client: WebClient) -> None:
    assert client.users_info(user=GONE)["user"]["deleted"] is True


def test_unknown_user_is_user_not_found(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as error:
        client.users_info(user="U0NOBODY01")
    assert error.value.response["error"] == "user_not_found"


def test_users_list_paginates_with_cursor(client: WebClient) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = client.users_list(limit=2, cursor=cursor)
        seen += [m["id"] for m in page["members"]]
        pages += 1
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert pages == 3
    assert seen == [BOT, ALICE, BOB, CAROL, GONE]
    assert len(client.users_list()["members"]) == 5  # no limit: everyone at once


def test_slack_sdk_iterates_pages_itself(client: WebClient) -> None:
    ids = [m["id"] for page in client.users_list(limit=2) for m in page["members"]]
    assert len(ids) == 5


def test_lookup_by_email_is_case_insensitive_and_reports_users_not_found(client: WebClient) -> None:
    assert client.users_lookupByEmail(email="bob@example.com")["user"]["id"] == BOB
    with pytest.raises(SlackApiError) as error:
        client.users_lookupByEmail(email="nobody@example.com")
    assert error.value.response["error"] == "users_not_found"


def test_auth_test_names_the_bot_and_every_seeded_token_works(slack: SlackStandIn) -> None:
    for token in [slack.bot_token, *SEED["bot"]["tokens"]]:
        answer = WebClient(base_url=slack.api_url, token=token).auth_test()
        assert (answer["user_id"], answer["bot_id"], answer["team_id"]) == (
            BOT,
            "B0SANDBOT1",
            "T0SANDBOX1",
        )


def test_demo_workspace_has_a_lead_three_mentors_and_eight_executives() -> None:
    seed = load_seed(DEMO_SEED_PATH)
    people = [u for u in seed.users if not u.deleted]
    assert len(people) == 12
    assert all(u.email and u.real_name and u.tz for u in people)
    assert {u.tz for u in people} == {
        "America/Los_Angeles",
        "America/New_York",
        "Europe/Berlin",
        "Europe/London",
        "Asia/Kolkata",
    }
    assert sum(u.id.startswith("U07EXEC") for u in people) == 8
    assert sum(u.id.startswith("U07MENT") for u in people) == 3


def test_seed_mistakes_name_the_field(tmp_path: Path) -> None:
    bad = {**SEED, "users": [{"id": "U0X0000001", "name": "x", "tz": "Mars/Base"}]}
    with pytest.raises(SeedError, match=r"users\[0\]\.tz"):
        Workspace.from_seed(bad)
    with pytest.raises(SeedError, match="xoxb-"):
        Workspace.from_seed({**SEED, "bot": {**SEED["bot"], "token": "xoxp-nope"}})
    with pytest.raises(SeedError, match="does not exist"):
        load_seed(tmp_path / "missing.yaml")


def test_json_seed_file_and_runtime_users(tmp_path: Path) -> None:
    import json

    path = tmp_path / "seed.json"
    path.write_text(json.dumps(SEED))
    with SlackStandIn(path, rate_limits=False) as slack:
        added = slack.workspace.add_user(name="dave", real_name="Dave Doe", tz="Europe/London")
        client = WebClient(base_url=slack.api_url, token=slack.bot_token)
        assert client.users_info(user=added["id"])["user"]["name"] == "dave"
        slack.workspace.deactivate_user(ALICE)
        assert client.users_info(user=ALICE)["user"]["deleted"] is True
        assert time.time() - client.users_info(user=ALICE)["user"]["updated"] < 60
