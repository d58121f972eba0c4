"""The one exception the stand-in's methods raise: a Slack Web API error answer."""

from __future__ import annotations

from typing import Any


class SlackError(Exception):
    """A Web API failure, answered as ``{"ok": false, "error": ...}`` (HTTP 200 unless told)."""

    def __init__(self, error: str, *, status: int = 200, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON body Slack answers with."""
        return {"ok": False, "error": self.error, **self.extra}


def invalid_arguments(*messages: str) -> SlackError:
    """Slack's answer to a missing or malformed argument on its newer methods."""
    return SlackError(
        "invalid_arguments",
        response_metadata={"messages": [f"[ERROR] {m}" for m in messages]},
    )


def missing_argument(name: str) -> SlackError:
    """``invalid_arguments`` naming the required field that was absent."""
    return invalid_arguments(f"missing required field: {name}")
