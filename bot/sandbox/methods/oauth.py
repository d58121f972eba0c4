"""oauth.v2.access: the app exchanges the code from its redirect URL for the workspace's bot
token."""

from __future__ import annotations

from typing import Any

from bot.sandbox.errors import SlackError
from bot.sandbox.methods.base import Call, method

# Slack's authorization codes expire after 10 minutes.
CODE_LIFETIME = 600.0


@method("oauth.v2.access")
def oauth_v2_access(call: Call) -> dict[str, Any]:
    """Check the app's credentials, the code and the redirect URI; issue a bot token for the
    team."""
    ws = call.ws
    if call.get("client_id") != ws.client_id:
        raise SlackError("invalid_client_id")
    if call.get("client_secret") != ws.client_secret:
        raise SlackError("bad_client_secret")
    if call.get("grant_type") not in (None, "authorization_code"):
        raise SlackError("invalid_grant_type")  # token rotation is off for Upward's app
    grant = ws.state.oauth_codes.get(call.get("code") or "")
    if grant is None or grant.used or ws.now() - grant.issued_at > CODE_LIFETIME:
        raise SlackError("invalid_code")
    # The redirect_uri must be the one given to the authorize page (absent there: absent here too).
    if call.get("redirect_uri") != grant.redirect_uri:
        raise SlackError("bad_redirect_uri")
    grant.used = True
    token = f"xoxb-{ws.team_id}-{ws.ids.token(24)}"
    ws.state.issued_tokens[token] = list(grant.scopes)
    return {
        "access_token": token,
        "token_type": "bot",
        "scope": ",".join(grant.scopes),
        "bot_user_id": ws.bot_user_id,
        "app_id": ws.app_id,
        "team": {"id": ws.team_id, "name": ws.seed.team_name},
        "enterprise": None,
        "authed_user": {"id": grant.user_id},
        "is_enterprise_install": False,
    }
