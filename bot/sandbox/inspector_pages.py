"""The inspector's pages: the index, a person (DM, ephemerals, App Home, open modal), a channel.

Times are the reader's; controls are working forms (``bot.sandbox.inspector_blocks``) whose
POSTs ``bot.sandbox.inspector`` turns into signed requests to the app. Each page sits in the frame
of ``bot.sandbox.inspector_layout`` (the sidebar, the styles). Images are data: URIs, so nothing is
loaded from a network, and everything shown is escaped.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bot.sandbox.blockkit_html import avatar_colour, initials
from bot.sandbox.blockkit_text import RenderContext, esc, render_mrkdwn
from bot.sandbox.inspector_blocks import (
    PREFIX,
    Where,
    blocks_html,
    hidden_fields,
    message_html,
    modal_html,
    post_form,
)
from bot.sandbox.inspector_layout import (
    channel_names,
    demo_roles,
    layout,
    local_now,
    notice_html,
    page_context,
    team_channels,
    team_people,
)
from bot.sandbox.styles import PAGE_CSS
from bot.sandbox.workspace import Workspace

if TYPE_CHECKING:
    from bot.sandbox.standin import StandIn


# -- one person ---------------------------------------------------------------------------------
def person_page(stand_in: StandIn, user_id: str, notice: tuple[str, bool]) -> str:
    """A person's DM with the app, their ephemeral messages, App Home tab and open modal."""
    ws = stand_in.workspace_for_user(user_id)
    with ws.lock:
        user = ws.state.users.get(user_id)
        if user is None or user.is_bot:
            raise LookupError(f"There is no person {user_id} in the stand-in.")
        dm = ws.state.dms.get(frozenset([ws.bot_user_id, user_id]))
    name, ctx = user.real_name or user.name, page_context(ws, user.tz)
    back = f"{PREFIX}/person/{quote(user_id)}"
    items = _dm_items(ws, dm, ctx, Where(user_id, back))
    timeline = _timeline(items, ctx) or '<p class="empty">Upward has sent nothing yet.</p>'
    home_html = _home_pane(ws, ctx, Where(user_id, back))
    views = ws.open_views(user_id)
    # An open modal covers the page, so what happened is said inside it.
    modal = ""
    if views:
        modal = modal_html(
            views[-1],
            ws.view_errors(views[-1]["id"]),
            ctx,
            Where(user_id, back),
            notice_html(notice),
        )
    who = " · ".join(
        esc(x)
        for x in (user.title, demo_roles().get(user_id), f"{user.tz}, now {local_now(ws, ctx)}")
        if x
    )
    gone = ' <span class="tag">deactivated</span>' if user.deleted else ""
    open_home = '<button type="submit" class="bk-button bk-button-primary">Open App Home</button>'
    body = (
        '<section class="person"><header><div class="bk-avatar big"'
        f' style="background:{avatar_colour(user_id)}">{initials(name)}</div>'
        f"<div><h1>{esc(name)}{gone}</h1><div"
        f' class="who">{who}</div></div></header><div'
        f' class="toolbar">{post_form("home", Where(user_id, back), open_home, anchor="home")}<a'
        f' class="bk-button" href="{esc(back)}">Refresh</a><a class="bk-button"'
        f' href="{PREFIX}">Everyone</a></div>{"" if modal else notice_html(notice)}'
        "<h3>Direct messages with Upward</h3><div"
        f' class="pane">{timeline}</div>{_command_form(ws, user_id, back, dm)}<h3 id="home">App'
        f' Home tab</h3><div class="pane home">{home_html}</div></section>{modal}'
    )
    return layout(ws, f"{name} · Upward sandbox", body, here=user_id)


def _dm_items(
    ws: Workspace, dm: str | None, ctx: RenderContext, where: Where
) -> list[tuple[str, str]]:
    """(ts, HTML) of the person's DM messages (with threads) and of their ephemeral messages."""
    user_id, back, names = where.user, where.back, channel_names(ws)
    items: list[tuple[str, str]] = []
    for message in ws.channel_messages(dm) if dm else []:
        items.append(
            (
                message["ts"],
                _with_thread(ws, dm, message, ctx, Where(user_id, back, dm, message["ts"])),
            )
        )
    for record in ws.ephemerals(user_id):
        here = Where(user_id, back, record["channel"], record["ts"], ephemeral=True)
        elsewhere = names.get(record["channel"], record["channel"])
        place = "" if record["channel"] == dm else f'<div class="where">in #{esc(elsewhere)}</div>'
        items.append((record["ts"], message_html(record, ctx, here, note=place, ephemeral=True)))
    return items


def _home_pane(ws: Workspace, ctx: RenderContext, where: Where) -> str:
    """The person's App Home tab as last published, or how to open it."""
    home = ws.home_tab(where.user)
    if not home:
        return (
            '<p class="empty">Never opened. <b>Open App Home</b> above sends Upward the'
            " app_home_opened event.</p>"
        )
    drawn = blocks_html(home.get("blocks"), ctx, Where(where.user, where.back, view=home["id"]))
    return f'<div class="bk-view bk-home">{drawn}</div>'


def _with_thread(
    ws: Workspace, channel: str, message: dict[str, Any], ctx: RenderContext, where: Where
) -> str:
    replies = ws.thread_replies(channel, message["ts"]) if message.get("reply_count") else []
    drawn = [message_html(r, ctx, Where(where.user, where.back, channel, r["ts"])) for r in replies]
    return message_html(message, ctx, where, replies=drawn)


def _timeline(items: list[tuple[str, str]], ctx: RenderContext) -> str:
    """Items in ts order with a divider at each new day of the reader; #latest is the newest."""
    out, day = [], None
    ordered = sorted(items, key=lambda item: float(item[0]))
    for i, (ts, drawn) in enumerate(ordered):
        local = ctx.local(dt.datetime.fromtimestamp(float(ts), dt.UTC))
        if local.date() != day:
            day = local.date()
            out.append(f'<div class="day"><span>{local:%A %-d %B}</span></div>')
        out.append(('<span id="latest"></span>' if i == len(ordered) - 1 else "") + drawn)
    return "".join(out)


def _command_form(
    ws: Workspace, user_id: str, back: str, dm: str | None, *, channel: str | None = None
) -> str:
    """Run /circle … as the person: in the given channel, or (their pick) in their DM or a channel
    they are in."""
    if channel is not None:
        place = hidden_fields({"channel": channel})
    else:
        theirs = [c for c in team_channels(ws) if user_id in c.members and not c.is_archived]
        choices = "".join(f'<option value="{esc(c.id)}">in #{esc(c.name)}</option>' for c in theirs)
        place = (
            f'<select class="ix-select" name="channel"><option value="{esc(dm or "")}">in the DM'
            f" with Upward</option>{choices}</select>"
        )
    fields = hidden_fields(
        {"user": user_id, "back": back, "command": "/circle", "anchor": "latest"}
    )
    return (
        '<form class="command" method="post"'
        f' action="{PREFIX}/command">{fields}<code>/circle</code><input type="text" name="text"'
        f' placeholder="list, note …, help" aria-label="/circle text">{place}<button type="submit"'
        ' class="bk-button">Run as this person</button></form>'
    )


# -- a channel -----------------------------------------------------------------------------------
def channel_page(stand_in: StandIn, channel_id: str, viewer: str, notice: tuple[str, bool]) -> str:
    """A channel (a circle, the digest channel) as one of its members sees it, with working
    controls."""
    ws = stand_in.workspace_holding("channels", channel_id)
    with ws.lock:
        channel = ws.state.channels.get(channel_id)
        if channel is None or channel.is_im:
            raise LookupError(f"There is no channel {channel_id} in the stand-in.")
        members = [
            m for m in channel.members if m in ws.state.users and not ws.state.users[m].is_bot
        ]
        viewer = viewer if viewer in members else (members[0] if members else "")
        tz = ws.state.users[viewer].tz if viewer else "UTC"
        name, private, archived = (
            channel.name,
            channel.is_private or channel.is_mpim,
            channel.is_archived,
        )
        topic = str(channel.topic.get("value") or "")
    ctx = page_context(ws, tz)
    back = f"{PREFIX}/channel/{quote(channel_id)}?{'as=' + quote(viewer) if viewer else ''}"
    items = _channel_items(ws, channel_id, ctx, Where(viewer, back, channel_id))
    viewing = _viewer_form(channel_id, members, viewer, tz, ctx) if members else ""
    command = (
        _command_form(ws, viewer, back, None, channel=channel_id) if viewer and not archived else ""
    )
    badge = ' <span class="tag">archived</span>' if archived else ""
    timeline = _timeline(items, ctx) or '<p class="empty">No messages yet.</p>'
    body = (
        f"<section><h1>{'🔒' if private else '#'} {esc(name)}{badge}</h1><div"
        f' class="who">{esc(topic)}</div><div class="habits">Members:'
        f" {', '.join(esc(ctx.user(m)) for m in members) or 'nobody yet'}</div>"
        f"{viewing}{notice_html(notice)}<div"
        f' class="pane">{timeline}</div>{command}</section>'
    )
    return layout(ws, f"#{name} · Upward sandbox", body, here=channel_id)


def _channel_items(
    ws: Workspace, channel_id: str, ctx: RenderContext, where: Where
) -> list[tuple[str, str]]:
    """(ts, HTML) of each top-level message, joins and topic changes as one grey line each."""
    items = []
    for message in ws.channel_messages(channel_id, system=True):
        if message.get("subtype"):
            items.append((message["ts"], _system_line(message, ctx)))
        else:
            here = Where(where.user, where.back, channel_id, message["ts"])
            items.append((message["ts"], _with_thread(ws, channel_id, message, ctx, here)))
    return items


def _system_line(message: dict[str, Any], ctx: RenderContext) -> str:
    """A message Slack posts itself ("<@U…> has joined"), as one line with its author and time."""
    local = ctx.local(dt.datetime.fromtimestamp(float(message["ts"]), dt.UTC))
    text = str(message.get("text") or "")
    text = text.split(">", 1)[-1].strip() if text.startswith("<@") else text  # "<@U…> has joined"
    return (
        f'<div class="system">{esc(ctx.user(message.get("user", "")))} '
        f"{render_mrkdwn(text, ctx)} <time>{local:%H:%M}</time></div>"
    )


def _viewer_form(
    channel_id: str, members: list[str], viewer: str, tz: str, ctx: RenderContext
) -> str:
    """Switch the member the channel is seen as (their zone sets the times)."""
    options = "".join(
        f'<option value="{esc(m)}"{" selected" if m == viewer else ""}>{esc(ctx.user(m))}</option>'
        for m in members
    )
    return (
        '<form class="command" method="get"'
        f' action="{PREFIX}/channel/{esc(quote(channel_id))}">Viewing as <select'
        f' class="ix-select" name="as">{options}</select><button type="submit"'
        ' class="bk-button">Switch</button><span class="where">times in'
        f" {esc(tz)}</span></form>"
    )


# -- the index -----------------------------------------------------------------------------------
def index_page(stand_in: StandIn) -> str:
    """Every simulated person (name, role, time zone) and channel, each linking to their view."""
    sections = "".join(_team_section(ws) for ws in stand_in.teams.values())
    body = (
        '<section><h1>Sandbox inspector</h1><p class="lede">Open anyone to see their DMs with'
        " Upward, their App Home tab and any form on their screen, and press the buttons as them."
        f' {_where_sent(stand_in)} Everything the stand-in holds, as JSON: <a class="bk-link"'
        f' href="/sandbox/state">/sandbox/state</a>.</p>{sections}</section>'
    )
    return layout(stand_in.workspace, "Upward sandbox inspector", body, here="")


def _team_section(ws: Workspace) -> str:
    """One team: a table of its people, then one of its channels."""
    rows = "".join(_person_row(ws, user) for user in team_people(ws))
    channels = "".join(_channel_row(ws, c) for c in team_channels(ws))
    return (
        f'<h2>{esc(ws.seed.team_name)} <span class="where">{esc(ws.team_id)}</span></h2><table'
        ' class="people"><tr><th>Person</th><th>Role</th><th>Title</th><th>Time'
        f" zone</th><th>Sees</th></tr>{rows}</table><h3>Channels</h3><table"
        f' class="people">{channels}</table>'
    )


def _person_row(ws: Workspace, user: Any) -> str:
    """A person: name, role, title, zone and local time, and what they see of Upward so far."""
    local = dt.datetime.fromtimestamp(ws.now(), ZoneInfo(user.tz))
    dm = ws.dm_messages(user.id)
    sees = [f"{len(dm)} DM message{'s' * (len(dm) != 1)}" if dm else "no DMs yet"]
    sees += ["home tab"] if ws.home_tab(user.id) else []
    sees += ["a modal open"] if ws.open_views(user.id) else []
    gone = " <span class=tag>deactivated</span>" if user.deleted else ""
    return (
        "<tr><td><a"
        f' href="{PREFIX}/person/{esc(quote(user.id))}">'
        f"{esc(user.real_name or user.name)}</a>{gone}</td>"
        f"<td>{esc(demo_roles().get(user.id, '—'))}</td><td>{esc(user.title)}</td>"
        f"<td>{esc(user.tz)}"
        f' <span class="where">{local:%a %H:%M}</span></td><td'
        f' class="where">{esc(", ".join(sees))}</td></tr>'
    )


def _channel_row(ws: Workspace, c: Any) -> str:
    """A channel: its kind (a circle is a private channel the bot made), members and messages."""
    kind = (
        ("circle (private)" if c.creator == ws.bot_user_id else "private")
        if c.is_private
        else "public"
    )
    said = sum(1 for m in list(c.messages) if not m.get("subtype"))
    archived = " <span class=tag>archived</span>" if c.is_archived else ""
    return (
        "<tr><td><a"
        f' href="{PREFIX}/channel/{esc(quote(c.id))}">{"🔒" if c.is_private else "#"}'
        f" {esc(c.name)}</a>{archived}</td><td>{esc(kind)}</td><td>{len(c.members)}"
        f' members</td><td class="where">{said} messages</td></tr>'
    )


def _where_sent(stand_in: StandIn) -> str:
    """Where the buttons pressed on the pages go: Socket Mode, the app's Request URL, or nowhere."""
    if stand_in.transport == "socket":
        return (
            "Buttons pressed here are sent to Upward as Socket Mode envelopes, over the connection"
            " it holds to the stand-in."
        )
    if stand_in.request_url:
        return (
            "Buttons pressed here are sent, signed as Slack signs them, to"
            f" <code>{esc(stand_in.request_url)}</code>."
        )
    return (
        "<b>The stand-in does not know where Upward listens</b>, so pages show what people see"
        " but buttons send nothing. <code>upward serve --sandbox</code> sets it."
    )


def message_page(title: str, text: str) -> str:
    """A page with one message (not found, not allowed)."""
    return (
        '<!doctype html><html lang="en"><head><meta'
        f' charset="utf-8"><title>{esc(title)}</title><style>{PAGE_CSS}</style></head><body><main'
        f' style="margin:0 auto"><h1>{esc(title)}</h1><p class="lede">{esc(text)}</p><p><a'
        f' href="{PREFIX}">The inspector\'s index</a></p></main></body></html>'
    )
