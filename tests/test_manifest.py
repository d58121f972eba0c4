"""slack-manifest.yaml asks for every scope the code needs and no other, and points Slack where
Upward listens.

The Web API methods Upward calls are found in bot/ (outside the sandbox): slack_sdk WebClient
calls (`client.users_info(...)`, with what each wraps, e.g. files_upload_v2) and method names
in strings (the outbox's `method="chat.postMessage"`). Each must be in METHOD_SCOPES, whose
scopes come from the method's page on docs.slack.dev ("Scopes: Bot token"), narrowed to the
kinds of conversation Upward uses it on.
"""

from __future__ import annotations

import functools
import inspect
import re
from pathlib import Path

import yaml
from slack_sdk import WebClient

from bot.web import EVENTS_PATH

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = yaml.safe_load((ROOT / "slack-manifest.yaml").read_text(encoding="utf-8"))
SOURCES = {
    p: p.read_text(encoding="utf-8")
    for p in sorted((ROOT / "bot").rglob("*.py"))
    if "sandbox" not in p.parts
}

# Method → the bot scopes it needs for the conversations Upward uses it on. Slack accepts any one
# of channels:/groups:/im:/mpim: for the conversations.* methods, matching the conversation's
# kind; Upward's are DMs (im), circle channels (private: groups) and a digest channel that may
# be public (channels) or private.
METHOD_SCOPES: dict[str, set[str]] = {
    "chat.postMessage": {"chat:write"},
    "chat.update": {"chat:write"},
    "chat.postEphemeral": {"chat:write"},
    "conversations.open": {"im:write"},  # a DM with one person
    "conversations.history": {
        "im:history",
        "groups:history",
        "channels:history",
    },  # outbox recovery in all three
    "conversations.replies": {
        "im:history",
        "groups:history",
        "channels:history",
    },  # outbox recovery of a threaded reply (history does not list them)
    "conversations.create": {"groups:write"},  # is_private=True
    "conversations.list": {"groups:read"},  # types=private_channel
    "conversations.invite": {"groups:write"},
    "conversations.kick": {"groups:write"},
    "conversations.archive": {"groups:write"},
    "conversations.setTopic": {"groups:write"},
    "conversations.setPurpose": {"groups:write"},
    "users.info": {"users:read"},
    "users.lookupByEmail": {"users:read.email"},
    "files.getUploadURLExternal": {"files:write"},
    "files.completeUploadExternal": {"files:write"},
    "views.publish": set(),
    "views.open": set(),
    "auth.test": set(),
}
# Scopes no Web API method needs: slash commands are delivered to apps with `commands`.
OTHER_SCOPES = {"commands"}
_API_CALL = re.compile(r'api_call\(\s*"([a-zA-Z.]+)"')


@functools.cache
def _wrapped(name: str) -> frozenset[str]:
    """The Web API methods a WebClient method calls, following its calls to other WebClient
    methods."""
    source = inspect.getsource(getattr(WebClient, name))
    found = set(_API_CALL.findall(source))
    for inner in set(re.findall(r"self\.([a-zA-Z]\w*)\(", source)) - {name, "api_call"}:
        if callable(getattr(WebClient, inner, None)):
            found |= _wrapped(inner)
    return frozenset(found)


def methods_called() -> dict[str, set[str]]:
    """Each Slack Web API method named in bot/, with the files that name it."""
    every_method = {
        m
        for n in dir(WebClient)
        if not n.startswith("_") and callable(getattr(WebClient, n))
        for m in _wrapped(n)
    }
    found: dict[str, set[str]] = {}
    for path, text in SOURCES.items():
        names = {
            m
            for n in re.findall(r"\.([a-zA-Z]\w*)\(", text)
            if callable(getattr(WebClient, n, None))
            for m in _wrapped(n)
        }
        names |= set(re.findall(r'"([a-z]+\.[a-zA-Z.]+)"', text)) & every_method
        for method in names:
            found.setdefault(method, set()).add(str(path.relative_to(ROOT)))
    return found


def bot_scopes() -> set[str]:
    return set(MANIFEST["oauth_config"]["scopes"]["bot"])


def test_the_scan_finds_what_upward_is_known_to_call() -> None:
    called = methods_called()
    assert {
        "chat.postMessage",
        "chat.update",
        "conversations.open",
        "conversations.create",
        "users.info",
        "files.completeUploadExternal",
        "views.publish",
    } <= set(called)


def test_every_method_upward_calls_is_covered_by_the_manifests_bot_scopes() -> None:
    called = methods_called()
    unknown = {m: sorted(files) for m, files in called.items() if m not in METHOD_SCOPES}
    assert not unknown, (
        f"add these methods to METHOD_SCOPES with their bot scopes from docs.slack.dev: {unknown}"
    )
    missing = {
        m: sorted(METHOD_SCOPES[m] - bot_scopes())
        for m in called
        if METHOD_SCOPES[m] - bot_scopes()
    }
    assert not missing, f"slack-manifest.yaml lacks scopes these calls need: {missing}"


def test_the_manifest_asks_for_no_scope_upward_does_not_use() -> None:
    needed = (
        set().union(*(METHOD_SCOPES[m] for m in methods_called() if m in METHOD_SCOPES))
        | OTHER_SCOPES
    )
    assert bot_scopes() - needed == set(), (
        "unused scopes in slack-manifest.yaml: drop them (least privilege)"
    )


def test_every_slash_command_and_event_upward_listens_to_is_in_the_manifest() -> None:
    code = "\n".join(SOURCES.values())
    commands = set(re.findall(r'app\.command\("([^"]+)"\)', code))
    events = set(re.findall(r'app\.event\("([^"]+)"\)', code))
    assert commands == {"/circle"} and "app_home_opened" in events
    assert {c["command"] for c in MANIFEST["features"]["slash_commands"]} == commands
    assert events <= set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])


def test_slack_is_sent_to_the_path_upward_serves() -> None:
    settings = MANIFEST["settings"]
    urls = [
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        *(c["url"] for c in MANIFEST["features"]["slash_commands"]),
    ]
    origins = {u.removesuffix(EVENTS_PATH) for u in urls}
    assert (
        all(u.endswith(EVENTS_PATH) for u in urls)
        and len(origins) == 1
        and origins.pop().startswith("https://")
    )
    assert settings["interactivity"]["is_enabled"] is True
    home = MANIFEST["features"]["app_home"]
    assert home["home_tab_enabled"] and home["messages_tab_enabled"]
    # Socket Mode is the installer's choice (README); the shipped manifest is for HTTP.
    assert settings["socket_mode_enabled"] is False
