"""auth.test, team.info and users.* methods."""

from __future__ import annotations

from typing import Any

from bot.sandbox.errors import SlackError
from bot.sandbox.methods.base import Call, method, paginate


@method("auth.test")
def auth_test(call: Call) -> dict[str, Any]:
    """Who the token belongs to."""
    ws = call.ws
    return {
        "url": f"https://{ws.domain}.slack.com/",
        "team": ws.seed.team_name,
        "user": ws.seed.bot.name,
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }


@method("team.info")
def team_info(call: Call) -> dict[str, Any]:
    """The workspace's name and domain."""
    ws = call.ws
    return {
        "team": {
            "id": ws.team_id,
            "name": ws.seed.team_name,
            "domain": ws.domain,
            "email_domain": "",
            "icon": {"image_default": True},
        }
    }


@method("users.info")
def users_info(call: Call) -> dict[str, Any]:
    """A person's profile; deactivated people are still returned, with ``deleted: true``."""
    ws = call.ws
    user = ws.user(call.require("user", "user_not_found"))
    return {"user": user.to_api(ws.team_id, ws.now())}


@method("users.list")
def users_list(call: Call) -> dict[str, Any]:
    """Everyone in the workspace (bots and deactivated people included), paginated."""
    ws = call.ws
    users = list(ws.state.users.values())
    # Without a limit Slack returns everyone at once (for a workspace this small).
    page, meta = paginate(call, users, key=lambda u: u.id, default_limit=0)
    now = ws.now()
    return {
        "members": [u.to_api(ws.team_id, now) for u in page],
        "cache_ts": int(now),
        "response_metadata": meta,
    }


@method("users.lookupByEmail")
def lookup_by_email(call: Call) -> dict[str, Any]:
    """A person by email address (case-insensitive)."""
    ws = call.ws
    email = call.require("email").lower()
    for user in ws.state.users.values():
        if user.email.lower() == email:
            return {"user": user.to_api(ws.team_id, ws.now())}
    raise SlackError("users_not_found")
