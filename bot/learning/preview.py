"""`upward content preview`: a module's messages exactly as Upward sends them, checked like Slack
would.

The blocks come from bot/learning/blocks.py, the builders the worker and the listeners use, fed
with placeholder delivery data; they are then checked against Slack's limits in `bot.core.limits`
(the checks the Slack stand-in answers with: slack_sdk's validators plus what it leaves to Slack).
"""

from __future__ import annotations

import difflib
import json
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.basic_objects import JsonObject

from bot.content.loader import Catalog, Problem, _show, check_catalog
from bot.content.schema import Module, Question
from bot.core import limits
from bot.errors import UpwardError
from bot.learning.blocks import (
    QuestionState,
    module_message,
    module_text,
    reflection_modal,
    reminder_text,
)

# The largest delivery id, so buttons' values and ids are checked at their longest.
PLACEHOLDER_DELIVERY_ID = 2**31 - 1
BUILDER_URL = "https://app.slack.com/block-kit-builder/#"


class PreviewError(UpwardError):
    """The module cannot be previewed (unknown id); the message says what to do."""


@dataclass(frozen=True)
class Step:
    """One thing the executive sees: a Web API call Upward makes and its payload."""

    name: str
    what: str
    method: str
    payload: dict[str, Any]
    # An update of the first message: the text rendering shows only the blocks that changed.
    update: bool = False


@dataclass
class Preview:
    """Every step of one module, where it is numbered from, and why Slack would refuse any of it."""

    module: Module
    file: str
    numbered: str
    steps: list[Step]
    problems: list[Problem] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "module": self.module.id,
            "file": self.file,
            "numbered": self.numbered,
            "steps": [
                {"step": s.name, "what": s.what, "method": s.method, "payload": s.payload}
                for s in self.steps
            ],
            "problems": [str(p) for p in self.problems],
        }


def preview_module(
    root: Path, module_id: str, *, template_id: str | None = None
) -> tuple[Preview | None, list[Problem]]:
    """The module's preview and every problem to report: only its own file's when that is invalid
    (then no preview), else Slack's objections and then any other file's problems.

    PreviewError when no file defines `module_id`.
    """
    catalog, problems = check_catalog(root)
    own = [p for p in problems if _is_file_of(p, root, module_id)]
    if own:
        return None, own
    if module_id not in catalog.modules:
        raise PreviewError(_unknown(module_id, root, sorted(catalog.modules)))
    shown = build_preview(catalog, module_id, template_id=template_id)
    return shown, shown.problems + problems


def _unknown(module_id: str, root: Path, known: list[str]) -> str:
    close = difflib.get_close_matches(module_id, known, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
    return (
        f"no module '{module_id}' in {_modules_dir(root)}; {hint}list the ids with `upward content"
        " preview --list`"
    )


def build_preview(catalog: Catalog, module_id: str, *, template_id: str | None = None) -> Preview:
    """Each step an executive sees of the module, as Upward renders it, with Slack's objections."""
    module = catalog.modules[module_id]
    position, total, numbered = _numbering(catalog, module_id, template_id)

    def message(
        answers: dict[str, QuestionState], *, completed: bool = False, reflected: bool = False
    ) -> dict[str, Any]:
        blocks = module_message(
            module,
            delivery_id=PLACEHOLDER_DELIVERY_ID,
            position=position,
            total=total,
            answers=answers,
            completed=completed,
            reflected=reflected,
        )
        return {"text": module_text(module), "blocks": [_as_dict(b) for b in blocks]}

    steps = [
        Step("arrives", "The module arrives in the executive's DM", "chat.postMessage", message({}))
    ]
    for number, question in enumerate(module.questions, start=1):
        steps.extend(_question_steps(number, question, message))
    if module.reflection:
        view = _as_dict(reflection_modal(module, delivery_id=PLACEHOLDER_DELIVERY_ID, current=None))
        steps.append(
            Step(
                "reflection",
                "They click “Write a reflection”: this modal opens",
                "views.open",
                {"view": view},
            )
        )
    right = {
        q.id: QuestionState(first_option=q.correct, last_option=q.correct, attempts=1)
        for q in module.questions
    }
    steps.append(
        Step(
            "done",
            "Every question answered: the module counts as done",
            "chat.update",
            message(right, completed=True, reflected=bool(module.reflection)),
            update=True,
        )
    )
    steps.append(
        Step(
            "reminder",
            "Unanswered after two working days: one reply in the module's thread",
            "chat.postMessage",
            {"text": reminder_text(module)},
        )
    )
    where = str(Path(_modules_dir(catalog.root)) / f"{module.id}.md")
    # The same objection usually holds in every state of the message: one line, naming the steps.
    steps_of: dict[str, list[str]] = {}
    for step in steps:
        for reason in slack_objections(step):
            steps_of.setdefault(reason, []).append(step.name)
    problems = [
        Problem(where, "(message)", f"{reason} (steps: {', '.join(names)})")
        for reason, names in steps_of.items()
    ]
    return Preview(module=module, file=where, numbered=numbered, steps=steps, problems=problems)


def _as_dict(value: Any) -> Any:
    """slack_sdk's `to_dict()`, or for an object it refuses, the same fields unchecked.

    Upward could not send such a block at all; the preview still shows it, and
    `slack_objections` says what Slack (and slack_sdk) object to.
    """
    if isinstance(value, (list, tuple)):
        return [_as_dict(v) for v in value]
    if not isinstance(value, JsonObject):
        return value
    try:
        return value.to_dict()
    except SlackObjectFormationError:
        fields = {key: _as_dict(getattr(value, key, None)) for key in sorted(value.attributes)}
        return {key: v for key, v in fields.items() if v not in (None, "", [], {})}


def _question_steps(number: int, question: Question, message: Any) -> list[Step]:
    """A wrong answer (with “Try again”), then the right one on the second try."""
    wrong = next(o for o in question.options if o.id != question.correct)
    first_wrong = {
        question.id: QuestionState(first_option=wrong.id, last_option=wrong.id, attempts=1)
    }
    then_right = {
        question.id: QuestionState(first_option=wrong.id, last_option=question.correct, attempts=2)
    }
    return [
        Step(
            f"q{number}-wrong",
            f"Question {number}: they pick “{wrong.label}” (wrong)",
            "chat.update",
            message(first_wrong),
            update=True,
        ),
        Step(
            f"q{number}-right",
            f"Question {number}: “Try again”, then the right answer",
            "chat.update",
            message(then_right),
            update=True,
        ),
    ]


def slack_objections(step: Step) -> list[str]:
    """Why Slack would refuse this step's payload, by its limits (`bot.core.limits`)."""
    if "view" in step.payload:
        problems = limits.view_problems(step.payload["view"], kinds=("modal",))
    elif step.payload.get("blocks"):
        problems = limits.block_problems(step.payload["blocks"], limit=limits.MESSAGE_BLOCKS_MAX)
    else:
        problems = []
    if problems:
        return problems
    if len(step.payload.get("text", "")) > limits.MESSAGE_TEXT_MAX:
        return [f"text is over {limits.MESSAGE_TEXT_MAX} characters"]
    return []


def builder_link(step: Step) -> str:
    """A Block Kit Builder link that opens this message's blocks."""
    return BUILDER_URL + urllib.parse.quote(
        json.dumps({"blocks": step.payload["blocks"]}, separators=(",", ":"))
    )


def render_text(preview: Preview) -> str:
    """The steps for a terminal: what each block shows, buttons in [brackets]."""
    module = preview.module
    out = [
        f"{module.id}: {module.title} ({module.minutes} min, {module.skill_area})",
        f"{preview.file}; {preview.numbered}",
    ]
    for number, step in enumerate(preview.steps, start=1):
        out += ["", f"── {number}. {step.what} ({step.method}) " + "─" * 8]
        if "view" in step.payload:
            view = step.payload["view"]
            out.append(f"[modal] {view['title']['text']}")
            out += _blocks_text(view["blocks"])
            out.append(f"[{view['close']['text']}] [{view['submit']['text']}]")
        elif "blocks" in step.payload:
            blocks = step.payload["blocks"]
            if step.update:
                blocks = _changed(preview.steps[0].payload["blocks"], blocks)
                out.append("(the same message, updated; only what changed is shown)")
            out += _blocks_text(blocks)
        else:
            out.append(step.payload["text"])
    # The link holds the whole message (thousands of characters): asked for on its own.
    out += [
        "",
        f"`upward content preview {module.id} --builder-link` prints a link that opens the first"
        " message in Block Kit Builder.",
    ]
    return "\n".join(out)


def _changed(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The blocks of `after` that are new or different from `before`."""
    keys = (
        [json.dumps(b, sort_keys=True) for b in before],
        [json.dumps(b, sort_keys=True) for b in after],
    )
    matcher = difflib.SequenceMatcher(None, *keys, autojunk=False)
    return [
        after[j]
        for tag, _, _, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
        for j in range(j1, j2)
    ]


def _blocks_text(blocks: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            title = block["text"]["text"]
            lines += [title, "=" * len(title)]
        elif kind == "context":
            lines.append("  " + " · ".join(_text(e) for e in block.get("elements", [])))
        elif kind == "divider":
            lines.append("-" * 40)
        elif kind == "section":
            if block.get("text"):
                lines.append(_text(block["text"]))
            lines += [_text(f) for f in block.get("fields") or []]
            if block.get("accessory"):
                lines.append(_element(block["accessory"]))
        elif kind == "actions":
            lines.append(" ".join(_element(e) for e in block.get("elements", [])))
        elif kind == "input":
            lines += [_text(block["label"]), "  " + "_" * 38]
        else:
            lines.append(f"[{kind} block]")
    return lines


def _text(obj: dict[str, Any]) -> str:
    text = str(obj.get("text", ""))
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _element(element: dict[str, Any]) -> str:
    if element.get("type") == "button":
        style = {"primary": " (green)", "danger": " (red, asks to confirm)"}.get(
            element.get("style", ""), ""
        )
        return f"[{_text(element['text'])}]{style}"
    if element.get("type") == "datepicker":
        return f"[date: {_text(element.get('placeholder') or {'text': 'pick a date'})}]"
    return f"[{element.get('type')}]"


def list_modules(catalog: Catalog) -> list[str]:
    """One line per module: id, minutes, skill area, the templates that use it, title."""
    rows = []
    for module in sorted(catalog.modules.values(), key=lambda m: m.id):
        used = [t.id for t in catalog.templates() if module.id in t.modules]
        rows.append(
            (
                module.id,
                f"{module.minutes} min",
                str(module.skill_area),
                ",".join(used) or "-",
                module.title,
            )
        )
    if not rows:
        return []
    width = max(len(r[0]) for r in rows)
    return [f"{r[0]:<{width}}  {r[1]:>6}  {r[2]:<9}  {r[3]:<25}  {r[4]}" for r in rows]


def _numbering(catalog: Catalog, module_id: str, template_id: str | None) -> tuple[int, int, str]:
    """“module N of M” as in the given template, else the first template that lists the module."""
    templates = catalog.templates()  # shortest first: the first that lists it numbers it
    if template_id is not None:
        template = catalog.programs.get(template_id)
        if template is None:
            raise PreviewError(
                f"no program template '{template_id}'; there are:"
                f" {', '.join(t.id for t in templates)}"
            )
        if module_id not in template.modules:
            raise PreviewError(f"template '{template_id}' does not list module '{module_id}'")
    else:
        template = next((t for t in templates if module_id in t.modules), None)
        if template is None:
            return 1, 1, "numbered 1 of 1: no program template lists this module yet"
    position = template.modules.index(module_id) + 1
    return (
        position,
        len(template.modules),
        f"numbered as in template '{template.id}' ({position} of {len(template.modules)})",
    )


def _modules_dir(root: Path) -> str:
    return _show(Path(root) / "modules")


def _is_file_of(problem: Problem, root: Path, module_id: str) -> bool:
    return Path(problem.file).resolve() == (Path(root) / "modules" / f"{module_id}.md").resolve()
