"""Block Kit elements as HTML that looks like Slack: one button, picker, menu, input or image.

`render_element` draws an interactive element (buttons, date and time pickers, selects, overflow
menus, radio buttons, checkboxes, plain-text inputs) as it sits in a message or a modal, without
behaviour: a button is a plain `<button>` or a link, an input is read-only. `render_image` draws an
image from a data: URI or whatever `RenderContext.image_src` maps its URL to, so a page needs no
network. Text goes through `bot.sandbox.blockkit_text`, so everything shown is escaped and links
keep only http(s) and mailto targets. Stdlib only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.sandbox.blockkit_text import SAFE_LINK, RenderContext, esc, render_text

__all__ = ["render_element", "render_image"]


def render_element(element: Mapping[str, Any], ctx: RenderContext) -> str:
    """One interactive element (or an image) as it sits in a message."""
    kind = element.get("type")
    if kind == "button":
        return _button(element, ctx)
    if kind == "image":
        return render_image(element, "bk-image-thumb", ctx)
    if kind == "datepicker":
        return _picker(element, ctx, initial="initial_date", icon="📅", default="Select a date")
    if kind == "timepicker":
        return _picker(element, ctx, initial="initial_time", icon="🕒", default="Select a time")
    if kind == "overflow":
        return _overflow(element, ctx)
    if kind in ("radio_buttons", "checkboxes"):
        return _choices(element, ctx)
    if kind == "plain_text_input":
        return _text_input(element, ctx)
    if kind and ("select" in kind):
        return _select(element, ctx)
    return f'<span class="bk-unknown">[{esc(kind)}]</span>'


def render_image(element: Mapping[str, Any], cls: str, ctx: RenderContext) -> str:
    """An image (element or block), or its alt text where the context has no source for it."""
    url = str(element.get("image_url") or element.get("url") or "")
    alt = str(element.get("alt_text") or "")
    src = ctx.image_src(url) if url else None
    if src is None:
        return (
            f'<span class="{cls} bk-image-missing" title="{esc(url)}">🖼'
            f" {esc(alt or 'image')}</span>"
        )
    return f'<img class="{cls}" src="{esc(src)}" alt="{esc(alt)}">'


def _button(element: Mapping[str, Any], ctx: RenderContext) -> str:
    style = element.get("style")
    cls = "bk-button" + (f" bk-button-{style}" if style in ("primary", "danger") else "")
    label = render_text(element.get("text"), ctx)
    url = str(element.get("url") or "")
    if url and SAFE_LINK.match(url):
        return (
            f'<a class="{cls}" href="{esc(url)}" target="_blank" rel="noopener'
            f' noreferrer">{label}</a>'
        )
    return f'<button type="button" class="{cls}">{label}</button>'


def _picker(
    element: Mapping[str, Any], ctx: RenderContext, *, initial: str, icon: str, default: str
) -> str:
    """A date or time picker: its initial value, else its placeholder, else Slack's default."""
    shown = (
        esc(element[initial])
        if element.get(initial)
        else render_text(element.get("placeholder"), ctx) or default
    )
    return (
        f'<span class="bk-picker"><span class="bk-picker-icon">{icon}</span>{shown}<span'
        ' class="bk-caret">▾</span></span>'
    )


def _overflow(element: Mapping[str, Any], ctx: RenderContext) -> str:
    items = "".join(f"<li>{_option_text(o, ctx)}</li>" for o in element.get("options") or [])
    return (
        f'<span class="bk-overflow" title="More actions">⋯<ul class="bk-menu">{items}</ul></span>'
    )


def _choices(element: Mapping[str, Any], ctx: RenderContext) -> str:
    """Radio buttons or checkboxes, with their initial options marked."""
    chosen = {
        o.get("value")
        for o in [element.get("initial_option") or {}, *(element.get("initial_options") or [])]
    }
    mark = "bk-radio" if element.get("type") == "radio_buttons" else "bk-checkbox"
    rows = "".join(
        '<label class="bk-choice"><span'
        f' class="{mark}{" bk-on" if o.get("value") in chosen else ""}"></span>'
        f"{_option_text(o, ctx)}</label>"
        for o in element.get("options") or []
    )
    return f'<div class="bk-choices">{rows}</div>'


def _text_input(element: Mapping[str, Any], ctx: RenderContext) -> str:
    value = esc(element.get("initial_value") or "")
    hint = render_text(element.get("placeholder"), ctx)
    tag = "textarea" if element.get("multiline") else "input"
    inner = f"{value}" if tag == "textarea" else ""
    attrs = f' placeholder="{esc(_plain_of(element.get("placeholder")))}"' if hint else ""
    if tag == "input":
        return f'<input class="bk-input" type="text" value="{value}"{attrs} readonly>'
    return f'<textarea class="bk-input bk-textarea"{attrs} readonly>{inner}</textarea>'


def _select(element: Mapping[str, Any], ctx: RenderContext) -> str:
    chosen = element.get("initial_option") or (element.get("initial_options") or [None])[0]
    shown = (
        _option_text(chosen, ctx)
        if chosen
        else render_text(element.get("placeholder"), ctx) or "Select an item"
    )
    return f'<span class="bk-select">{shown}<span class="bk-caret">▾</span></span>'


def _option_text(option: Mapping[str, Any] | None, ctx: RenderContext) -> str:
    return render_text((option or {}).get("text"), ctx)


def _plain_of(obj: Mapping[str, Any] | None) -> str:
    return str((obj or {}).get("text") or "")
