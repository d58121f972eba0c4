"""Slack's text as HTML: mrkdwn and plain_text objects, and the context that names ids and dates.

`render_text` draws a text object, `render_mrkdwn` a mrkdwn string: *bold*, _italic_, ~strike~,
`code`, ```blocks```, > quotes, <links|labels>, <@user>/<#channel> mentions, <!date^…> in the
reader's zone, :emoji: shortcodes. `RenderContext` turns user and channel ids into names, image
URLs into sources and instants into the reader's clock; the element, block and message renderers
(`bot.sandbox.blockkit_elements`, `bot.sandbox.blockkit_html`) draw their text through here.

Everything shown is escaped (it is user text); links keep only http(s) and mailto targets. Stdlib
only.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "EMOJI",
    "SAFE_LINK",
    "RenderContext",
    "emojify",
    "esc",
    "render_control",
    "render_mrkdwn",
    "render_text",
]

EMOJI = {
    "white_check_mark": "✅",
    "heavy_check_mark": "✔️",
    "tada": "🎉",
    "x": "❌",
    "warning": "⚠️",
    "dart": "🎯",
    "stopwatch": "⏱️",
    "thought_balloon": "💭",
    "speech_balloon": "💬",
    "bell": "🔔",
    "no_bell": "🔕",
    "double_vertical_bar": "⏸️",
    "alarm_clock": "⏰",
    "calendar": "📆",
    "date": "📅",
    "fire": "🔥",
    "lock": "🔒",
    "eyes": "👀",
    "+1": "👍",
    "thumbsup": "👍",
    "wave": "👋",
    "sparkles": "✨",
    "star": "⭐",
    "bulb": "💡",
    "rocket": "🚀",
    "clap": "👏",
    "raised_hands": "🙌",
    "memo": "📝",
    "books": "📚",
    "chart_with_upwards_trend": "📈",
    "chart_with_downwards_trend": "📉",
    "bar_chart": "📊",
    "hourglass": "⌛",
    "heart": "❤️",
    "smile": "😄",
    "slightly_smiling_face": "🙂",
    "point_right": "👉",
    "information_source": "ℹ️",
    "pencil": "✏️",
    "seedling": "🌱",
    "handshake": "🤝",
    "busts_in_silhouette": "👥",
    "link": "🔗",
    "mag": "🔍",
    "pushpin": "📌",
    "trophy": "🏆",
    "zap": "⚡",
    "coffee": "☕",
    "pray": "🙏",
    "hourglass_flowing_sand": "⏳",
    "arrow_right": "➡️",
    "new": "🆕",
    "muscle": "💪",
}
SAFE_LINK = re.compile(r"^(https?://|mailto:)", re.I)
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
_EMOJI = re.compile(r":([a-z0-9_+\-]+):")
_CONTROL = re.compile(r"<([^<>\n]+)>")
_HOLDER = re.compile("\x00(\\d+)\x00")


def _data_only(url: str) -> str | None:
    return url if url.startswith("data:image/") else None


@dataclass(frozen=True)
class RenderContext:
    """What turns ids into names and URLs into images, and whose clock dates are shown on."""

    users: Mapping[str, str] = field(default_factory=dict)  # user id -> name shown
    channels: Mapping[str, str] = field(default_factory=dict)  # channel id -> name (without #)
    tz: str | None = None  # the reader's IANA zone; None: UTC
    image_src: Callable[[str], str | None] = _data_only  # an image URL -> a src to use, or None
    bot_user_id: str | None = None

    def user(self, user_id: str) -> str:
        return self.users.get(user_id, user_id)

    def local(self, instant: dt.datetime) -> dt.datetime:
        return instant.astimezone(ZoneInfo(self.tz) if self.tz else dt.UTC)


def esc(text: Any) -> str:
    """HTML-escape anything (quotes too, so it is safe in attributes)."""
    return html.escape(str(text), quote=True)


def _unescape_slack(text: str) -> str:
    # Slack asks apps to send &, < and > as entities in mrkdwn; show them as the characters.
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def emojify(escaped: str) -> str:
    """`:tada:` -> 🎉 for known shortcodes (unknown ones stay as typed)."""
    return _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), escaped)


def render_text(obj: Mapping[str, Any] | str | None, ctx: RenderContext) -> str:
    """A text object (mrkdwn or plain_text) as HTML."""
    if obj is None:
        return ""
    if isinstance(obj, str):
        return render_mrkdwn(obj, ctx)
    text = str(obj.get("text") or "")
    if obj.get("type") == "plain_text":
        shown = esc(text)
        return (emojify(shown) if obj.get("emoji", True) else shown).replace("\n", "<br>")
    return render_mrkdwn(text, ctx)


def render_mrkdwn(text: str, ctx: RenderContext) -> str:
    """Slack mrkdwn as HTML, every piece of text escaped."""
    out = []
    for i, part in enumerate(re.split(r"```(.*?)```", text, flags=re.S)):
        if i % 2:
            out.append(f'<pre class="bk-pre">{esc(_unescape_slack(part.strip(chr(10))))}</pre>')
        elif part:
            out.append(_lines(part, ctx))
    return "".join(out)


def _lines(text: str, ctx: RenderContext) -> str:
    out: list[str] = []
    quote: list[str] = []
    pending_break = False
    for line in text.split("\n"):
        if line.startswith(("&gt;", ">")):
            quote.append(
                _inline(line.removeprefix("&gt;").removeprefix(">").removeprefix(" "), ctx)
            )
            continue
        if quote:
            out.append(f'<blockquote class="bk-quote">{"<br>".join(quote)}</blockquote>')
            quote, pending_break = [], False
        if pending_break:
            out.append("<br>")
        out.append(_inline(line, ctx))
        pending_break = True
    if quote:
        out.append(f'<blockquote class="bk-quote">{"<br>".join(quote)}</blockquote>')
    return "".join(out)


def _inline(line: str, ctx: RenderContext) -> str:
    out = []
    for i, part in enumerate(re.split(r"`([^`\n]+)`", line)):
        out.append(
            f'<code class="bk-code">{esc(_unescape_slack(part))}</code>'
            if i % 2
            else _formatted(part, ctx)
        )
    return "".join(out)


def _formatted(text: str, ctx: RenderContext) -> str:
    holders: list[str] = []

    def hold(match: re.Match[str]) -> str:
        holders.append(render_control(match.group(1), ctx))
        return f"\x00{len(holders) - 1}\x00"

    shown = esc(_unescape_slack(_CONTROL.sub(hold, text)))
    shown = _BOLD.sub(r"<b>\1</b>", shown)
    shown = _ITALIC.sub(r"<i>\1</i>", shown)
    shown = _STRIKE.sub(r"<s>\1</s>", shown)
    return _HOLDER.sub(lambda m: holders[int(m.group(1))], emojify(shown))


def render_control(inner: str, ctx: RenderContext) -> str:
    """One `<...>` sequence: a mention, a channel, a date, a broadcast or a link."""
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return f'<span class="bk-mention">@{esc(label or ctx.user(target[1:]))}</span>'
    if target.startswith("#"):
        name = label or ctx.channels.get(target[1:], target[1:])
        return f'<span class="bk-mention">#{esc(name)}</span>'
    if target.startswith("!date^"):
        return f'<span class="bk-date">{esc(_date_token(target, label, ctx))}</span>'
    if target.startswith("!subteam^"):
        return f'<span class="bk-mention">{esc(label or "@group")}</span>'
    if target.startswith("!"):
        return f'<span class="bk-mention bk-broadcast">@{esc(target[1:])}</span>'
    if SAFE_LINK.match(target):
        return (
            f'<a class="bk-link" href="{esc(target)}" target="_blank" rel="noopener'
            f' noreferrer">{esc(label or target)}</a>'
        )
    return esc(f"<{inner}>")


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _date_token(target: str, fallback: str, ctx: RenderContext) -> str:
    """`<!date^1700000000^{date_long} at {time}|fallback>` on the reader's clock."""
    parts = target.split("^")
    try:
        local = ctx.local(dt.datetime.fromtimestamp(int(parts[1]), dt.UTC))
        pattern = parts[2]
    except (IndexError, ValueError, OverflowError):
        return fallback
    day = f"{local:%B} {_ordinal(local.day)}"
    values = {
        "date_num": f"{local:%Y-%m-%d}",
        "date": f"{day}, {local.year}",
        "date_short": f"{local:%b} {local.day}, {local.year}",
        "date_long": f"{local:%A}, {day}, {local.year}",
        "date_pretty": f"{day}, {local.year}",
        "date_short_pretty": f"{local:%b} {local.day}, {local.year}",
        "date_long_pretty": f"{local:%A}, {day}",
        "time": f"{local:%H:%M}",
        "time_secs": f"{local:%H:%M:%S}",
        "day_divider_pretty": f"{local:%A}, {day}",
    }
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), pattern)
