"""Block Kit as HTML that looks like Slack: blocks (the JSON Slack stores) in, an HTML string out.

`render_blocks(blocks, ctx)` draws sections, fields, headers, context, dividers, images, actions
(buttons, date pickers, selects, overflow menus, radio buttons, checkboxes) and modal inputs;
`render_view` a modal or an App Home tab; `render_message` one message with its author, time,
attachments and thread. `CSS` (from `bot.sandbox.styles`) styles them; put it in a `<style>` element
once per page.

Everything shown is escaped (it is user text); links keep only http(s) and mailto targets; images
come only from data: URIs or whatever `RenderContext.image_src` maps a URL to, so a page needs no
network. Slack's mrkdwn is supported: *bold*, _italic_, ~strike~, `code`, ```blocks```, > quotes,
<links|labels>, <@user>/<#channel> mentions, <!date^…> in the reader's zone, :emoji: shortcodes.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from bot.sandbox.styles import BLOCK_KIT_CSS as CSS

__all__ = [
    "CSS",
    "RenderContext",
    "avatar_colour",
    "emojify",
    "esc",
    "initials",
    "render_block",
    "render_blocks",
    "render_element",
    "render_message",
    "render_mrkdwn",
    "render_text",
    "render_view",
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
_SAFE_LINK = re.compile(r"^(https?://|mailto:)", re.I)
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


# -- text --------------------------------------------------------------------------------------
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
        holders.append(_control(match.group(1), ctx))
        return f"\x00{len(holders) - 1}\x00"

    shown = esc(_unescape_slack(_CONTROL.sub(hold, text)))
    shown = _BOLD.sub(r"<b>\1</b>", shown)
    shown = _ITALIC.sub(r"<i>\1</i>", shown)
    shown = _STRIKE.sub(r"<s>\1</s>", shown)
    return _HOLDER.sub(lambda m: holders[int(m.group(1))], emojify(shown))


def _control(inner: str, ctx: RenderContext) -> str:
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
    if _SAFE_LINK.match(target):
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


# -- elements ----------------------------------------------------------------------------------
def _option_text(option: Mapping[str, Any] | None, ctx: RenderContext) -> str:
    return render_text((option or {}).get("text"), ctx)


def render_element(element: Mapping[str, Any], ctx: RenderContext) -> str:
    """One interactive element (or an image) as it sits in a message."""
    kind = element.get("type")
    if kind == "button":
        style = element.get("style")
        cls = "bk-button" + (f" bk-button-{style}" if style in ("primary", "danger") else "")
        label = render_text(element.get("text"), ctx)
        url = str(element.get("url") or "")
        if url and _SAFE_LINK.match(url):
            return (
                f'<a class="{cls}" href="{esc(url)}" target="_blank" rel="noopener'
                f' noreferrer">{label}</a>'
            )
        return f'<button type="button" class="{cls}">{label}</button>'
    if kind == "image":
        return _image(element, "bk-image-thumb", ctx)
    if kind == "datepicker":
        shown = (
            esc(element["initial_date"])
            if element.get("initial_date")
            else render_text(element.get("placeholder"), ctx) or "Select a date"
        )
        return (
            f'<span class="bk-picker"><span class="bk-picker-icon">📅</span>{shown}<span'
            ' class="bk-caret">▾</span></span>'
        )
    if kind == "timepicker":
        shown = (
            esc(element["initial_time"])
            if element.get("initial_time")
            else render_text(element.get("placeholder"), ctx) or "Select a time"
        )
        return (
            f'<span class="bk-picker"><span class="bk-picker-icon">🕒</span>{shown}<span'
            ' class="bk-caret">▾</span></span>'
        )
    if kind == "overflow":
        items = "".join(f"<li>{_option_text(o, ctx)}</li>" for o in element.get("options") or [])
        return (
            '<span class="bk-overflow" title="More actions">⋯<ul'
            f' class="bk-menu">{items}</ul></span>'
        )
    if kind in ("radio_buttons", "checkboxes"):
        chosen = {
            o.get("value")
            for o in [element.get("initial_option") or {}, *(element.get("initial_options") or [])]
        }
        mark = "bk-radio" if kind == "radio_buttons" else "bk-checkbox"
        rows = "".join(
            '<label class="bk-choice"><span'
            f' class="{mark}{" bk-on" if o.get("value") in chosen else ""}"></span>'
            f"{_option_text(o, ctx)}</label>"
            for o in element.get("options") or []
        )
        return f'<div class="bk-choices">{rows}</div>'
    if kind == "plain_text_input":
        value = esc(element.get("initial_value") or "")
        hint = render_text(element.get("placeholder"), ctx)
        tag = "textarea" if element.get("multiline") else "input"
        inner = f"{value}" if tag == "textarea" else ""
        attrs = f' placeholder="{esc(_plain_of(element.get("placeholder")))}"' if hint else ""
        if tag == "input":
            return f'<input class="bk-input" type="text" value="{value}"{attrs} readonly>'
        return f'<textarea class="bk-input bk-textarea"{attrs} readonly>{inner}</textarea>'
    if kind and ("select" in kind):
        chosen = element.get("initial_option") or (element.get("initial_options") or [None])[0]
        shown = (
            _option_text(chosen, ctx)
            if chosen
            else render_text(element.get("placeholder"), ctx) or "Select an item"
        )
        return f'<span class="bk-select">{shown}<span class="bk-caret">▾</span></span>'
    return f'<span class="bk-unknown">[{esc(kind)}]</span>'


def _plain_of(obj: Mapping[str, Any] | None) -> str:
    return str((obj or {}).get("text") or "")


def _image(element: Mapping[str, Any], cls: str, ctx: RenderContext) -> str:
    url = str(element.get("image_url") or element.get("url") or "")
    alt = str(element.get("alt_text") or "")
    src = ctx.image_src(url) if url else None
    if src is None:
        return (
            f'<span class="{cls} bk-image-missing" title="{esc(url)}">🖼'
            f" {esc(alt or 'image')}</span>"
        )
    return f'<img class="{cls}" src="{esc(src)}" alt="{esc(alt)}">'


# -- blocks ------------------------------------------------------------------------------------
def render_blocks(
    blocks: Iterable[Mapping[str, Any]] | None, ctx: RenderContext | None = None
) -> str:
    """A list of Block Kit blocks as Slack would draw them, as an HTML fragment."""
    ctx = ctx or RenderContext()
    return (
        '<div class="bk-blocks">' + "".join(render_block(b, ctx) for b in blocks or []) + "</div>"
    )


def render_block(block: Mapping[str, Any], ctx: RenderContext) -> str:
    """One block."""
    kind = block.get("type")
    if kind == "header":
        return f'<div class="bk-header">{render_text(block.get("text"), ctx)}</div>'
    if kind == "divider":
        return '<hr class="bk-divider">'
    if kind == "section":
        return _section(block, ctx)
    if kind == "context":
        items = []
        for element in block.get("elements") or []:
            if element.get("type") == "image":
                items.append(_image(element, "bk-context-image", ctx))
            else:
                items.append(f"<span>{render_text(element, ctx)}</span>")
        return f'<div class="bk-context">{"".join(items)}</div>'
    if kind == "actions":
        elements = "".join(render_element(e, ctx) for e in block.get("elements") or [])
        return f'<div class="bk-actions">{elements}</div>'
    if kind == "image":
        title = (
            f'<div class="bk-image-title">{render_text(block["title"], ctx)}</div>'
            if block.get("title")
            else ""
        )
        return f'<figure class="bk-image-block">{title}{_image(block, "bk-image", ctx)}</figure>'
    if kind == "input":
        optional = ' <span class="bk-optional">(optional)</span>' if block.get("optional") else ""
        hint = (
            f'<div class="bk-hint">{render_text(block["hint"], ctx)}</div>'
            if block.get("hint")
            else ""
        )
        element = render_element(block.get("element") or {}, ctx)
        return (
            '<div class="bk-input-block"><label'
            f' class="bk-label">{render_text(block.get("label"), ctx)}{optional}</label>'
            f"{element}{hint}</div>"
        )
    if kind == "rich_text":
        return f'<div class="bk-section">{_rich_text(block.get("elements") or [], ctx)}</div>'
    return f'<div class="bk-unknown">[{esc(kind)} block]</div>'


def _section(block: Mapping[str, Any], ctx: RenderContext) -> str:
    body = (
        f'<div class="bk-text">{render_text(block.get("text"), ctx)}</div>'
        if block.get("text")
        else ""
    )
    if block.get("fields"):
        fields = "".join(
            f'<div class="bk-field">{render_text(f, ctx)}</div>' for f in block["fields"]
        )
        body += f'<div class="bk-fields">{fields}</div>'
    accessory = block.get("accessory")
    side = f'<div class="bk-accessory">{render_element(accessory, ctx)}</div>' if accessory else ""
    return f'<div class="bk-section"><div class="bk-section-body">{body}</div>{side}</div>'


def _rich_text(elements: Iterable[Mapping[str, Any]], ctx: RenderContext) -> str:
    out = []
    for element in elements:
        kind = element.get("type")
        inner = "".join(_rich_leaf(e, ctx) for e in element.get("elements") or [])
        if kind == "rich_text_preformatted":
            out.append(f'<pre class="bk-pre">{inner}</pre>')
        elif kind == "rich_text_quote":
            out.append(f'<blockquote class="bk-quote">{inner}</blockquote>')
        elif kind == "rich_text_list":
            tag = "ol" if element.get("style") == "ordered" else "ul"
            items = "".join(
                f"<li>{_rich_text([e], ctx)}</li>" for e in element.get("elements") or []
            )
            out.append(f"<{tag}>{items}</{tag}>")
        else:
            out.append(f"<div>{inner}</div>")
    return "".join(out)


def _rich_leaf(leaf: Mapping[str, Any], ctx: RenderContext) -> str:
    kind = leaf.get("type")
    if kind == "text":
        shown = esc(leaf.get("text") or "").replace("\n", "<br>")
        style = leaf.get("style") or {}
        for key, tag in (("code", "code"), ("bold", "b"), ("italic", "i"), ("strike", "s")):
            if style.get(key):
                shown = f"<{tag}>{shown}</{tag}>"
        return shown
    if kind == "link":
        return _control(f"{leaf.get('url', '')}|{leaf.get('text') or leaf.get('url', '')}", ctx)
    if kind == "user":
        return _control(f"@{leaf.get('user_id', '')}", ctx)
    if kind == "channel":
        return _control(f"#{leaf.get('channel_id', '')}", ctx)
    if kind == "emoji":
        return EMOJI.get(str(leaf.get("name")), f":{esc(leaf.get('name'))}:")
    return ""


# -- views and messages ------------------------------------------------------------------------
def render_view(view: Mapping[str, Any], ctx: RenderContext | None = None) -> str:
    """A modal (title bar, blocks, Close and Submit) or an App Home tab."""
    ctx = ctx or RenderContext()
    blocks = render_blocks(view.get("blocks"), ctx)
    if view.get("type") == "home":
        return f'<div class="bk-view bk-home">{blocks}</div>'
    title = render_text(view.get("title"), ctx)
    close = render_text(view.get("close"), ctx) or "Cancel"
    submit = (
        '<button type="button" class="bk-button'
        f' bk-button-primary">{render_text(view["submit"], ctx)}</button>'
        if view.get("submit")
        else ""
    )
    return (
        f'<div class="bk-view bk-modal"><div class="bk-modal-title">{title}<span'
        f' class="bk-modal-x">✕</span></div><div class="bk-modal-body">{blocks}</div><div'
        ' class="bk-modal-footer"><button type="button"'
        f' class="bk-button">{close}</button>{submit}</div></div>'
    )


def initials(name: str) -> str:
    letters = [w[0] for w in re.findall(r"[A-Za-z]+", name)[:2]]
    return esc("".join(letters).upper() or "?")


def avatar_colour(key: str) -> str:
    palette = (
        "#e57373",
        "#1264a3",
        "#2eb67d",
        "#e01e5a",
        "#ecb22e",
        "#36c5f0",
        "#7c3085",
        "#e8912d",
    )
    return palette[sum(map(ord, key)) % len(palette)]


def render_message(
    message: Mapping[str, Any],
    ctx: RenderContext,
    *,
    replies: Iterable[str] = (),
    note: str = "",
    is_ephemeral: bool = False,
) -> str:
    """One message the way Slack lists it: avatar, author, time, content, files, thread replies.

    `replies` are already rendered messages of its thread; `note` is extra HTML under the author
    line.
    """
    user = str(message.get("user") or "")
    is_bot = bool(message.get("bot_id")) or (
        ctx.bot_user_id is not None and user == ctx.bot_user_id
    )
    if is_bot:  # ephemeral records name their reader in `user`; the author is still the app
        author = (
            (message.get("bot_profile") or {}).get("name")
            or ctx.user(ctx.bot_user_id or "")
            or "app"
        )
    else:
        author = ctx.user(user) or "Slack"
    if is_bot:
        author = author[:1].upper() + author[1:]
    when = ""
    if message.get("ts"):
        local = ctx.local(dt.datetime.fromtimestamp(float(message["ts"]), dt.UTC))
        when = (
            f'<time class="bk-time" datetime="{local.isoformat()}">{local:%a %-d %b, %H:%M}</time>'
        )
    badge = '<span class="bk-app-badge">APP</span>' if is_bot else ""
    edited = ' <span class="bk-edited">(edited)</span>' if message.get("edited") else ""
    body = (
        render_blocks(message["blocks"], ctx)
        if message.get("blocks")
        else f'<div class="bk-text">{render_mrkdwn(str(message.get("text") or ""), ctx)}</div>'
    )
    files = "".join(_file(f, ctx) for f in message.get("files") or [])
    only_you = '<div class="bk-ephemeral">👁 Only visible to you</div>' if is_ephemeral else ""
    shown = list(replies)
    thread = ""
    if shown:
        count = f"{len(shown)} repl{'y' if len(shown) == 1 else 'ies'}"
        thread = (
            '<div class="bk-thread"><div'
            f' class="bk-thread-count">{count}</div>{"".join(shown)}</div>'
        )
    colour = "#611f69" if is_bot else avatar_colour(user)
    cls = "bk-message" + (" bk-message-ephemeral" if is_ephemeral else "")
    return (
        f'<div class="{cls}"><div class="bk-avatar"'
        f' style="background:{colour}">{initials(author)}</div>'
        f'<div class="bk-message-main">{only_you}<div class="bk-message-head"><span'
        f' class="bk-author">{esc(author)}</span>{badge}{when}{edited}</div>'
        f"{note}{body}{files}{thread}</div></div>"
    )


def _file(record: Mapping[str, Any], ctx: RenderContext) -> str:
    url = str(record.get("url_private") or record.get("permalink") or "")
    title = esc(record.get("title") or record.get("name") or "file")
    src = (
        ctx.image_src(url) if str(record.get("mimetype", "")).startswith("image/") and url else None
    )
    if src is not None:
        return (
            f'<figure class="bk-file"><figcaption>{title}</figcaption><img class="bk-image"'
            f' src="{esc(src)}" alt="{title}"></figure>'
        )
    return f'<div class="bk-file bk-file-plain">📄 {title}</div>'
