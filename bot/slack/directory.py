"""Who is who in the workspace, read from Slack: users.lookupByEmail and users.info."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import UpwardError

NOT_FOUND = {"users_not_found", "user_not_found"}


@dataclass(frozen=True)
class SlackProfile:
    """What the roster reads about a person from Slack."""

    user_id: str
    display_name: str
    timezone: str | None
    deleted: bool = False


class SlackDirectoryError(UpwardError):
    """Slack refused a directory lookup for a reason other than 'no such user'."""


class SlackDirectory:
    """The roster's `Directory`, answered by the Slack Web API."""

    def __init__(self, client: WebClient):
        self.client = client

    def user_id_for_email(self, email: str) -> str | None:
        try:
            return self.client.users_lookupByEmail(email=email)["user"]["id"]
        except SlackApiError as exc:
            if exc.response.get("error") in NOT_FOUND:
                return None
            raise SlackDirectoryError(_explain(exc, "users.lookupByEmail")) from None

    def profile(self, user_id: str) -> SlackProfile | None:
        try:
            user = self.client.users_info(user=user_id)["user"]
        except SlackApiError as exc:
            if exc.response.get("error") in NOT_FOUND:
                return None
            raise SlackDirectoryError(_explain(exc, "users.info")) from None
        profile = user.get("profile") or {}
        name = (
            profile.get("display_name")
            or profile.get("real_name")
            or user.get("real_name")
            or user.get("name", "")
        )
        return SlackProfile(
            user_id=user["id"],
            display_name=name,
            timezone=user.get("tz"),
            deleted=bool(user.get("deleted")),
        )


def _explain(exc: SlackApiError, method: str) -> str:
    error = exc.response.get("error")
    if error == "missing_scope":
        return (
            f"Slack refused {method}: the app lacks a scope (users:read, users:read.email);"
            " reinstall it from slack-manifest.yaml"
        )
    return f"Slack refused {method}: {error}"
