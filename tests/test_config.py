"""Settings: the environment-variable contract, secrets kept secret, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings

CONTRACT = (
    "DATABASE_URL",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_REDIRECT_URI",
    "SLACK_SCOPES",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in CONTRACT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_run_on_embedded_sqlite() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///upward.db"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.slack_bot_token is None and settings.slack_app_token is None


def test_contract_variables_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db:5432/upward")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-123")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cret")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9999/api")
    settings = load_settings()
    assert settings.database.drivername == "postgresql+psycopg"
    assert settings.require_bot_token() == "xoxb-123"
    assert settings.require_signing_secret() == "s3cret"
    assert settings.slack_app_token is not None
    assert settings.slack_api_url == "http://127.0.0.1:9999/api/"


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-dotenv\n")
    assert load_settings().require_bot_token() == "xoxb-from-dotenv"


def test_secrets_never_appear_in_repr_or_dump(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing-very-secret")
    settings = load_settings()
    for text in (repr(settings), str(settings), settings.model_dump_json()):
        assert "very-secret" not in text


def test_missing_token_says_where_to_find_it() -> None:
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN is not set.*OAuth & Permissions"):
        load_settings().require_bot_token()


@pytest.mark.parametrize(
    "url, message",
    [
        ("not a url", "not a database URL"),
        ("postgresql://u:hunter2@host:notaport/db", "not a database URL"),
        ("mysql://u@host/db", "does not support"),
    ],
)
def test_malformed_database_url_is_one_clear_error(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        _ = Settings(database_url=url).database
    assert "hunter2" not in str(info.value)


def test_bad_api_url_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_API_URL", "slack.com/api")
    with pytest.raises(ConfigError, match="SLACK_API_URL"):
        load_settings()


def test_client_id_and_secret_make_upward_distributed(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not load_settings().multi_workspace
    monkeypatch.setenv("SLACK_CLIENT_ID", "123.456")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "client-very-secret")
    monkeypatch.setenv("SLACK_REDIRECT_URI", "https://upward.example.com/slack/oauth_redirect")
    settings = load_settings()
    assert settings.multi_workspace and settings.slack_client_id == "123.456"
    assert settings.slack_redirect_uri == "https://upward.example.com/slack/oauth_redirect"
    for text in (repr(settings), str(settings), settings.model_dump_json()):
        assert "client-very-secret" not in text


@pytest.mark.parametrize(
    "given, missing",
    [("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"), ("SLACK_CLIENT_SECRET", "SLACK_CLIENT_ID")],
)
def test_one_of_client_id_and_secret_alone_is_one_clear_error(
    monkeypatch: pytest.MonkeyPatch, given: str, missing: str
) -> None:
    monkeypatch.setenv(given, "x")
    with pytest.raises(
        ConfigError,
        match=f"^{missing} is not set: .* needs both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET",
    ):
        load_settings()


def test_install_asks_for_the_manifests_bot_scopes_unless_slack_scopes_says_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import yaml

    from bot.config import MANIFEST_PATH

    manifest = yaml.safe_load(MANIFEST_PATH.read_text(encoding="utf-8"))
    assert load_settings().bot_scopes() == manifest["oauth_config"]["scopes"]["bot"]
    monkeypatch.setenv("SLACK_SCOPES", "chat:write, users:read")
    assert load_settings().bot_scopes() == ["chat:write", "users:read"]


@pytest.mark.parametrize(
    "api, authorize",
    [
        ("https://slack.com/api/", "https://slack.com/oauth/v2/authorize"),
        ("http://127.0.0.1:9999/api/", "http://127.0.0.1:9999/oauth/v2/authorize"),
    ],
)
def test_the_install_approval_page_sits_beside_the_web_api(api: str, authorize: str) -> None:
    assert Settings(slack_api_url=api).oauth_authorize_url == authorize
