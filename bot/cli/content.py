"""`upward content`: check and preview the content catalog."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli.errors import UserError
from bot.cli.runtime import runtime
from bot.core.words import count

if TYPE_CHECKING:
    from bot.content.loader import Problem
    from bot.learning.preview import Preview


@click.group()
def content() -> None:
    """Check the content catalog (modules, circle prompts, program templates)."""


@content.command("validate")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def content_validate(path: Path | None) -> None:
    """Check every content file in PATH (default: the shipped content/ folder).

    Each problem is printed as `file:field: reason`; the exit status is 1 when there is any.
    """
    from bot.content.loader import Problem, check_catalog
    from bot.learning.blocks import render_problems  # Block Kit (slack_sdk): only here

    root = path if path is not None else runtime().settings.content_dir
    catalog, problems = check_catalog(root)
    for module in catalog.modules.values():
        where = str(Path(root) / "modules" / f"{module.id}.md")
        problems.extend(Problem(where, "(message)", reason) for reason in render_problems(module))
    for problem in problems:
        click.echo(str(problem))
    if problems:
        files = len({p.file for p in problems})
        click.echo(
            f"{count(len(problems), 'problem')} in {count(files, 'file')}; fix"
            f" {'it' if len(problems) == 1 else 'them'} and run this"
            " again.",
            err=True,
        )
        sys.exit(1)
    click.echo(
        f"{root}: {count(len(catalog.modules), 'module')},"
        f" {count(len(catalog.prompts), 'circle prompt')},"
        f" {count(len(catalog.programs), 'program template')}; all valid."
    )


@content.command("preview")
@click.argument("module_id", required=False)
@click.option(
    "--json",
    "only_json",
    is_flag=True,
    help="Only the JSON: every step's Web API method and payload.",
)
@click.option("--text", "only_text", is_flag=True, help="Only the plain-text rendering.")
@click.option(
    "--template",
    help="Number the module as in this program template (default: the first that lists it).",
)
@click.option(
    "--content-dir",
    type=click.Path(path_type=Path),
    help="The content folder (default: UPWARD_CONTENT_DIR or the shipped content/).",
)
@click.option("--list", "list_ids", is_flag=True, help="List the module ids and exit.")
@click.option(
    "--builder-link",
    "builder_link",
    is_flag=True,
    help="Only a link that opens the first message in Block Kit Builder (a long URL).",
)
def content_preview(
    module_id: str | None,
    only_json: bool,
    only_text: bool,
    template: str | None,
    content_dir: Path | None,
    list_ids: bool,
    builder_link: bool,
) -> None:
    """Show what an executive sees of module MODULE_ID: each message as Upward sends it (Block Kit
    JSON) and as plain text, checked against Slack's limits. Sends nothing.

    Exit status 1 when the module's file is invalid or Slack would refuse a message.
    """
    from bot.content.loader import check_catalog
    from bot.learning import preview as pv  # Block Kit (slack_sdk): only here

    root = content_dir if content_dir is not None else runtime().settings.content_dir
    if list_ids:
        ids = pv.list_modules(check_catalog(root)[0])
        click.echo("\n".join(ids) or f"no valid modules in {root}")
        return
    if module_id is None or only_json + only_text + builder_link > 1:
        raise UserError(
            "give one MODULE_ID (and at most one of --json, --text, --builder-link); `--list`"
            " lists the ids"
        )
    shown, problems = pv.preview_module(root, module_id, template_id=template)
    if builder_link and shown is not None:
        click.echo(pv.builder_link(shown.steps[0]))
        shown = None  # only the problems, if any, follow
    _show_preview(shown, problems, only_json=only_json, only_text=only_text)


def _show_preview(
    shown: Preview | None, problems: list[Problem], *, only_json: bool, only_text: bool
) -> None:
    from bot.learning import preview as pv

    if shown is not None and not only_json:
        click.echo(pv.render_text(shown))
    if shown is not None and not only_text:
        click.echo(
            ("" if only_json else "\n── The same as JSON (what --json prints) ────────\n")
            + json.dumps(shown.as_json(), indent=2, ensure_ascii=False)
        )
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        click.echo(
            f"{count(len(problems), 'problem')}; fix"
            f" {'it' if len(problems) == 1 else 'them'} and run this again"
            " (`upward content validate` checks everything).",
            err=True,
        )
        sys.exit(1)
