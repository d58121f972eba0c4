"""Block Kit as HTML that looks like Slack: blocks (the JSON Slack stores) in, an HTML string out.

`render_blocks(blocks, ctx)` draws sections, fields, headers, context, dividers, images, actions
and modal inputs; `render_view` a modal or an App Home tab; `render_message` one message with its
author, time, attachments and thread. `CSS` (from `bot.sandbox.styles`) styles them; put it in a
`<style>` element once per page. Elements (buttons, date pickers, selects, overflow menus, radio
buttons, checkboxes) are drawn by `bot.sandbox.blockkit_elements`, text (Slack's mrkdwn, mentions,
dates in the reader's zone, :emoji:) by `bot.sandbox.blockkit_text`.

Everything shown is escaped (it is user text); links keep only http(s) and mailto targets; images
come only from data: URIs or whatever `RenderContext.image_src` maps a URL to, so a page needs no
network. Stdlib only.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from bot.sandbox.blockkit_elements import render_element, render_image
from bot.sandbox.blockkit_text import (
    EMOJI,
    RenderContext,
    esc,
    render_control,
    render_mrkdwn,
    render_text,
)
from bot.sandbox.styles import BLOCK_KIT_CSS as CSS

__all__ = [
    "CSS",
    "RenderContext",
    "avatar_colour",
    "initials",
    "render_block",
    "render_blocks",
    "render_message",
    "render_mrkdwn",
    "render_view",
]


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
                items.append(render_image(element, "bk-context-image", ctx))
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
        return (
            f'<figure class="bk-image-block">{title}{render_image(block, "bk-image", ctx)}</figure>'
        )
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
        return render_control(
            f"{leaf.get('url', '')}|{leaf.get('text') or leaf.get('url', '')}", ctx
        )
    if kind == "user":
        return render_control(f"@{leaf.get('user_id', '')}", ctx)
    if kind == "channel":
        return render_control(f"#{leaf.get('channel_id', '')}", ctx)
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
