"""Workspaces Upward is installed in, and the bot's WebClient for each of them.

One workspace (SLACK_BOT_TOKEN): every program and message uses that token. Distributed
(SLACK_CLIENT_ID and SLACK_CLIENT_SECRET): each workspace installs Upward through /slack/install,
slack-sdk's SQLAlchemy stores keep its bot token in Upward's database, and a program's messages go
out with the token of the workspace the program belongs to.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.config import ConfigError, Settings
from bot.errors import UpwardError
from bot.models import (
    Base,
    Circle,
    Membership,
    Person,
    Program,
    slack_bots,
    slack_installations,
    slack_oauth_states,
)
from bot.slack.client import make_web_client

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# How long the worker reuses a workspace's token before reading it again (a reinstall replaces it).
TOKEN_TTL_SECONDS = 60.0
# Slack's install links are good for 10 minutes.
STATE_EXPIRATION_SECONDS = 600


class UpwardInstallationStore(SQLAlchemyInstallationStore):
    """slack-sdk's SQLAlchemy installation store on Upward's engine and Alembic-made tables."""

    def __init__(self, client_id: str, engine: Engine):
        super().__init__(client_id=client_id, engine=engine)
        self.metadata, self.bots, self.installations = (
            Base.metadata,
            slack_bots,
            slack_installations,
        )

    def create_tables(self) -> None:
        raise RuntimeError("Upward's tables come from its migrations: run `upward db upgrade`")


class UpwardOAuthStateStore(SQLAlchemyOAuthStateStore):
    """slack-sdk's SQLAlchemy OAuth state store on Upward's engine and Alembic-made table."""

    def __init__(self, engine: Engine, expiration_seconds: int = STATE_EXPIRATION_SECONDS):
        super().__init__(expiration_seconds=expiration_seconds, engine=engine)
        self.metadata, self.oauth_states = Base.metadata, slack_oauth_states

    def create_tables(self) -> None:
        raise RuntimeError("Upward's tables come from its migrations: run `upward db upgrade`")


def oauth_settings(settings: Settings, engine: Engine) -> OAuthSettings:
    """Bolt's OAuth flow for a distributed Upward: /slack/install, /slack/oauth_redirect, stores in
    Upward's database."""
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=settings.bot_scopes(),
        redirect_uri=settings.slack_redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=settings.oauth_authorize_url,
        installation_store=UpwardInstallationStore(settings.slack_client_id, engine),
        # Upward acts as its bot only: find_bot per request, no user tokens.
        installation_store_bot_only=True,
        state_store=UpwardOAuthStateStore(engine),
        state_expiration_seconds=STATE_EXPIRATION_SECONDS,
    )


def known_elsewhere(
    session: Session, *, team_id: str | None, user_id: str | None, channel_id: str | None
) -> bool:
    """True when a request from workspace `team_id` names a person or circle channel of another
    workspace's programs.

    Slack's ids are unique across workspaces, so a request carrying them from elsewhere is forged
    or misrouted; it must not reach any program. Programs without a team (the single workspace of
    SLACK_BOT_TOKEN) match every workspace.
    """
    if channel_id:
        owner = session.execute(
            select(Program.team_id)
            .join(Circle, Circle.program_id == Program.id)
            .where(Circle.slack_channel_id == channel_id)
            .limit(1)
        ).first()
        if owner is not None and owner[0] is not None and owner[0] != team_id:
            return True
    if user_id:
        teams = set(
            session.scalars(
                select(Program.team_id)
                .join(Membership, Membership.program_id == Program.id)
                .join(Person, Person.id == Membership.person_id)
                .where(Person.slack_user_id == user_id)
            )
        )
        if teams and team_id not in teams and None not in teams:
            return True
    return False


class NoWorkspace(UpwardError):
    """No bot token for a workspace: it never installed Upward, or uninstalled it."""


@dataclass(frozen=True)
class InstalledWorkspace:
    team_id: str
    team_name: str
    bot_user_id: str | None


def installed_workspaces(session: Session, *, client_id: str) -> list[InstalledWorkspace]:
    """Every workspace with a bot token for this app, by name (the latest install of each)."""
    b = slack_bots.c
    latest: dict[str, InstalledWorkspace] = {}
    rows = session.execute(
        select(b.team_id, b.team_name, b.bot_user_id)
        .where(b.client_id == client_id, b.team_id.is_not(None), b.bot_token.is_not(None))
        .order_by(b.installed_at)
    )
    for team_id, team_name, bot_user_id in rows:
        latest[team_id] = InstalledWorkspace(team_id, team_name or "", bot_user_id)
    return sorted(latest.values(), key=lambda w: (w.team_name.lower(), w.team_id))


def choose_team(session: Session, settings: Settings, team: str | None) -> str | None:
    """The team id a new program belongs to: None for one workspace; else `team` (checked) or the
    only one installed."""
    if not settings.multi_workspace:
        if team is not None:
            raise ConfigError(
                "--team is for several workspaces (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET set);"
                " leave it out"
            )
        return None
    assert settings.slack_client_id is not None
    installed = installed_workspaces(session, client_id=settings.slack_client_id)
    listed = (
        ", ".join(f"{w.team_id} ({w.team_name})" for w in installed)
        or "none yet: open /slack/install"
    )
    if team is None:
        if len(installed) == 1:
            return installed[0].team_id
        raise ConfigError(
            f"say which workspace the program is for with --team; installed workspaces: {listed}"
        )
    wanted = team.strip().upper()
    if wanted not in {w.team_id for w in installed}:
        raise ConfigError(
            f"Upward is not installed in workspace {team}; installed workspaces: {listed}"
        )
    return wanted


class WorkspaceClients:
    """The bot's WebClient for a workspace: SLACK_BOT_TOKEN's, or the installation's in that
    workspace."""

    def __init__(
        self,
        *,
        default: WebClient | None,
        settings: Settings | None = None,
        store: UpwardInstallationStore | None = None,
    ):
        self._default = default
        self._settings = settings
        self._store = store
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, WebClient]] = {}

    @classmethod
    def single(cls, client: WebClient) -> WorkspaceClients:
        """Every workspace answered by one client (one workspace, or a test's)."""
        return cls(default=client)

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine) -> WorkspaceClients:
        """One workspace: SLACK_BOT_TOKEN. Distributed: installations, with SLACK_BOT_TOKEN (if set)
        for programs without a team."""
        default = make_web_client(settings) if settings.slack_bot_token is not None else None
        if not settings.multi_workspace:
            return cls(default=default or make_web_client(settings))
        assert settings.slack_client_id is not None
        return cls(
            default=default,
            settings=settings,
            store=UpwardInstallationStore(settings.slack_client_id, engine),
        )

    def for_team(self, team_id: str | None) -> WebClient:
        """The client for `team_id` (None: the single workspace); NoWorkspace when it has no
        token."""
        if self._store is None or team_id is None:
            if self._default is None:
                raise NoWorkspace(
                    "this program has no workspace and SLACK_BOT_TOKEN is not set: "
                    "set one with `upward program configure NAME --team T…`"
                )
            return self._default
        with self._lock:
            cached = self._cache.get(team_id)
            if cached is not None and time.monotonic() - cached[0] < TOKEN_TTL_SECONDS:
                return cached[1]
        bot = self._store.find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            raise NoWorkspace(
                f"Upward is not installed in workspace {team_id} (or was uninstalled): reinstall it"
                " from /slack/install"
            )
        assert self._settings is not None
        client = make_web_client(self._settings, token=bot.bot_token)
        with self._lock:
            self._cache[team_id] = (time.monotonic(), client)
        return client


def as_clients(client: WebClient | WorkspaceClients) -> WorkspaceClients:
    """Accept a plain WebClient where per-workspace clients are expected (one workspace, tests)."""
    return client if isinstance(client, WorkspaceClients) else WorkspaceClients.single(client)
