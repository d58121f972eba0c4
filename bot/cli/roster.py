"""`upward roster`: import people and their roles into a program."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.cli.errors import UserError
from bot.cli.runtime import runtime
from bot.core.words import count
from bot.models import utcnow
from bot.programs.service import find_program
from bot.roster.enroll import enroll
from bot.roster.service import parse_roster, read_roster_file


@click.group()
def roster() -> None:
    """Import people and their roles into a program."""


@roster.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--program", "program_name", required=True, help="The program to add people to.")
def roster_import(file: Path, program_name: str) -> None:
    """Add or update people from a CSV FILE (re-importing the same file changes nothing).

    Columns: slack_user_id or email, role (executive, mentor, lead); optional timezone, country,
    department, display_name. Missing time zones are read from Slack (users.info).
    """
    from bot.slack.directory import SlackDirectory  # the Slack Web API: only this command

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
    directory = SlackDirectory(rt.clients.for_team(team_id))
    with rt.session() as session:
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
    click.echo(
        f"{file}: {count(report.people_added, 'person')} added, {report.people_updated} updated, "
        f"{count(report.roles_added, 'role')} added, {report.unchanged} unchanged"
        + (f"; {count(len(problems), 'row')} skipped (see above)." if problems else ".")
    )
    if problems:
        sys.exit(1)
