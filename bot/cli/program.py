"""`upward program`: create, list, show, pause, resume and configure programs."""

from __future__ import annotations

import datetime as dt

import click

from bot.cli.errors import UserError
from bot.cli.runtime import runtime

# The programs service (SQLAlchemy) and the calendar (holidays) are imported by the commands that
# use them, so `upward --help` does not wait for them.


@click.group()
def program() -> None:
    """Create and manage programs (pilot, quarter, enterprise)."""


@program.command("create")
@click.argument("name")
@click.option(
    "--template", required=True, help="pilot, quarter or enterprise (a file in content/programs/)."
)
@click.option(
    "--start",
    "start",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="First day, YYYY-MM-DD.",
)
@click.option(
    "--timezone", default="UTC", show_default=True, help="The program's home time zone (IANA name)."
)
@click.option(
    "--window",
    help="Local delivery hours, e.g. 08:30-16:00 (default: the template's, 09:00-17:00).",
)
@click.option(
    "--team",
    help=(
        "Several workspaces: the one the program runs in (team id T…; default: the only one"
        " installed)."
    ),
)
def program_create(
    name: str,
    template: str,
    start: dt.datetime,
    timezone: str,
    window: str | None,
    team: str | None,
) -> None:
    """Create a program NAME from a playbook template."""
    from bot.core.calendar import local_day
    from bot.models import utcnow
    from bot.programs import service
    from bot.slack.installations import choose_team  # slack_bolt's OAuth store: heavy

    try:
        hours = service.parse_window(window) if window else None
    except ValueError as exc:
        raise UserError(f"--window: {exc}") from None
    rt, now = runtime(), utcnow()
    with rt.session() as session:
        created = service.create_program(
            session,
            catalog=rt.catalog,
            name=name,
            template_id=template,
            start=start.date(),
            timezone=timezone,
            now=now,
            window=hours,
            team_id=choose_team(session, rt.settings, team),
        )
        # A refusal here rolls the new program back with the session.
        note = service.check_start(created, rt.catalog, today=local_day(now, created.timezone))
        info = service.describe(created)
    click.echo(
        f"Created program '{info['name']}' from template {info['template']}: {info['start']} to"
        f" {info['end']} ({info['timezone']})."
    )
    if note:
        click.echo(f"upward: note: {note}", err=True)
    click.echo(f"Next: upward roster import FILE.csv --program '{info['name']}'")


@program.command("list")
def program_list() -> None:
    """List programs with their status and roster counts."""
    from bot.programs import service

    with runtime().session() as session:
        programs = service.list_programs(session)
    if not programs:
        click.echo(
            "No programs yet. Create one: upward program create NAME --template pilot --start"
            " YYYY-MM-DD"
        )
        return
    width = max(len(p.name) for p in programs)
    click.echo(
        f"{'NAME':<{width}}  TEMPLATE    STATUS    START       END         EXECS  MENTORS  LEADS"
    )
    for p in programs:
        end = p.end_date.isoformat() if p.end_date else "ongoing"
        click.echo(
            f"{p.name:<{width}}  {p.template:<10}  {p.status.value:<8}  {p.start_date.isoformat()} "
            f" {end:<10}  {p.executives:>5}  {p.mentors:>7}  {p.leads:>5}"
        )


@program.command("show")
@click.argument("name")
def program_show(name: str) -> None:
    """Show a program's settings and roster counts."""
    from bot.programs import service

    with runtime().session() as session:
        info, refused = service.show_program(session, name)
    for key, value in info.items():
        click.echo(f"{key + ':':<17}{value}")
    if refused:
        click.echo(
            "undeliverable:   Slack refused these messages for good (fix the roster or the person's"
            " account):"
        )
        for who, error, count in refused:
            click.echo(f"  {who}: {error} ×{count}")


def _set_program_status(name: str, paused: bool) -> None:
    from bot.models import ProgramStatus, utcnow
    from bot.programs import service

    with runtime().session() as session:
        prog, changed = service.set_status(
            session,
            name=name,
            status=ProgramStatus.paused if paused else ProgramStatus.active,
            now=utcnow(),
        )
        shown = prog.name
    word = "paused" if paused else "active"
    click.echo(
        f"'{shown}' is {word}." if changed else f"'{shown}' was already {word}; nothing changed."
    )


@program.command("pause")
@click.argument("name")
def program_pause(name: str) -> None:
    """Stop all deliveries, reminders and circles of a program until it is resumed."""
    _set_program_status(name, paused=True)


@program.command("resume")
@click.argument("name")
def program_resume(name: str) -> None:
    """Resume a paused program (no backlog flood: at most one module a day catches up)."""
    _set_program_status(name, paused=False)


@program.command("configure")
@click.argument("name")
@click.option(
    "--digest-at", help="When leads get the weekly digest, in each lead's zone, e.g. 'mon 09:00'."
)
@click.option(
    "--digest-channel",
    help=(
        "Also post the digest in this channel (its ID, e.g. C0123ABC; invite Upward first); 'none'"
        " to stop."
    ),
)
@click.option(
    "--min-group", type=int, help="Hide figures covering fewer people than this (3 or more)."
)
@click.option(
    "--team",
    help="Several workspaces: put a program that has no workspace yet into this one (team id T…).",
)
def program_configure(
    name: str,
    digest_at: str | None,
    digest_channel: str | None,
    min_group: int | None,
    team: str | None,
) -> None:
    """Change a program's digest schedule, digest channel, privacy threshold or (once) workspace."""
    from bot.models import utcnow
    from bot.programs import service
    from bot.slack.installations import choose_team  # slack_bolt's OAuth store: heavy

    if digest_at is None and digest_channel is None and min_group is None and team is None:
        raise UserError(
            "nothing to change: give --digest-at, --digest-channel, --min-group or --team"
        )
    rt = runtime()
    with rt.session() as session:
        if team is not None:
            chosen = choose_team(session, rt.settings, team) or ""
            service.assign_team(session, name=name, team_id=chosen, now=utcnow())
        shown = service.configure(
            session,
            name=name,
            digest_at=digest_at,
            digest_channel=digest_channel,
            min_group=min_group,
            now=utcnow(),
        )
    click.echo(shown)
