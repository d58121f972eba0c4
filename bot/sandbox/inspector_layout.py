"""The frame every inspector page shares: a Slack-like sidebar of people and channels, the styles.

`layout` wraps a page's body in the sidebar (people by their role in the demo roster, then the
channels) and the Block Kit, page and inspector styles. The helpers read a workspace the way the
pages need it: `team_people` (lead first), `team_channels`, `page_context` (how the renderer names
people and channels in a reader's zone, images as data: URIs from the stand-in's files, so nothing
is loaded from a network). They hold the workspace's lock while they read; everything shown is
escaped.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import functools
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bot.sandbox.blockkit_html import CSS, avatar_colour
from bot.sandbox.blockkit_text import RenderContext, esc
from bot.sandbox.inspector_blocks import PREFIX
from bot.sandbox.styles import PAGE_CSS
from bot.sandbox.workspace import Workspace

DEMO_ROSTER = Path(__file__).with_name("demo_roster.csv")
ROLE_ORDER = ("lead", "mentor", "executive")
ROLE_HEADINGS = {
    "lead": "Program lead",
    "mentor": "Mentors",
    "executive": "Executives",
    "": "People",
}

INSPECTOR_CSS = """
.ix{display:inline-flex;align-items:center;gap:6px;margin:0}
.ix-picker input{border:0;font:inherit;font-size:13px;color:#1d1c1d;background:transparent;
  padding:0}
.ix-select{height:28px;border:1px solid rgba(29,28,29,.3);border-radius:4px;font:inherit;
  font-size:13px;padding:0 6px;
  background:#fff}
.ix-off{opacity:.7;cursor:not-allowed}
.toolbar{display:flex;gap:8px;align-items:center;margin:10px 0 4px;flex-wrap:wrap}
.notice{background:#eaf5ee;border:1px solid #2eb67d;border-radius:6px;padding:8px 12px;
  margin:10px 0;font-size:14px;
  position:sticky;top:8px;z-index:5;box-shadow:0 2px 8px rgba(0,0,0,.08)}
.notice.bad{background:#fdecef;border-color:#e01e5a}
.command{display:flex;gap:8px;align-items:center;margin:12px 0;font-size:14px;flex-wrap:wrap}
.command input[type=text]{flex:1;min-width:220px;height:30px;border:1px solid rgba(29,28,29,.3);
  border-radius:4px;
  padding:0 8px;font:inherit}
.command code{font-weight:700}
.overlay{position:fixed;inset:0;background:rgba(29,28,29,.45);display:flex;justify-content:center;
  align-items:flex-start;
  padding:56px 16px;z-index:10;overflow:auto}
.overlay .bk-modal{width:520px}
.bk-error{color:#e01e5a;font-size:13px;margin-top:4px}
table.people{border-collapse:collapse;width:100%;font-size:14px;margin:8px 0 18px}
table.people th{text-align:left;color:#616061;font-weight:700;padding:6px 10px 6px 0;
  border-bottom:1px solid #ddd}
table.people td{padding:7px 10px 7px 0;border-bottom:1px solid #eee;vertical-align:middle}
table.people a{color:#1264a3;text-decoration:none;font-weight:700}
.tag{font-size:11px;background:#f0eef0;border-radius:3px;padding:1px 6px;color:#616061;
  margin-left:4px}
.sidebar a.here{background:#1164a3;color:#fff}
"""


@functools.cache
def demo_roles() -> dict[str, str]:
    """Each demo person's role (lead, mentor, executive), from the demo roster the sandbox
    enrolls."""
    with DEMO_ROSTER.open(encoding="utf-8") as f:
        return {row["slack_user_id"]: row["role"] for row in csv.DictReader(f)}


def team_people(ws: Workspace) -> list[Any]:
    """The team's people (not the bot), lead first, then mentors, executives and anyone else, by
    name."""
    with ws.lock:
        people = [u for u in ws.state.users.values() if not u.is_bot]
    rank = {role: i for i, role in enumerate(ROLE_ORDER)}
    return sorted(
        people,
        key=lambda u: (rank.get(demo_roles().get(u.id, ""), len(rank)), u.real_name or u.name),
    )


def team_channels(ws: Workspace) -> list[Any]:
    with ws.lock:
        return [c for c in ws.state.channels.values() if not c.is_im]


def channel_names(ws: Workspace) -> dict[str, str]:
    return {c.id: c.name for c in team_channels(ws)}


def page_context(ws: Workspace, tz: str | None) -> RenderContext:
    """How the renderer names people and channels, where images come from (data: URIs), in zone
    ``tz``."""
    with ws.lock:
        users = {uid: u.real_name or u.name for uid, u in ws.state.users.items()}
        images = {
            f.to_api(ws.public_url)[
                "url_private"
            ]: f"data:{f.mimetype};base64,{base64.b64encode(f.data).decode()}"
            for f in ws.state.files.values()
            if f.data is not None and f.mimetype.startswith("image/")
        }
    return RenderContext(
        users=users,
        channels=channel_names(ws),
        tz=tz,
        image_src=images.get,
        bot_user_id=ws.bot_user_id,
    )


def local_now(ws: Workspace, ctx: RenderContext) -> str:
    return f"{ctx.local(dt.datetime.fromtimestamp(ws.now(), dt.UTC)):%a %H:%M}"


def notice_html(notice: tuple[str, bool]) -> str:
    text, bad = notice
    return (
        f'<div class="notice{" bad" if bad else ""}" role="status">{esc(text)}</div>'
        if text
        else ""
    )


def layout(ws: Workspace, title: str, body: str, *, here: str) -> str:
    """The page: a Slack-like sidebar of people (by role) and channels, then the body."""

    def link(href: str, key: str, label: str) -> str:
        return f'<a href="{href}"{" class=here" if key == here else ""}>{label}</a>'

    groups: dict[str, list[str]] = {}
    for user in team_people(ws):
        city = user.tz.rsplit("/", 1)[-1].replace("_", " ")
        dot = f'<span class="dot" style="background:{avatar_colour(user.id)}"></span>'
        label = f"{dot}{esc(user.real_name or user.name)}<small>{esc(city)}</small>"
        href = f"{PREFIX}/person/{esc(quote(user.id))}"
        groups.setdefault(demo_roles().get(user.id, ""), []).append(link(href, user.id, label))
    people = "".join(
        f"<h3>{esc(ROLE_HEADINGS.get(role, role))}</h3>{''.join(links)}"
        for role, links in groups.items()
    )
    channels = "".join(
        link(
            f"{PREFIX}/channel/{esc(quote(c.id))}",
            c.id,
            f"{'🔒' if c.is_private else '#'} {esc(c.name)}",
        )
        for c in team_channels(ws)
    )
    nav = (
        f'<nav class="sidebar"><div class="team">{esc(ws.seed.team_name)}</div>'
        f'<div class="program">Upward sandbox inspector</div>{link(PREFIX, "", "Everyone")}{people}'
        f"<h3>Channels</h3>{channels}</nav>"
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}{PAGE_CSS}{INSPECTOR_CSS}</style></head><body>"
        f"{nav}<main>{body}</main></body></html>\n"
    )
