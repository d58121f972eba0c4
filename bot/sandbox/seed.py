"""Reading a workspace seed (YAML, JSON or a dict) into checked records.

A seed names the team, the app (its signing secret, the client id and secret its OAuth install
flow checks, and its app-level token for Socket Mode), the bot user and its tokens, the people,
and optionally channels. Mistakes are reported with the path of the bad field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.sandbox.model import User

DEMO_SEED_PATH = Path(__file__).with_name("demo_workspace.yaml")

# Enough for a test to pass ``seed=MINIMAL_SEED`` and get a working bot with two people.
MINIMAL_SEED: dict[str, Any] = {
    "team": {"id": "T0SANDBOX1", "name": "Sandbox", "domain": "sandbox"},
    "app": {
        "id": "A0SANDBOX1",
        "signing_secret": "sandbox-signing-secret",
        "app_token": "xapp-1-A0SANDBOX1-1000000000001-sandboxminimalapptoken",
    },
    "bot": {
        "user_id": "U0SANDBOT1",
        "bot_id": "B0SANDBOT1",
        "name": "upward",
        "token": "xoxb-upward-sandbox-minimal-token",
    },
    "users": [
        {
            "id": "U0ALICE001",
            "name": "alice",
            "real_name": "Alice Example",
            "email": "alice@example.com",
            "tz": "Europe/Berlin",
        },
        {
            "id": "U0BOB00001",
            "name": "bob",
            "real_name": "Bob Example",
            "email": "bob@example.com",
            "tz": "America/New_York",
        },
    ],
}


# A second workspace for multi-workspace tests (``SlackStandIn(seed, teams=[OTHER_TEAM_SEED])``);
# it installs the same app as the first team, so its app fields are taken from there.
OTHER_TEAM_SEED: dict[str, Any] = {
    "team": {"id": "T0OTHERCO1", "name": "Other Co", "domain": "other-co"},
    "bot": {
        "user_id": "U0OTHERBOT",
        "bot_id": "B0OTHERBOT",
        "name": "upward",
        "token": "xoxb-upward-sandbox-other-team-token",
    },
    "users": [
        {
            "id": "U0OLEAD001",
            "name": "olu.lead",
            "real_name": "Olu Lead",
            "email": "olu@other.example",
            "tz": "Africa/Lagos",
            "is_admin": True,
        },
        {
            "id": "U0OMENT001",
            "name": "mei.mentor",
            "real_name": "Mei Mentor",
            "email": "mei@other.example",
            "tz": "Asia/Singapore",
        },
        {
            "id": "U0OEXEC001",
            "name": "otto.exec",
            "real_name": "Otto Exec",
            "email": "otto@other.example",
            "tz": "Europe/Vienna",
        },
        {
            "id": "U0OEXEC002",
            "name": "oona.exec",
            "real_name": "Oona Exec",
            "email": "oona@other.example",
            "tz": "Europe/Helsinki",
        },
    ],
}

# The app's OAuth credentials when a seed does not name them (oauth.v2.access checks them).
DEFAULT_CLIENT_ID = "1000000000001.1000000000001"
DEFAULT_CLIENT_SECRET = "sandbox-client-secret"


def default_app_token(app_id: str) -> str:
    """The app-level token (Socket Mode) of an app whose seed names none."""
    return f"xapp-1-{app_id}-1000000000001-sandboxapptoken"


class SeedError(ValueError):
    """A seed that cannot describe a workspace; the message names the field and the fix."""


@dataclass
class Seed:
    """A checked seed, ready for ``Workspace``."""

    team_id: str
    team_name: str
    domain: str
    app_id: str
    signing_secret: str
    verification_token: str
    bot: User
    tokens: list[str]
    users: list[User]
    channels: list[dict[str, Any]] = field(default_factory=list)
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    # Redirect URLs configured for the app; empty accepts any http(s) redirect_uri.
    redirect_urls: list[str] = field(default_factory=list)
    # The app-level token (xapp-…, scope connections:write) that opens Socket Mode connections.
    app_token: str = ""


def load_seed(source: Mapping[str, Any] | str | Path | None = None) -> Seed:
    """Read a seed from a mapping or a .yaml/.json file; None means the demo workspace."""
    if source is None:
        source = DEMO_SEED_PATH
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise SeedError(f"seed file {path} does not exist")
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        if not isinstance(data, Mapping):
            raise SeedError(f"{path}: the top level must be a mapping with team, bot and users")
        return parse_seed(data)
    return parse_seed(source)


def _need(data: Mapping[str, Any], key: str, where: str) -> Any:
    value = data.get(key)
    if value in (None, ""):
        raise SeedError(f"{where}.{key} is required")
    return value


def _check_id(value: Any, prefixes: str, where: str) -> str:
    if not isinstance(value, str) or value[:1] not in tuple(prefixes) or not value.isalnum():
        raise SeedError(f"{where}: {value!r} must be an id starting with one of {list(prefixes)}")
    return value


def _user(data: Mapping[str, Any], where: str) -> User:
    if not isinstance(data, Mapping):
        raise SeedError(f"{where} must be a mapping")
    tz = data.get("tz", "UTC")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise SeedError(f"{where}.tz: {tz!r} is not an IANA zone (e.g. Europe/Berlin)") from None
    name = _need(data, "name", where)
    return User(
        id=_check_id(_need(data, "id", where), "UW", f"{where}.id"),
        name=name,
        real_name=data.get("real_name", name),
        email=data.get("email", ""),
        tz=tz,
        title=data.get("title", ""),
        display_name=data.get("display_name", ""),
        deleted=bool(data.get("deleted", False)),
        is_admin=bool(data.get("is_admin", False)),
    )


def parse_seed(data: Mapping[str, Any]) -> Seed:
    """Check a seed mapping and turn it into records."""
    team = _need(data, "team", "seed")
    bot = _need(data, "bot", "seed")
    app = data.get("app") or {}
    tokens = [_need(bot, "token", "bot"), *bot.get("tokens", [])]
    for i, token in enumerate(tokens):
        if not isinstance(token, str) or not token.startswith("xoxb-"):
            raise SeedError(f"bot.tokens[{i}]: {token!r} must be a bot token starting with xoxb-")
    app_id = _check_id(app.get("id", "A0SANDBOX1"), "A", "app.id")
    app_token = app.get("app_token", default_app_token(app_id))
    if not isinstance(app_token, str) or not app_token.startswith("xapp-"):
        raise SeedError(f"app.app_token: {app_token!r} must be an app-level token starting xapp-")
    bot_user = User(
        id=_check_id(_need(bot, "user_id", "bot"), "UW", "bot.user_id"),
        name=bot.get("name", "upward"),
        real_name=bot.get("real_name", bot.get("name", "upward")),
        is_bot=True,
        bot_id=_check_id(_need(bot, "bot_id", "bot"), "B", "bot.bot_id"),
        app_id=app_id,
    )
    users = [_user(u, f"users[{i}]") for i, u in enumerate(data.get("users") or [])]
    ids = [bot_user.id] + [u.id for u in users]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise SeedError(f"users: ids {duplicates} appear more than once")
    channels = list(data.get("channels") or [])
    for i, channel in enumerate(channels):
        where = f"channels[{i}]"
        _check_id(_need(channel, "id", where), "CG", f"{where}.id")
        _need(channel, "name", where)
        members = channel.get("members", [])
        if members != "all" and not set(members) <= set(ids):
            unknown = sorted(set(members) - set(ids))
            raise SeedError(f"{where}.members: {unknown} are not users of this seed")
    return Seed(
        team_id=_check_id(_need(team, "id", "team"), "T", "team.id"),
        team_name=team.get("name", "Sandbox"),
        domain=team.get("domain", "sandbox"),
        app_id=app_id,
        signing_secret=app.get("signing_secret", "sandbox-signing-secret"),
        # The deprecated token Slack still puts in every payload.
        verification_token=app.get("verification_token", "sandboxverificationtoken"),
        bot=bot_user,
        tokens=tokens,
        users=users,
        channels=channels,
        client_id=str(app.get("client_id", DEFAULT_CLIENT_ID)),
        client_secret=str(app.get("client_secret", DEFAULT_CLIENT_SECRET)),
        redirect_urls=[str(u) for u in app.get("redirect_urls") or []],
        app_token=app_token,
    )
