"""Installing through OAuth, and several teams in one stand-in: each token answers in its own
team."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox import OTHER_TEAM_SEED, SlackStandIn
from bot.sandbox.seed import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from tests.sandbox.conftest import ALICE, SEED

OTHER = OTHER_TEAM_SEED["team"]["id"]
OTTO = "U0OEXEC001"
REDIRECT = "https://upward.example.com/slack/oauth_redirect"


@pytest.fixture()
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(SEED, rate_limits=False, teams=[OTHER_TEAM_SEED]) as stand_in:
        yield stand_in


def _authorize(slack: SlackStandIn, **params: str) -> tuple[int, str, str]:
    """GET the authorize page as a browser would: (status, Location, body)."""
    query = {
        "client_id": DEFAULT_CLIENT_ID,
        "scope": "chat:write,users:read",
        "state": "s-1",
        "redirect_uri": REDIRECT,
        **params,
    }
    parts = urlsplit(slack.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    conn.request(
        "GET", "/oauth/v2/authorize?" + urlencode({k: v for k, v in query.items() if v is not None})
    )
    response = conn.getresponse()
    location, body = response.getheader("Location") or "", response.read().decode()
    conn.close()
    return response.status, location, body


def _code_for(slack: SlackStandIn, **params: str) -> str:
    status, location, body = _authorize(slack, **params)
    assert status == 302, body
    return parse_qs(urlsplit(location).query)["code"][0]


def _exchange(slack: SlackStandIn, code: str, **overrides: str) -> dict:
    args = {
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
        "code": code,
        "redirect_uri": REDIRECT,
        **overrides,
    }
    return WebClient(base_url=slack.api_url).oauth_v2_access(**args).data  # type: ignore[return-value]


def test_approving_an_install_redirects_back_with_a_code_and_the_state(slack: SlackStandIn) -> None:
    status, location, _ = _authorize(slack, team=OTHER)
    assert status == 302 and location.startswith(REDIRECT + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["s-1"] and query["code"][0].startswith(OTHER)


def test_cancelling_an_install_redirects_back_with_access_denied(slack: SlackStandIn) -> None:
    status, location, _ = _authorize(slack, deny="1")
    assert status == 302
    assert parse_qs(urlsplit(location).query) == {"error": ["access_denied"], "state": ["s-1"]}


def test_the_authorize_page_refuses_an_unknown_app_or_team(slack: SlackStandIn) -> None:
    assert _authorize(slack, client_id="123.456")[0] == 400
    assert _authorize(slack, team="T0NOSUCH01")[0] == 400
    assert _authorize(slack, redirect_uri="ftp://nowhere")[0] == 400


def test_the_code_buys_a_bot_token_of_the_approving_team(slack: SlackStandIn) -> None:
    answer = _exchange(slack, _code_for(slack, team=OTHER))
    assert answer["team"] == {"id": OTHER, "name": "Other Co"}
    assert answer["token_type"] == "bot" and answer["scope"] == "chat:write,users:read"
    assert answer["bot_user_id"] == "U0OTHERBOT" and answer["app_id"] == slack.workspace.app_id
    assert answer["authed_user"] == {"id": "U0OLEAD001"}  # the team's admin approved
    token = answer["access_token"]
    assert WebClient(base_url=slack.api_url, token=token).auth_test()["team_id"] == OTHER


def test_the_code_is_checked_like_slack_checks_it(slack: SlackStandIn) -> None:
    def error(code: str, **overrides: str) -> str:
        with pytest.raises(SlackApiError) as refused:
            _exchange(slack, code, **overrides)
        return refused.value.response["error"]

    code = _code_for(slack)
    assert error(code, client_id="999.999") == "invalid_client_id"
    assert error(code, client_secret="wrong") == "bad_client_secret"
    assert error(code, redirect_uri="https://elsewhere.example/cb") == "bad_redirect_uri"
    assert error("T0SANDBOX1.not-a-code") == "invalid_code"
    _exchange(slack, code)
    assert error(code) == "invalid_code"  # a code is good once
    expired = _code_for(slack)
    with slack.workspace.mutation() as state:
        state.oauth_codes[expired].issued_at -= 601
    assert error(expired) == "invalid_code"


def test_the_client_secret_never_shows_in_the_call_log(slack: SlackStandIn) -> None:
    _exchange(slack, _code_for(slack))
    (call,) = slack.workspace.calls_to("oauth.v2.access")
    assert call.args["client_secret"] == "***" and call.ok


def test_each_team_has_its_own_people_and_records_its_own_calls(slack: SlackStandIn) -> None:
    first = WebClient(base_url=slack.api_url, token=slack.bot_token)
    other = WebClient(
        base_url=slack.api_url, token=_exchange(slack, _code_for(slack, team=OTHER))["access_token"]
    )
    other.chat_postMessage(channel=OTTO, text="hello Otto")
    first.chat_postMessage(channel=ALICE, text="hello Alice")
    for client, stranger in ((other, ALICE), (first, OTTO)):
        with pytest.raises(SlackApiError) as refused:
            client.users_info(user=stranger)
        assert refused.value.response["error"] == "user_not_found"
        with pytest.raises(SlackApiError) as refused:
            client.chat_postMessage(channel=stranger, text="leak")
        assert refused.value.response["error"] == "channel_not_found"
    team = slack.team(OTHER)
    assert [m["text"] for m in team.dm_messages(OTTO)] == ["hello Otto"]
    assert [m["text"] for m in slack.workspace.dm_messages(ALICE)] == ["hello Alice"]
    assert {c.team for c in team.calls} == {OTHER}
    assert [c.args["channel"] for c in team.calls_to("chat.postMessage") if c.ok] == [OTTO]
    assert slack.person(OTTO, "http://127.0.0.1:9/slack/events").ws is team
    assert slack.team(OTHER).app_id == slack.workspace.app_id  # the same app in both teams


def test_a_revoked_install_token_answers_token_revoked(slack: SlackStandIn) -> None:
    token = _exchange(slack, _code_for(slack, team=OTHER))["access_token"]
    slack.team(OTHER).revoke_token(token)
    with pytest.raises(SlackApiError) as refused:
        WebClient(base_url=slack.api_url, token=token).auth_test()
    assert refused.value.response["error"] == "token_revoked"
