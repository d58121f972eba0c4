"""Settings: every knob, typed, from the environment and an optional `.env` file.

The Slack/database variable names are a contract with installers and acceptance checks.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    # SQLAlchemy is imported when the database URL is first read: commands without a database
    # (`upward content validate`) do not wait for it.
    from sqlalchemy.engine import URL

from bot.core.credentials import MASK, url_credentials

# The app manifest installers create the Slack app from; its bot scopes are what /slack/install asks
# for.
MANIFEST_PATH = Path(__file__).resolve().parents[1] / "slack-manifest.yaml"


def default_content_dir() -> Path:
    """The `content/` folder next to the package (a source checkout or editable install)."""
    return Path(__file__).resolve().parents[1] / "content"


class ConfigError(Exception):
    """A setting is missing or malformed; the message says which and what to do."""


class Settings(BaseSettings):
    """Upward's configuration."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    database_url: str = Field(default="sqlite:///upward.db", validation_alias="DATABASE_URL")
    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_SIGNING_SECRET"
    )
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", validation_alias="SLACK_API_URL")
    # Distribution to several workspaces (OAuth): both set turns it on; tokens then come from
    # installations.
    slack_client_id: str | None = Field(default=None, validation_alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_CLIENT_SECRET"
    )
    # The public URL of /slack/oauth_redirect; unset, Slack uses the app's one configured Redirect
    # URL.
    slack_redirect_uri: str | None = Field(default=None, validation_alias="SLACK_REDIRECT_URI")
    # Comma-separated bot scopes /slack/install asks for; unset, the ones in slack-manifest.yaml.
    slack_scopes: str | None = Field(default=None, validation_alias="SLACK_SCOPES")
    content_dir: Path = Field(
        default_factory=default_content_dir,
        validation_alias=AliasChoices("UPWARD_CONTENT_DIR", "content_dir"),
    )
    log_format: str = Field(
        default="text", validation_alias=AliasChoices("UPWARD_LOG_FORMAT", "log_format")
    )
    # How long a worker's claim on an outbox row lasts; a row claimed by a worker that died is
    # picked up again after this. Longer than any single Slack call with its retries.
    outbox_lease_seconds: int = Field(
        default=120,
        ge=5,
        le=3600,
        validation_alias=AliasChoices("UPWARD_OUTBOX_LEASE_SECONDS", "outbox_lease_seconds"),
    )

    # How long the process that acknowledged a request has to do its work before the worker takes
    # the request over from the inbox (the process may have died after its ack).
    inbox_lease_seconds: int = Field(
        default=30,
        ge=1,
        le=3600,
        validation_alias=AliasChoices("UPWARD_INBOX_LEASE_SECONDS", "inbox_lease_seconds"),
    )

    @field_validator(
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "slack_client_id",
        "slack_client_secret",
        "slack_redirect_uri",
        "slack_scopes",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v

    @model_validator(mode="after")
    def _client_id_and_secret_together(self) -> Settings:
        if (self.slack_client_id is None) != (self.slack_client_secret is None):
            missing = (
                "SLACK_CLIENT_SECRET" if self.slack_client_secret is None else "SLACK_CLIENT_ID"
            )
            raise ValueError(
                f"{missing} is not set: distributing to several workspaces needs both"
                " SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (your Slack app's 'Basic Information'"
                " page); unset both for one workspace"
            )
        return self

    @field_validator("slack_api_url")
    @classmethod
    def _ends_with_slash(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError(f"SLACK_API_URL must be an http(s) URL ending in '/', got {v!r}")
        return v if v.endswith("/") else v + "/"

    @cached_property
    def database(self) -> URL:
        """The parsed DATABASE_URL; ConfigError when it is not a URL SQLAlchemy understands."""
        return parse_database_url(self.database_url)

    @property
    def multi_workspace(self) -> bool:
        """True when Upward is distributed: installed through /slack/install, one bot token per
        workspace."""
        return self.slack_client_id is not None and self.slack_client_secret is not None

    @property
    def oauth_authorize_url(self) -> str:
        """Slack's install-approval page, beside the Web API (slack.com/oauth/v2/authorize, or the
        stand-in's)."""
        return self.slack_api_url.removesuffix("api/") + "oauth/v2/authorize"

    def bot_scopes(self) -> list[str]:
        """The bot scopes to ask for at install: SLACK_SCOPES, else the manifest's; ConfigError when
        neither."""
        if self.slack_scopes is not None:
            return [s.strip() for s in self.slack_scopes.split(",") if s.strip()]
        try:
            manifest = yaml.safe_load(MANIFEST_PATH.read_text(encoding="utf-8"))
            return list(manifest["oauth_config"]["scopes"]["bot"])
        except (OSError, yaml.YAMLError, KeyError, TypeError):
            raise ConfigError(
                f"cannot read the bot scopes from {MANIFEST_PATH}: set SLACK_SCOPES to a"
                " comma-separated list (e.g. chat:write,im:write,users:read)"
            ) from None

    def secret_values(self) -> list[str]:
        """Every secret these settings hold (tokens, the signing and client secrets, the database
        URL's credentials), for the logs to mask wherever one appears."""
        secrets = [
            value.get_secret_value()
            for value in (
                self.slack_bot_token,
                self.slack_signing_secret,
                self.slack_app_token,
                self.slack_client_secret,
            )
            if value is not None
        ]
        try:
            # parsed here, not through the cached `database`: a model_copy would keep that cache
            secrets += url_credentials(parse_database_url(self.database_url))
        except ConfigError:  # a URL that does not parse is shown masked (`_mask`)
            pass
        return secrets

    def require_bot_token(self) -> str:
        """The bot token, or a ConfigError that tells the installer how to set it."""
        if self.slack_bot_token is None:
            raise ConfigError(
                "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from your Slack"
                " app's 'OAuth & Permissions' page into the environment or .env"
            )
        return self.slack_bot_token.get_secret_value()

    def require_signing_secret(self) -> str:
        """The signing secret, or a ConfigError saying where to find it."""
        if self.slack_signing_secret is None:
            raise ConfigError(
                "SLACK_SIGNING_SECRET is not set: copy the Signing Secret from your Slack app's"
                " 'Basic Information' page into the environment or .env (or set SLACK_APP_TOKEN for"
                " Socket Mode)"
            )
        return self.slack_signing_secret.get_secret_value()


def parse_database_url(raw: str) -> URL:
    """Parse a SQLAlchemy URL, mapping `postgresql://` to the psycopg 3 driver we ship."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(raw)
    except (ArgumentError, ValueError):
        raise ConfigError(
            f"DATABASE_URL is not a database URL: {_mask(raw)!r}. Use e.g. sqlite:///upward.db or "
            "postgresql://user@host:5432/dbname"
        ) from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"DATABASE_URL uses '{url.get_backend_name()}', which Upward does not support: use"
            " sqlite or postgresql"
        )
    return url


def _mask(raw: str) -> str:
    """A URL we could not parse, without anything that could be a credential: its user info and
    its query are masked."""
    shown, _, query = raw.partition("?")
    if "://" in shown:
        scheme, rest = shown.split("://", 1)
        if "@" in rest:
            rest = f"{MASK}@{rest.rsplit('@', 1)[1]}"
        shown = f"{scheme}://{rest}"
    return shown + (f"?{MASK}" if query else "")


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning pydantic's errors into one ConfigError line per bad variable."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        # A check across fields (no location) names the variables in its own message.
        raise ConfigError(
            f"{str(first['loc'][0]).upper()}: {message}" if first["loc"] else message
        ) from None
