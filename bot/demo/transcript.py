"""The demo's transcript: one HTML page of what each person saw in Slack, message by message.

A section per person (their DM with Upward in order, times in their own zone, threads, messages
only they could see, what they clicked or typed, their App Home tab), a section per channel, and an
overview with the lead's last weekly digest and its chart. Images are embedded as data: URIs and
nothing is fetched, so the page opens in any browser with no network.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.demo.cast import Activity
from bot.sandbox import Workspace
from bot.sandbox.blockkit_html import CSS, avatar_colour, initials, render_message, render_view
from bot.sandbox.blockkit_text import RenderContext, esc, render_mrkdwn
from bot.sandbox.styles import PAGE_CSS

DIGEST_PREFIX = "Weekly digest"


@dataclass(frozen=True)
class Person:
    """Someone in the workspace, as the transcript introduces them."""

    user_id: str
    name: str
    title: str
    tz: str
    role: str  # lead, mentor, executive
    habits: str


@dataclass
class Transcript:
    """Everything the page needs, read from the stand-in at the end of the run."""

    workspace: Workspace
    people: list[Person]
    program: str
    period: str
    summary: list[tuple[str, str]]
    journal: list[Activity] = field(default_factory=list)
    channel_tz: str = "Europe/London"


def write_html(transcript: Transcript) -> str:
    """The whole page."""
    ws = transcript.workspace
    with ws.lock:
        files = {f.id: f for f in ws.state.files.values()}
        names = {c.id: c.name for c in ws.state.channels.values() if not c.is_im}
        circles = [
            c.id for c in ws.state.channels.values() if not c.is_im and not c.is_mpim and c.messages
        ]
    images = {}
    for record in files.values():
        if record.data is not None and record.mimetype.startswith("image/"):
            images[record.to_api(ws.public_url)["url_private"]] = (
                f"data:{record.mimetype};base64," + base64.b64encode(record.data).decode()
            )
    users = {uid: ws.user_info(uid)["real_name"] for uid in _all_users(ws)}

    def ctx(tz: str) -> RenderContext:
        return RenderContext(
            users=users, channels=names, tz=tz, image_src=images.get, bot_user_id=ws.bot_user_id
        )

    sections = [_overview(transcript, ctx)]
    sections += [_person(transcript, p, ctx(p.tz)) for p in transcript.people]
    sections += [_channel(transcript, cid, ctx(transcript.channel_tz)) for cid in circles]
    nav = _nav(transcript, circles, names)
    title = f"Upward demo · {ws.seed.team_name} · {transcript.program}"
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}{PAGE_CSS}</style></head><body>"
        f"{nav}<main>{''.join(sections)}</main></body></html>\n"
    )


def _all_users(ws: Workspace) -> list[str]:
    with ws.lock:
        return list(ws.state.users)


def _nav(t: Transcript, circles: list[str], names: Mapping[str, str]) -> str:
    ws = t.workspace
    groups = []
    for role, heading in (
        ("lead", "Program lead"),
        ("mentor", "Mentors"),
        ("executive", "Executives"),
    ):
        links = "".join(
            f'<a href="#person-{esc(p.user_id)}"><span class="dot"'
            f' style="background:{avatar_colour(p.user_id)}"></span>'
            f"{esc(p.name)}<small>{esc(_city(p.tz))}</small></a>"
            for p in t.people
            if p.role == role
        )
        groups.append(f"<h3>{heading}</h3>{links}")
    channels = "".join(f'<a href="#channel-{esc(c)}"># {esc(names.get(c, c))}</a>' for c in circles)
    return (
        f'<nav class="sidebar"><div class="team">{esc(ws.seed.team_name)}</div>'
        f'<div class="program">{esc(t.program)}</div>'
        '<a href="#overview">Overview</a><a href="#digest">Final weekly digest</a>'
        f"{''.join(groups)}<h3>Channels</h3>{channels}</nav>"
    )


def _city(tz: str) -> str:
    return tz.rsplit("/", 1)[-1].replace("_", " ")


def _overview(t: Transcript, ctx: Any) -> str:
    ws = t.workspace
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in t.summary)
    lead = next((p for p in t.people if p.role == "lead"), None)
    digest = ""
    if lead is not None:
        messages = ws.dm_messages(lead.user_id)
        found = [
            i for i, m in enumerate(messages) if (m.get("text") or "").startswith(DIGEST_PREFIX)
        ]
        if found:
            shown = [messages[found[-1]]]
            shown += [m for m in messages[found[-1] + 1 : found[-1] + 3] if m.get("files")][:1]
            lead_ctx = ctx(lead.tz)
            digest = "".join(render_message(m, lead_ctx) for m in shown)
            digest = (
                f'<h2 id="digest">The last weekly digest, as {esc(lead.name)} saw it</h2>'
                f'<div class="pane">{digest}</div>'
            )
    return (
        f'<section id="overview"><h1>Upward demo: {esc(t.program)} at'
        f' {esc(ws.seed.team_name)}</h1><p class="lede">A {esc(t.period)} pilot run in fast-forward'
        " against a local stand-in for Slack. Every message below was posted by Upward's real"
        " code through the Slack Web API; every click, date pick, modal and <code>/circle</code>"
        " command was a signed request from a simulated person. Times are shown in each reader's"
        f' own time zone.</p><table class="summary">{rows}</table>{digest}</section>'
    )


def _person(t: Transcript, person: Person, ctx: RenderContext) -> str:
    ws = t.workspace
    dm = ws.dm_channel_id(person.user_id)
    items: list[tuple[float, int, str]] = []
    if dm is not None:
        for message in ws.channel_messages(dm):
            items.append((float(message["ts"]), 0, _with_thread(ws, dm, message, ctx)))
    for ephemeral in ws.ephemerals(person.user_id):
        where = ""
        if ephemeral["channel"] != dm:
            where = (
                '<div class="where">in'
                f" #{esc(ctx.channels.get(ephemeral['channel'], ephemeral['channel']))}</div>"
            )
        items.append(
            (
                float(ephemeral["ts"]),
                0,
                render_message(ephemeral, ctx, is_ephemeral=True, note=where),
            )
        )
    for activity in t.journal:
        if activity.user_id == person.user_id:
            items.append((activity.at.timestamp(), -1, _activity(activity, person, ctx)))
    items.sort(key=lambda item: (item[0], item[1]))
    timeline = "".join(_day_dividers(items, ctx)) or '<p class="empty">Upward sent nothing.</p>'
    home = ws.home_tab(person.user_id)
    home_html = render_view(home, ctx) if home else '<p class="empty">Never opened.</p>'
    avatar = (
        '<div class="bk-avatar big"'
        f' style="background:{avatar_colour(person.user_id)}">{initials(person.name)}</div>'
    )
    return (
        f'<section id="person-{esc(person.user_id)}"'
        f' class="person"><header>{avatar}<div><h2>{esc(person.name)}</h2><div'
        f' class="who">{esc(person.title)} · {esc(person.role)} · {esc(person.tz)}</div><div'
        f' class="habits">Simulated as {esc(person.habits)}</div></div></header><h3>Direct messages'
        f' with Upward</h3><div class="pane">{timeline}</div><h3>App Home tab</h3><div class="pane'
        f' home">{home_html}</div></section>'
    )


def _with_thread(ws: Workspace, channel: str, message: dict[str, Any], ctx: RenderContext) -> str:
    replies = ws.thread_replies(channel, message["ts"]) if message.get("reply_count") else []
    return render_message(message, ctx, replies=[render_message(r, ctx) for r in replies])


def _activity(activity: Activity, person: Person, ctx: RenderContext) -> str:
    when = ctx.local(activity.at)
    text = render_mrkdwn(activity.text, ctx)
    modal = (
        f'<div class="modal-shot">{render_view(activity.view, ctx)}</div>' if activity.view else ""
    )
    return (
        f'<div class="activity"><span class="arrow">↳</span> <b>{esc(person.name.split()[0])}</b>'
        f" {text} <time>{when:%a %-d %b, %H:%M}</time>{modal}</div>"
    )


def _day_dividers(items: Iterable[tuple[float, int, str]], ctx: RenderContext) -> Iterable[str]:
    day = None
    for ts, _, html in items:
        local = ctx.local(dt.datetime.fromtimestamp(ts, dt.UTC))
        if local.date() != day:
            day = local.date()
            yield f'<div class="day"><span>{local:%A %-d %B}</span></div>'
        yield html


def _channel(t: Transcript, channel_id: str, ctx: RenderContext) -> str:
    ws = t.workspace
    info = ws.channel_info(channel_id)
    members = ", ".join(esc(ctx.user(m)) for m in info["members"] if m != ws.bot_user_id)
    items = []
    for message in ws.channel_messages(channel_id, system=True):
        if message.get("subtype"):
            local = ctx.local(dt.datetime.fromtimestamp(float(message["ts"]), dt.UTC))
            items.append(
                (
                    float(message["ts"]),
                    0,
                    (
                        f'<div class="system">{esc(ctx.user(message.get("user", "")))}'
                        f" {render_mrkdwn(_system_text(message), ctx)}"
                        f" <time>{local:%H:%M}</time></div>"
                    ),
                )
            )
        else:
            items.append((float(message["ts"]), 0, _with_thread(ws, channel_id, message, ctx)))
    badge = ' <span class="archived">archived</span>' if info.get("is_archived") else ""
    lock = "🔒" if info.get("is_private") else "#"
    return (
        f'<section id="channel-{esc(channel_id)}" class="channel"><h2>{lock}'
        f" {esc(info.get('name', channel_id))}{badge}</h2><div"
        f' class="who">{render_mrkdwn((info.get("topic") or {}).get("value", ""), ctx)}</div><div'
        f' class="habits">Members: {members}. Times in {esc(t.channel_tz)}.</div><div'
        f' class="pane">{"".join(_day_dividers(items, ctx))}</div></section>'
    )


def _system_text(message: dict[str, Any]) -> str:
    text = str(message.get("text") or "")
    return text.split(">", 1)[-1].strip() if text.startswith("<@") else text
