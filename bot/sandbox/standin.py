"""What the stand-in's parts (OAuth pages, inspector, simulated people, signed senders) see of it.

`SlackStandIn` (server.py) builds on these parts, so they name it through this protocol rather than
importing server.py: the package imports in one direction, server.py at the top.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.sandbox.workspace import Workspace


class StandIn(Protocol):
    """The teams a stand-in holds, where it listens, and where the app it talks to listens."""

    workspace: Workspace  # the first team
    teams: dict[str, Workspace]
    request_url: str | None  # the app's /slack/events, when known
    transport: str  # how the app hears from Slack: "http" (request_url) or "socket" (Socket Mode)

    @property
    def url(self) -> str: ...

    @property
    def signing_secret(self) -> str: ...

    def workspace_for_user(self, user_id: str) -> Workspace: ...

    def workspace_holding(self, kind: str, key: str) -> Workspace: ...
