"""`upward roster`: import people and their roles into a program."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli.errors import UserError
from bot.cli.runtime import Runtime, runtime
from bot.core.words import count, plural

if TYPE_CHECKING:
    from bot.roster.service import Directory, ImportReport, RosterRow


@click.group()
def roster() -> None:
    """Import people and their roles into a program."""


@roster.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--program", "program_name", required=True, help="The program to add people to.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Check FILE and say what the import would change, changing nothing.",
)
def roster_import(file: Path, program_name: str, dry_run: bool) -> None:
    """Add or update people from a CSV FILE (re-importing the same file changes nothing).

    Columns: slack_user_id or email, role (executive, mentor, lead); optional timezone, country,
    department, display_name. Missing time zones and emails are looked up in Slack (users.info,
    users.lookupByEmail); a file whose every row has a slack_user_id and a timezone imports without
    SLACK_BOT_TOKEN.
    """
    from bot.models import utcnow
    from bot.programs.service import find_program
    from bot.roster.enroll import enroll
    from bot.roster.service import OfflineDirectory, parse_roster, read_roster_file

    rt = runtime()
    try:
        text = read_roster_file(file)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    rows, problems = parse_roster(text, filename=str(file))
    catalog = rt.catalog
    with rt.session() as session:
        team_id = find_program(session, program_name).team_id
    # People are looked up in the program's own workspace (its token is read outside the write
    # below).
    directory = _directory(rt, team_id, rows, file)
    with rt.read_only() if dry_run else rt.session() as session:
        report = enroll(
            session,
            program=find_program(session, program_name),
            rows=rows,
            directory=directory,
            catalog=catalog,
            filename=str(file),
            now=utcnow(),
        )
    problems = problems + report.problems
    for problem in problems:
        click.echo(problem, err=True)
    click.echo(_summary(file, report, len(problems), dry_run=dry_run))
    if isinstance(directory, OfflineDirectory) and report.changed:
        click.echo(
            f"upward: note: {'checked' if dry_run else 'imported'} without Slack (SLACK_BOT_TOKEN"
            " is not set): the Slack ids were not checked and display names were not read; import"
            " the file again with the token to fill them in.",
            err=True,
        )
    if problems:
        sys.exit(1)


def _directory(rt: Runtime, team_id: str | None, rows: list[RosterRow], file: Path) -> Directory:
    """Slack's directory, or none when there is no token and no row needs one."""
    from bot.roster.service import OfflineDirectory, needs_slack

    settings = rt.settings
    if settings.multi_workspace or settings.slack_bot_token is not None:
        from bot.slack.directory import SlackDirectory  # the Slack Web API: only this command

        return SlackDirectory(rt.clients.for_team(team_id))
    waiting = needs_slack(rows)
    if waiting:
        lines = ", ".join(str(r.line) for r in waiting[:5]) + (", …" if len(waiting) > 5 else "")
        raise UserError(
            f"SLACK_BOT_TOKEN is not set, and only Slack knows the person or time zone of {file}"
            f" {plural(len(waiting), 'line')} {lines}: set SLACK_BOT_TOKEN, or give every row a"
            " slack_user_id and a timezone to import without Slack"
        )
    return OfflineDirectory()


def _summary(file: Path, report: ImportReport, problems: int, *, dry_run: bool) -> str:
    if dry_run:
        return (
            f"{file}: dry run, nothing was changed. The import would add"
            f" {count(report.people_added, 'person')}, update {report.people_updated} and add"
            f" {count(report.roles_added, 'role')}; {report.unchanged} unchanged"
            + (f"; {count(problems, 'row')} skipped (see above)." if problems else ".")
        )
    return (
        f"{file}: {count(report.people_added, 'person')} added, {report.people_updated} updated, "
        f"{count(report.roles_added, 'role')} added, {report.unchanged} unchanged"
        + (f"; {count(problems, 'row')} skipped (see above)." if problems else ".")
    )
