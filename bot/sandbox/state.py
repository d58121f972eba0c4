"""What a stand-in workspace holds: its `State`, and the one-use grants kept in it.

`State` is every conversation, view, file, grant and logged call of one team; `Workspace` owns it
and its lock, and methods change it only inside ``with ws.mutation():``. A `Trigger` (views.open),
a `ResponseTarget` (a response_url) and an `OAuthGrant` (oauth.v2.access) each record what the
stand-in handed the app and whether it was used. Plain records: no rules, no locking here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.model import CallRecord, Channel, FileRecord, User


@dataclass
class Trigger:
    """A trigger_id handed to the app in an interaction; views.open may exchange it once."""

    user_id: str
    issued_at: float
    used: bool = False


@dataclass
class ResponseTarget:
    """Where posts to one response_url land."""

    user_id: str
    channel_id: str
    created_at: float
    message_ts: str | None = None  # the message the interaction came from
    is_ephemeral: bool = False
    uses: int = 0


@dataclass
class OAuthGrant:
    """An authorization code handed to the app's redirect URL; oauth.v2.access exchanges it once."""

    user_id: str
    scopes: list[str]
    redirect_uri: str | None
    issued_at: float
    used: bool = False


@dataclass
class State:
    """Everything the workspace holds. Hold ``Workspace.lock`` while touching it."""

    users: dict[str, User]
    channels: dict[str, Channel] = field(default_factory=dict)
    dms: dict[frozenset[str], str] = field(default_factory=dict)  # member set -> DM/MPIM id
    ephemerals: list[dict[str, Any]] = field(default_factory=list)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    view_users: dict[str, str] = field(default_factory=dict)
    view_errors: dict[str, dict[str, str]] = field(default_factory=dict)
    modal_stacks: dict[str, list[str]] = field(default_factory=dict)
    home_views: dict[str, str] = field(default_factory=dict)
    files: dict[str, FileRecord] = field(default_factory=dict)
    triggers: dict[str, Trigger] = field(default_factory=dict)
    response_urls: dict[str, ResponseTarget] = field(default_factory=dict)
    responses: list[dict[str, Any]] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)
    revoked_tokens: set[str] = field(default_factory=set)
    issued_tokens: dict[str, list[str]] = field(
        default_factory=dict
    )  # OAuth-installed bot token -> scopes
    oauth_codes: dict[str, OAuthGrant] = field(default_factory=dict)
