"""`upward export` and `upward person forget`: a program's records out, one person's data erased."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any

import click

from bot.cli.errors import UserError
from bot.cli.runtime import runtime
from bot.core import words
from bot.governance.columns import COLUMNS, FORMATS


@click.command("export")
@click.option("--program", "program_name", required=True, help="The program to export.")
@click.option(
    "--format",
    "fmt",
    required=True,
    type=click.Choice(FORMATS),
    help="csv (with a header row) or jsonl.",
)
@click.option(
    "--what", required=True, type=click.Choice(tuple(COLUMNS)), help="Which records: one row each."
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to FILE instead of stdout (all or nothing).",
)
def export_command(program_name: str, fmt: str, what: str, out: Path | None) -> None:
    """Export a program's answers, KPI observations, circles or deliveries for BI tools.

    Columns are stable and documented in the README. Reflection answers are never exported;
    forgotten people appear with slack_user_id and department empty.
    """
    from bot.governance.export import export_rows
    from bot.programs.service import find_program

    with runtime().session() as session:
        prog = find_program(session, program_name)
        rows = export_rows(session, program_id=prog.id, what=what)
        if out is None:
            count = _write_stdout(rows, fmt, what)
        else:
            count = _write_file(rows, fmt, what, out)
    if out is not None:
        click.echo(f"Wrote {words.count(count, 'row')} of '{prog.name}' {what} to {out}.", err=True)


def _write_stdout(rows: Any, fmt: str, what: str) -> int:
    from bot.governance.export import write

    # Bytes through our own UTF-8 wrapper: the console's encoding must not change the export.
    stream = io.TextIOWrapper(click.get_binary_stream("stdout"), encoding="utf-8", newline="")
    try:
        return write(rows, fmt, stream, columns=COLUMNS[what])
    finally:
        stream.flush()
        stream.detach()


def _write_file(rows: Any, fmt: str, what: str, out: Path) -> int:
    from bot.governance.export import write

    target = out.expanduser()
    folder = target.parent
    if target.is_dir():
        raise UserError(f"--out {out} is a folder: give a file name, e.g. {out / f'{what}.{fmt}'}")
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise UserError(
            f"cannot write --out {out}: {exc.strerror or exc} (check that {folder} exists and is"
            " writable)"
        ) from None
    temp = Path(temp_name)
    try:
        with open(handle, "w", encoding="utf-8", newline="") as stream:
            count = write(rows, fmt, stream, columns=COLUMNS[what])
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return count


@click.group("person")
def person() -> None:
    """Act on one person's data (erase it on request)."""


@person.command("forget")
@click.argument("slack_user_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def person_forget(slack_user_id: str, yes: bool) -> None:
    """Erase SLACK_USER_ID's personal data for good, keeping only anonymous counts.

    Deletes their reflections, mentor notes and KPI observations, blanks their other answers,
    cancels unsent messages, ends their memberships and replaces their Slack id with a tombstone.
    """
    from bot.governance.forget import forget_person, person_to_forget
    from bot.models import utcnow

    rt = runtime()
    # Look first and ask outside any transaction: a prompt must not hold the database's write lock.
    with rt.session() as session:
        found = person_to_forget(session, slack_user_id=slack_user_id)
        shown = f"{slack_user_id} ({found.display_name})" if found.display_name else slack_user_id
    if not yes:
        click.confirm(
            f"Erase the personal data of {shown} for good? This cannot be undone", abort=True
        )
    with rt.session() as session:
        report = forget_person(session, slack_user_id=slack_user_id, now=utcnow())
    click.echo(report.summary())
