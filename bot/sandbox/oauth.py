"""Installing the app in a stand-in team: Slack's authorize page, and a browser that goes through
it.

``GET /oauth/v2/authorize`` stands for the page where a person approves the install on slack.com:
the stand-in approves at once, for the team named by ``team`` (Slack's own parameter; default: the
first team) and by ``user`` (default: the team's first admin), and redirects to the app's redirect
URI with a ``code`` and the ``state``, as Slack does. ``deny=1`` simulates "Cancel". The app then
exchanges the code with oauth.v2.access (``methods/oauth.py``).

``install(stand_in, install_url, team_id=...)`` is the installing person's browser: it opens the
app's install link, follows it to the authorize page, and brings the code back to the app's
redirect URL with the app's state cookie (``approve_in_browser`` stops before that last hop).
"""

from __future__ import annotations

import html
import http.client
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from bot.sandbox.state import OAuthGrant

if TYPE_CHECKING:
    from bot.sandbox.standin import StandIn

AUTHORIZE_PATH = "/oauth/v2/authorize"


def approve(stand_in: StandIn, query: str) -> tuple[int, dict[str, str], str]:
    """Answer the authorize page: (status, headers, text); a 302 to the redirect URI when
    approved."""
    args = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    first = stand_in.workspace
    if args.get("client_id") != first.client_id:
        return 400, {}, "invalid_client_id: this link is not for an app Slack knows"
    ws = stand_in.teams.get(args.get("team") or first.team_id)
    if ws is None:
        return 400, {}, f"team_not_found: no team {args.get('team')} in the stand-in"
    redirect_uri = args.get("redirect_uri") or None
    configured = first.seed.redirect_urls
    target = redirect_uri or (configured[0] if configured else None)
    if target is None:
        return 400, {}, "bad_redirect_uri: give redirect_uri or configure the app's redirect URLs"
    if configured and target not in configured or not target.startswith(("http://", "https://")):
        return 400, {}, f"bad_redirect_uri: {target} is not one of the app's redirect URLs"
    state = args.get("state")
    if args.get("deny") in ("1", "true"):
        return 302, {"Location": _with_query(target, error="access_denied", state=state)}, ""
    with ws.mutation():
        user_id = args.get("user") or _installer(ws)
        if user_id not in ws.state.users:
            return 400, {}, f"user_not_found: {user_id} is not in team {ws.team_id}"
        code = f"{ws.team_id}.{ws.ids.token(32)}"
        scopes = [s for s in (args.get("scope") or "").split(",") if s]
        ws.state.oauth_codes[code] = OAuthGrant(
            user_id=user_id, scopes=scopes, redirect_uri=redirect_uri, issued_at=ws.now()
        )
    return 302, {"Location": _with_query(target, code=code, state=state)}, ""


def _installer(ws: object) -> str:
    users = [u for u in ws.state.users.values() if not u.is_bot and not u.deleted]  # type: ignore[attr-defined]
    admins = [u for u in users if u.is_admin]
    return (admins or users)[0].id


def _with_query(url: str, **params: str | None) -> str:
    parts = urlsplit(url)
    extra = urlencode({k: v for k, v in params.items() if v is not None})
    return urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))


@dataclass(frozen=True)
class InstallResult:
    """What the installing person's browser ended on: the app's answer to its redirect URL."""

    status: int
    body: str
    location: str | None  # where the app sent the browser next, if it redirected


class InstallError(Exception):
    """The install flow broke off before the app's redirect URL was reached."""


def install(
    stand_in: StandIn,
    install_url: str,
    *,
    team_id: str | None = None,
    user_id: str | None = None,
    deny: bool = False,
) -> InstallResult:
    """Open the app's install link as a person of `team_id` would, approve, and return the app's
    final answer."""
    redirect, cookie = approve_in_browser(
        stand_in, install_url, team_id=team_id, user_id=user_id, deny=deny
    )
    status, headers, body = get(redirect, cookie=cookie)
    return InstallResult(status=status, body=body, location=headers.get("location"))


def approve_in_browser(
    stand_in: StandIn,
    install_url: str,
    *,
    team_id: str | None = None,
    user_id: str | None = None,
    deny: bool = False,
) -> tuple[str, str | None]:
    """The first two hops of an install: (the app's redirect URL with code and state, the app's
    state cookie)."""
    status, headers, body = get(install_url)
    cookie = headers.get("set-cookie", "").split(";", 1)[0] or None
    if status in (301, 302, 303, 307):
        authorize = headers["location"]
    elif status == 200 and (found := re.search(r'href="([^"]*oauth/v2/authorize[^"]*)"', body)):
        authorize = html.unescape(found.group(1))  # the app's "Add to Slack" page
    else:
        raise InstallError(
            f"{install_url} answered {status} without a link to Slack's authorize page:"
            f" {body[:200]}"
        )
    if not authorize.startswith(stand_in.url + AUTHORIZE_PATH):
        raise InstallError(
            f"the install link goes to {authorize}, not to the stand-in's {AUTHORIZE_PATH}"
        )
    extra = {"team": team_id, "user": user_id, "deny": "1" if deny else None}
    status, headers, body = get(_with_query(authorize, **extra))
    if status != 302:
        raise InstallError(f"Slack's authorize page refused: {body}")
    return headers["location"], cookie


def get(url: str, *, cookie: str | None = None) -> tuple[int, dict[str, str], str]:
    """One GET without following redirects, like a browser's single hop; header names in lower
    case."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=10)
    try:
        conn.request(
            "GET",
            urlunsplit(("", "", parts.path or "/", parts.query, "")),
            headers={"Cookie": cookie} if cookie else {},
        )
        response = conn.getresponse()
        headers = {name.lower(): value for name, value in response.getheaders()}
        return response.status, headers, response.read().decode("utf-8", "replace")
    finally:
        conn.close()
