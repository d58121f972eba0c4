"""Block Kit with working controls, for the inspector's pages: every control is a small form.

Blocks are drawn by ``bot.sandbox.blockkit_html`` (the demo transcript's renderer, stdlib only); the
elements a person acts on (buttons, date and time pickers, selects, overflow menus, radio buttons)
and a modal's inputs become HTML forms that POST to ``/sandbox/inspector/...``, carrying where the
element sits (``Where``) so the stand-in can find the real element and send the app what Slack
would. Everything shown is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.sandbox import payloads
from bot.sandbox.blockkit_elements import render_element
from bot.sandbox.blockkit_html import render_block, render_message
from bot.sandbox.blockkit_text import RenderContext, esc, render_text

PREFIX = "/sandbox/inspector"
PICKER_INPUTS = {"datepicker": ("date", "initial_date"), "timepicker": ("time", "initial_time")}
CHOOSABLE = {"static_select", "overflow", "radio_buttons"}


# -- where a control sits ---------------------------------------------------------------------
@dataclass(frozen=True)
class Where:
    """The person acting and the message or view a control sits in, as hidden form fields."""

    user: str
    back: str
    channel: str = ""
    ts: str = ""
    ephemeral: bool = False
    view: str = ""

    @property
    def anchor(self) -> str:
        return f"m-{self.ts}" if self.ts else ("home" if self.view else "")

    def fields(self) -> str:
        shown = {
            "user": self.user,
            "back": self.back,
            "anchor": self.anchor,
            "channel": self.channel,
            "ts": self.ts,
            "ephemeral": "1" if self.ephemeral else "",
            "view": self.view,
        }
        return hidden_fields(shown)


def hidden_fields(fields: Mapping[str, str]) -> str:
    """Hidden inputs for the fields that have a value."""
    return "".join(
        f'<input type="hidden" name="{esc(k)}" value="{esc(v)}">' for k, v in fields.items() if v
    )


def post_form(action: str, where: Where, inner: str, *, attrs: str = "", **extra: str) -> str:
    """A form posting to /sandbox/inspector/<action> with where it sits, ``extra`` fields and
    ``inner`` controls."""
    fields = where.fields() + hidden_fields(extra)
    return (
        f'<form class="ix" method="post" action="{PREFIX}/{action}"{attrs}>{fields}{inner}</form>'
    )


# -- blocks with working controls -------------------------------------------------------------
def control(
    block: Mapping[str, Any], element: Mapping[str, Any], ctx: RenderContext, where: Where
) -> str:
    """One element as a form that performs it; elements the inspector cannot act on are drawn as
    they look."""
    kind = str(element.get("type"))
    ids = {
        "block_id": str(block.get("block_id") or ""),
        "action_id": str(element.get("action_id") or ""),
    }
    if kind == "button" and not element.get("url"):
        style = element.get("style")
        cls = "bk-button" + (f" bk-button-{style}" if style in ("primary", "danger") else "")
        confirm = element.get("confirm")
        button = (
            f'<button type="submit" class="{cls}">{render_text(element.get("text"), ctx)}</button>'
        )
        attrs = ""
        if (
            confirm
        ):  # Slack asks first; so does the browser (the question travels as data, never as code)
            question = "\n\n".join(
                _plain(confirm.get(k)) for k in ("title", "text") if confirm.get(k)
            )
            attrs = (
                f' data-confirm="{esc(question)}" onsubmit="return confirm(this.dataset.confirm)"'
            )
        return post_form("click", where, button, attrs=attrs, **ids)
    if kind in PICKER_INPUTS:
        input_type, initial = PICKER_INPUTS[kind]
        hint = _plain(element.get("placeholder")) or (
            "Pick a date" if input_type == "date" else "Pick a time"
        )
        # The browser's own date field stands in for Slack's picker; its button sends the pick.
        inner = (
            f'<label class="bk-picker ix-picker" title="{esc(hint)}"><input type="{input_type}"'
            f' name="picked" value="{esc(element.get(initial) or "")}" required'
            f' aria-label="{esc(hint)}"></label><button type="submit"'
            f' class="bk-button">{esc(hint.rstrip(".…"))}</button>'
        )
        return post_form("click", where, inner, **ids)
    if kind in CHOOSABLE:
        options = "".join(
            f'<option value="{esc(o.get("value", ""))}">{esc(_plain(o.get("text")))}</option>'
            for o in payloads.options_of(element)
        )
        hint = _plain(element.get("placeholder")) or ("⋯" if kind == "overflow" else "Choose…")
        inner = (
            '<select class="ix-select" name="option" required><option'
            f' value="">{esc(hint)}</option>{options}</select><button type="submit"'
            ' class="bk-button">Choose</button>'
        )
        return post_form("click", where, inner, **ids)
    drawn = render_element(element, ctx)
    return f'<span class="ix-off" title="the inspector cannot act on a {esc(kind)}">{drawn}</span>'


def blocks_html(
    blocks: Iterable[Mapping[str, Any]] | None, ctx: RenderContext, where: Where
) -> str:
    """Blocks as the renderer draws them, with actions and section accessories as working forms."""
    out = []
    for block in blocks or []:
        kind = block.get("type")
        accessory = block.get("accessory")
        if kind == "actions":
            controls = "".join(control(block, e, ctx, where) for e in block.get("elements") or [])
            out.append(f'<div class="bk-actions">{controls}</div>')
        elif kind == "section" and isinstance(accessory, dict) and accessory.get("type") != "image":
            drawn = render_block({**block, "accessory": None}, ctx)
            # The renderer closes a section with one </div>; the working accessory goes just before
            # it.
            side = control(block, accessory, ctx, where)
            out.append(
                f'{drawn.removesuffix("</div>")}<div class="bk-accessory">{side}</div></div>'
            )
        else:
            out.append(render_block(block, ctx))
    return f'<div class="bk-blocks">{"".join(out)}</div>'


def message_html(
    message: Mapping[str, Any],
    ctx: RenderContext,
    where: Where,
    *,
    replies: Iterable[str] = (),
    note: str = "",
    ephemeral: bool = False,
) -> str:
    """One message (avatar, author, time in the reader's zone, edits, thread) with working
    controls."""
    if message.get("blocks"):
        note += blocks_html(message["blocks"], ctx, where)
        message = {**message, "blocks": None, "text": ""}
    drawn = render_message(message, ctx, replies=replies, note=note, is_ephemeral=ephemeral)
    return f'<div id="{esc(where.anchor)}">{drawn}</div>'


def _plain(obj: Any) -> str:
    return str((obj or {}).get("text") or "") if isinstance(obj, Mapping) else str(obj or "")


def modal_html(
    view: Mapping[str, Any],
    errors: Mapping[str, str],
    ctx: RenderContext,
    where: Where,
    notice: str = "",
) -> str:
    """The modal on a person's screen: its inputs belong to its Submit form (``form="…"``), its
    buttons click."""
    form_id = f"submit-{view['id']}"
    values = (view.get("state") or {}).get("values") or {}
    body = []
    for block in view.get("blocks") or []:
        block_id = str(block.get("block_id") or "")
        if block.get("type") == "input" and isinstance(block.get("element"), dict):
            body.append(_input(block, values.get(block_id, {}), ctx, form_id, errors.get(block_id)))
        else:
            body.append(blocks_html([block], ctx, Where(where.user, where.back, view=view["id"])))
    general = f'<div class="bk-error">{esc(errors[""])}</div>' if errors.get("") else ""
    submit = ""
    if view.get("submit"):
        button = (
            '<button type="submit" class="bk-button'
            f' bk-button-primary">{render_text(view["submit"], ctx)}</button>'
        )
        submit = post_form("submit", where, button, attrs=f' id="{esc(form_id)}"', view=view["id"])
    close = render_text(view.get("close"), ctx) or "Cancel"
    cancel = post_form("close", where, f'<button type="submit" class="bk-button">{close}</button>')
    return (
        '<div class="overlay" id="modal"><div class="bk-view bk-modal">'
        f'<div class="bk-modal-title">{render_text(view.get("title"), ctx)}</div>'
        f'<div class="bk-modal-body">{notice}{"".join(body)}{general}</div>'
        f'<div class="bk-modal-footer">{cancel}{submit}</div></div></div>'
    )


def _input(
    block: Mapping[str, Any],
    state: Mapping[str, Any],
    ctx: RenderContext,
    form_id: str,
    error: str | None,
) -> str:
    """An input block as an HTML field of the modal's Submit form, showing what was typed and any
    error."""
    element = block["element"]
    kind = element.get("type")
    typed = state.get(element.get("action_id"), {}) if isinstance(state, Mapping) else {}
    required = "" if block.get("optional") else " required"
    attrs = f'form="{esc(form_id)}" name="input-{esc(block.get("block_id", ""))}"{required}'
    if kind == "plain_text_input":
        value = typed.get("value") if "value" in typed else element.get("initial_value")
        hint = (
            f' placeholder="{esc(_plain(element.get("placeholder")))}"'
            if element.get("placeholder")
            else ""
        )
        limit = f' maxlength="{int(element["max_length"])}"' if element.get("max_length") else ""
        if element.get("multiline"):
            field = (
                '<textarea class="bk-input bk-textarea"'
                f" {attrs}{hint}{limit}>{esc(value or '')}</textarea>"
            )
        else:
            field = (
                f'<input class="bk-input" type="text" {attrs}{hint}{limit}'
                f' value="{esc(value or "")}">'
            )
    elif kind in PICKER_INPUTS:
        input_type, initial = PICKER_INPUTS[kind]
        field = (
            f'<input class="bk-input" type="{input_type}" {attrs}'
            f' value="{esc(element.get(initial) or "")}">'
        )
    elif kind in CHOOSABLE:
        chosen = (element.get("initial_option") or {}).get("value")
        options = "".join(
            "<option"
            f' value="{esc(o.get("value", ""))}"{" selected" if o.get("value") == chosen else ""}>'
            f"{esc(_plain(o.get('text')))}</option>"
            for o in payloads.options_of(element)
        )
        field = f'<select class="ix-select" {attrs}><option value=""></option>{options}</select>'
    else:
        drawn = render_element(element, ctx)
        field = (
            f'<span class="ix-off" title="the inspector cannot fill a {esc(kind)}">{drawn}</span>'
        )
    optional = ' <span class="bk-optional">(optional)</span>' if block.get("optional") else ""
    hint = (
        f'<div class="bk-hint">{render_text(block["hint"], ctx)}</div>' if block.get("hint") else ""
    )
    problem = f'<div class="bk-error">{esc(error)}</div>' if error else ""
    label = f'<label class="bk-label">{render_text(block.get("label"), ctx)}{optional}</label>'
    return f'<div class="bk-input-block">{label}{field}{hint}{problem}</div>'
