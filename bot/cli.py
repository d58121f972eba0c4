"""The `upward` command: thin wrappers that parse arguments, call services and print results."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from bot.config import ConfigError, Settings, load_settings
from bot.content.loader import ContentError, check_catalog
from bot.db import (
    DatabaseUnavailable,
    check_database,
    describe_db_error,
    make_engine,
    make_session_factory,
    session_scope,
)

F = TypeVar("F", bound=Callable[..., Any])


class UserError(click.ClickException):
    """An error the person can act on: printed as one line, exit status 1, no traceback."""

    def format_message(self) -> str:
        return self.message

    def show(self, file: Any = None) -> None:
        click.echo(f"upward: error: {self.format_message()}", err=True)


def friendly_errors(func: F) -> F:
    """Turn known failures into one actionable line; unknown ones into a line and a debug hint."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except (ConfigError, DatabaseUnavailable) as exc:
            raise UserError(str(exc)) from None
        except _domain_errors() as exc:
            raise UserError(str(exc)) from None
        except ContentError as exc:
            raise UserError(
                f"the content catalog has {len(exc.problems)} problem(s), first: {exc.problems[0]} "
                "(run `upward content validate` for all)"
            ) from None
        except Exception as exc:
            if os.environ.get("UPWARD_DEBUG"):
                raise
            from sqlalchemy.exc import DBAPIError

            if isinstance(exc, DBAPIError):
                settings = _settings_or_none()
                if settings is not None:
                    raise UserError(describe_db_error(settings.database, exc)) from None
            raise UserError(
                f"unexpected {type(exc).__name__}: {exc}. Nothing was changed. "
                "Set UPWARD_DEBUG=1 to see the traceback and report it."
            ) from None

    return wrapper  # type: ignore[return-value]


def _domain_errors() -> tuple[type[Exception], ...]:
    from bot.programs.service import ProgramError
    from bot.slack.directory import SlackDirectoryError
    from bot.slack.installations import NoWorkspace

    return (ProgramError, SlackDirectoryError, NoWorkspace)


@contextlib.contextmanager
def _read_only(settings: Settings) -> Iterator[Any]:
    """A session whose work is always rolled back (previews change nothing)."""
    engine, sessions = _open_database(settings)
    session = sessions()
    try:
        yield session
    finally:
        session.rollback()
        session.close()
        engine.dispose()


def _settings_or_none() -> Settings | None:
    try:
        return load_settings()
    except ConfigError:
        return None


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="upward", prog_name="upward")
def cli() -> None:
    """Upward runs reverse-mentoring programs in Slack: microlearning in executives' DMs, monthly
    peer circles run by junior mentors with /circle, and a weekly digest for program leads.

    Configuration comes from the environment or a .env file: DATABASE_URL, SLACK_BOT_TOKEN,
    SLACK_SIGNING_SECRET, SLACK_APP_TOKEN (Socket Mode), SLACK_API_URL.
    """


@cli.group()
def db() -> None:
    """Manage the database schema (Alembic migrations)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@friendly_errors
def db_upgrade(revision: str) -> None:
    """Bring the database at DATABASE_URL up to the newest schema (safe to run again)."""
    from bot.migrate import current_revision, upgrade

    settings = load_settings()
    engine = make_engine(settings.database)
    try:
        check_database(engine)
        before = current_revision(engine)
        upgrade(engine, revision)
        after = current_revision(engine)
    finally:
        engine.dispose()
    where = settings.database.render_as_string(hide_password=True)
    if before == after:
        click.echo(f"{where} is already at revision {after}; nothing to do.")
    else:
        click.echo(f"{where} upgraded from {before or 'an empty database'} to revision {after}.")


@db.command("current")
@friendly_errors
def db_current() -> None:
    """Show the schema revision of the database and whether it is the newest."""
    from bot.migrate import current_revision, head_revision

    settings = load_settings()
    engine = make_engine(settings.database)
    try:
        check_database(engine)
        current = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    state = (
        "up to date" if current == head else f"behind (newest is {head}): run `upward db upgrade`"
    )
    click.echo(
        f"{settings.database.render_as_string(hide_password=True)}: revision {current or 'none'},"
        f" {state}"
    )


@cli.group()
def content() -> None:
    """Check the content catalog (modules, circle prompts, program templates)."""


@content.command("validate")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@friendly_errors
def content_validate(path: Path | None) -> None:
    """Check every content file in PATH (default: the shipped content/ folder).

    Each problem is printed as `file:field: reason`; the exit status is 1 when there is any.
    """
    from bot.content.loader import Problem
    from bot.learning.blocks import render_problems

    root = path if path is not None else load_settings().content_dir
    catalog, problems = check_catalog(root)
    for module in catalog.modules.values():
        where = str(Path(root) / "modules" / f"{module.id}.md")
        problems.extend(Problem(where, "(message)", reason) for reason in render_problems(module))
    for problem in problems:
        click.echo(str(problem))
    if problems:
        files = len({p.file for p in problems})
        click.echo(
            f"{len(problems)} problem(s) in {files} file(s); fix them and run this again.", err=True
        )
        sys.exit(1)
    click.echo(
        f"{root}: {len(catalog.modules)} modules, {len(catalog.prompts)} circle prompts, "
        f"{len(catalog.programs)} program templates; all valid."
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
@friendly_errors
def content_preview(
    module_id: str | None,
    only_json: bool,
    only_text: bool,
    template: str | None,
    content_dir: Path | None,
    list_ids: bool,
) -> None:
    """Show what an executive sees of module MODULE_ID: each message as Upward sends it (Block Kit
    JSON) and as plain text, checked against Slack's limits. Sends nothing.

    Exit status 1 when the module's file is invalid or Slack would refuse a message.
    """
    import json

    from bot.learning import preview as pv

    root = content_dir if content_dir is not None else load_settings().content_dir
    if list_ids:
        click.echo(
            "\n".join(pv.list_modules(check_catalog(root)[0])) or f"no valid modules in {root}"
        )
        return
    if module_id is None or (only_json and only_text):
        raise UserError(
            "give one MODULE_ID (and at most one of --json, --text); `--list` lists the ids"
        )
    try:
        shown, problems = pv.preview_module(root, module_id, template_id=template)
    except pv.PreviewError as exc:
        raise UserError(str(exc)) from None
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
            f"{len(problems)} problem(s); fix them and run this again (`upward content validate`"
            " checks everything).",
            err=True,
        )
        sys.exit(1)


@cli.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on (0.0.0.0 for all).",
)
@click.option(
    "--port", default=3000, show_default=True, type=click.IntRange(0, 65535), help="TCP port."
)
@click.option(
    "--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="Web processes."
)
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Threads per process.",
)
@click.option(
    "--sandbox",
    is_flag=True,
    help="Run against a local Slack stand-in with a seeded demo workspace.",
)
@friendly_errors
def serve(host: str, port: int, workers: int, threads: int, sandbox: bool) -> None:
    """Serve Slack's requests: POST /slack/events (signature verified) and GET /healthz.

    With SLACK_APP_TOKEN set, connects over Socket Mode instead (no public URL needed).
    """
    from bot.logs import configure_logging
    from bot.serve import serve_http, serve_socket_mode

    settings = load_settings()
    configure_logging(settings.log_format)
    if sandbox:
        from bot.sandbox_mode import serve_sandbox

        serve_sandbox(settings, host=host, port=port, threads=threads)
    elif settings.slack_app_token is not None:
        logging.getLogger("upward.serve").info(
            "SLACK_APP_TOKEN is set: connecting to Slack over Socket Mode."
        )
        serve_socket_mode(settings)
    else:
        # A log line, not a bare echo: with UPWARD_LOG_FORMAT=json every line on stderr is JSON.
        logging.getLogger("upward.serve").info(
            "Upward listening on http://%s:%s/slack/events (health: /healthz)", host, port
        )
        serve_http(settings, host=host, port=port, workers=workers, threads=threads)


def _open_database(settings: Settings):  # type: ignore[no-untyped-def]
    """Engine and session factory for a command, after checking the schema is current."""
    from bot.migrate import current_revision, head_revision

    engine = make_engine(settings.database)
    check_database(engine)
    if current_revision(engine) != head_revision():
        engine.dispose()
        raise UserError(
            f"the database {settings.database.render_as_string(hide_password=True)} is not at the"
            " newest schema: run `upward db upgrade` first"
        )
    return engine, make_session_factory(engine)


@cli.group()
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
@friendly_errors
def program_create(
    name: str, template: str, start: Any, timezone: str, window: str | None, team: str | None
) -> None:
    """Create a program NAME from a playbook template."""
    from bot.content.loader import load_catalog
    from bot.models import utcnow
    from bot.programs.service import create_program, describe, parse_window
    from bot.slack.installations import choose_team

    try:
        hours = parse_window(window) if window else None
    except ValueError as exc:
        raise UserError(f"--window: {exc}") from None
    settings = load_settings()
    catalog = load_catalog(settings.content_dir)
    engine, sessions = _open_database(settings)
    with session_scope(sessions) as session:
        created = create_program(
            session,
            catalog=catalog,
            name=name,
            template_id=template,
            start=start.date(),
            timezone=timezone,
            now=utcnow(),
            window=hours,
            team_id=choose_team(session, settings, team),
        )
        info = describe(created)
    engine.dispose()
    click.echo(
        f"Created program '{info['name']}' from template {info['template']}: {info['start']} to"
        f" {info['end']} ({info['timezone']})."
    )
    click.echo(f"Next: upward roster import FILE.csv --program '{info['name']}'")


@program.command("list")
@friendly_errors
def program_list() -> None:
    """List programs with their status and roster counts."""
    from bot.programs.service import list_programs

    engine, sessions = _open_database(load_settings())
    with session_scope(sessions) as session:
        programs = list_programs(session)
    engine.dispose()
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
@friendly_errors
def program_show(name: str) -> None:
    """Show a program's settings and roster counts."""
    from bot.programs.service import describe, find_program, list_programs, undeliverable

    engine, sessions = _open_database(load_settings())
    with session_scope(sessions) as session:
        prog = find_program(session, name)
        info = describe(prog)
        summary = next(p for p in list_programs(session) if p.name == info["name"])
        refused = undeliverable(session, prog)
    engine.dispose()
    info["roster"] = (
        f"{summary.executives} executives, {summary.mentors} mentors, {summary.leads} leads"
    )
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
    from bot.programs.service import set_status

    engine, sessions = _open_database(load_settings())
    with session_scope(sessions) as session:
        prog, changed = set_status(
            session,
            name=name,
            status=ProgramStatus.paused if paused else ProgramStatus.active,
            now=utcnow(),
        )
        shown = prog.name
    engine.dispose()
    word = "paused" if paused else "active"
    click.echo(
        f"'{shown}' is {word}." if changed else f"'{shown}' was already {word}; nothing changed."
    )


@program.command("pause")
@click.argument("name")
@friendly_errors
def program_pause(name: str) -> None:
    """Stop all deliveries, reminders and circles of a program until it is resumed."""
    _set_program_status(name, paused=True)


@program.command("resume")
@click.argument("name")
@friendly_errors
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
@friendly_errors
def program_configure(
    name: str,
    digest_at: str | None,
    digest_channel: str | None,
    min_group: int | None,
    team: str | None,
) -> None:
    """Change a program's digest schedule, digest channel, privacy threshold or (once) workspace."""
    from bot.models import utcnow
    from bot.programs.service import assign_team, configure
    from bot.slack.installations import choose_team

    if digest_at is None and digest_channel is None and min_group is None and team is None:
        raise UserError(
            "nothing to change: give --digest-at, --digest-channel, --min-group or --team"
        )
    settings = load_settings()
    engine, sessions = _open_database(settings)
    with session_scope(sessions) as session:
        if team is not None:
            assign_team(
                session, name=name, team_id=choose_team(session, settings, team) or "", now=utcnow()
            )
        shown = configure(
            session,
            name=name,
            digest_at=digest_at,
            digest_channel=digest_channel,
            min_group=min_group,
            now=utcnow(),
        )
    engine.dispose()
    click.echo(shown)


@cli.group()
def digest() -> None:
    """The weekly digest for program leads: preview it, or send it now."""


def _digest_for(session: Any, catalog: Any, program_name: str, week: str | None) -> Any:
    from bot.digest.service import Week, compute
    from bot.models import utcnow
    from bot.programs.service import find_program

    prog = find_program(session, program_name)
    try:
        chosen = (
            Week.parse(week, prog.timezone) if week else Week.last_complete(utcnow(), prog.timezone)
        )
    except ValueError as exc:
        raise UserError(f"--week: {exc}") from None
    return prog, compute(session, program=prog, catalog=catalog, week=chosen)


@digest.command("preview")
@click.option("--program", "program_name", required=True, help="The program.")
@click.option("--week", help="ISO week reported, e.g. 2026-W49 (default: the last complete week).")
@friendly_errors
def digest_preview(program_name: str, week: str | None) -> None:
    """Print the digest leads get for a week; sends nothing and changes nothing."""
    from bot.content.loader import load_catalog
    from bot.digest.blocks import digest_text

    settings = load_settings()
    catalog = load_catalog(settings.content_dir)
    with _read_only(settings) as session:
        _, computed = _digest_for(session, catalog, program_name, week)
        click.echo(digest_text(computed))


@digest.command("send")
@click.option("--program", "program_name", required=True, help="The program.")
@click.option("--week", help="ISO week reported, e.g. 2026-W49 (default: the last complete week).")
@friendly_errors
def digest_send(program_name: str, week: str | None) -> None:
    """Send the digest to the program's leads (and its digest channel) now."""
    from bot.content.loader import load_catalog
    from bot.core.process import worker_id
    from bot.digest import jobs
    from bot.models import utcnow
    from bot.slack import outbox
    from bot.slack.installations import WorkspaceClients

    settings = load_settings()
    if not settings.multi_workspace:
        settings.require_bot_token()
    catalog = load_catalog(settings.content_dir)
    engine, sessions = _open_database(settings)
    now = utcnow()
    with session_scope(sessions) as session:
        prog, computed = _digest_for(session, catalog, program_name, week)
        to = [r for r, _ in jobs.recipients(session, prog)]
        if not to:
            raise UserError(
                f"'{prog.name}' has no leads to send to: add one with `upward roster import` (role"
                " lead)"
            )
        jobs.enqueue(session, computed, to, now=now, manual=True)
    stats = outbox.flush(
        sessions, WorkspaceClients.from_settings(settings, engine), now=now, worker_id=worker_id()
    )
    engine.dispose()
    click.echo(
        f"Sent the {computed.week.label} digest of '{computed.program_name}' to {len(to)}"
        f" recipient(s): {stats.sent} message(s) sent"
        + (f", {stats.retried} to retry on the next tick" if stats.retried else "")
        + (f", {stats.failed} refused by Slack (see `upward program show`)" if stats.failed else "")
        + "."
    )


@cli.group()
def circles() -> None:
    """Preview and form peer circles."""


def _circle_period(catalog: Any, program: Any, month: str | None) -> Any:
    """The circle period of --month (the one starting in or covering it), or the current/next one."""
    import datetime as dt

    from bot.circles.service import periods
    from bot.core.calendar import local_day
    from bot.models import utcnow

    template = catalog.programs[program.template]
    if month:
        try:
            first = dt.date.fromisoformat(f"{month}-01")
        except ValueError:
            raise UserError(f"--month {month!r} is not YYYY-MM, e.g. 2026-12") from None
        found = [
            p
            for p in periods(program, template, until=first + dt.timedelta(days=31))
            if (p.start.year, p.start.month) == (first.year, first.month)
            or p.start <= first <= p.end
        ]
    else:
        today = local_day(utcnow(), program.timezone)
        found = [
            p
            for p in periods(program, template, until=today + dt.timedelta(days=62))
            if p.end >= today
        ]
    if not found:
        raise UserError(
            f"{program.name} has no circle period {'in ' + month if month else 'now or soon'}"
        )
    return found[0]


@circles.command("preview")
@click.option("--program", "program_name", required=True, help="The program.")
@click.option("--month", help="YYYY-MM (default: this month).")
@friendly_errors
def circles_preview(program_name: str, month: str | None) -> None:
    """Print the proposed circles with the score of each constraint; touches neither Slack nor the database."""
    from bot.circles.listeners import preview_text
    from bot.circles.service import plan_formation
    from bot.content.loader import load_catalog
    from bot.models import utcnow
    from bot.programs.service import find_program

    settings = load_settings()
    catalog = load_catalog(settings.content_dir)
    with _read_only(settings) as session:
        prog = find_program(session, program_name)
        period = _circle_period(catalog, prog, month)
        formation = plan_formation(
            session, program=prog, period=period, catalog=catalog, now=utcnow()
        )
        click.echo(preview_text(formation).replace("*", ""))


@circles.command("form")
@click.option("--program", "program_name", required=True, help="The program.")
@friendly_errors
def circles_form(program_name: str) -> None:
    """Form this period's circles now (normally `tick` does it on the first working day) and create their channels."""
    from sqlalchemy import select

    from bot.circles import jobs
    from bot.content.loader import load_catalog
    from bot.core.process import worker_id
    from bot.models import Circle, utcnow
    from bot.programs.service import find_program
    from bot.slack import outbox
    from bot.slack.installations import WorkspaceClients

    settings = load_settings()
    catalog = load_catalog(settings.content_dir)
    engine, sessions = _open_database(settings)
    client = WorkspaceClients.from_settings(settings, engine)
    now = utcnow()
    try:
        with session_scope(sessions) as session:
            prog = find_program(session, program_name)
            period = _circle_period(catalog, prog, None)
            existing = session.scalar(
                select(Circle.id).where(
                    Circle.program_id == prog.id, Circle.period_start == period.start
                )
            )
            if existing is None:
                jobs.form(session, program_id=prog.id, period=period, catalog=catalog, now=now)
            ids = list(
                session.scalars(
                    select(Circle.id).where(
                        Circle.program_id == prog.id, Circle.period_start == period.start
                    )
                )
            )
            name = prog.name
        for circle_id in ids:
            jobs.provision(sessions, client, circle_id=circle_id, catalog=catalog, now=now)
        outbox.flush(sessions, client, now=now, worker_id=worker_id())
    finally:
        engine.dispose()
    word = "already had" if existing is not None else "now has"
    click.echo(
        f"{name} {word} {len(ids)} circles for the period from {period.start:%d %b %Y}; their"
        " channels are ready."
    )


@cli.group()
def kpi() -> None:
    """List, add and retire a program's KPIs (2–3 measures executives report weekly)."""


@kpi.command("list")
@click.option("--program", "program_name", required=True, help="The program.")
@friendly_errors
def kpi_list(program_name: str) -> None:
    """Show the program's KPIs, active and retired."""
    from sqlalchemy import select

    from bot.models import OBSERVED, Kpi
    from bot.programs.service import find_program

    engine, sessions = _open_database(load_settings())
    with session_scope(sessions) as session:
        prog = find_program(session, program_name)
        rows = list(
            session.scalars(
                select(Kpi).where(Kpi.program_id == prog.id).order_by(Kpi.status, Kpi.id)
            )
        )
        lines = [
            f"{k.key:<28} {k.status.value:<8} {'mentors' if k.kind == OBSERVED else 'weekly':<8}"
            f" {k.kind:<8} {k.scale_min}–{k.scale_max}  {k.name}"
            for k in rows
        ]
        if lines:
            lines.insert(0, f"{'KEY':<28} {'STATUS':<8} {'ASKED':<8} {'KIND':<8} SCALE NAME")
    engine.dispose()
    click.echo("\n".join(lines) if lines else "No KPIs yet: add one with `upward kpi add`.")


@kpi.command("add")
@click.option("--program", "program_name", required=True, help="The program.")
@click.option("--key", required=True, help="Short id, e.g. asked-junior-first.")
@click.option("--name", "name", required=True, help="Shown in digests (up to 75 characters).")
@click.option("--question", required=True, help="What executives answer weekly with one click.")
@click.option("--kind", type=click.Choice(["count", "rating"]), default="rating", show_default=True)
@click.option(
    "--min",
    "scale_min",
    type=int,
    default=None,
    help="Lowest value (default: 0 for count, 1 for rating).",
)
@click.option("--max", "scale_max", type=int, default=5, show_default=True, help="Highest value.")
@click.option(
    "--low", "low_label", default="Not at all", show_default=True, help="Label of the lowest value."
)
@click.option(
    "--high", "high_label", default="A lot", show_default=True, help="Label of the highest value."
)
@friendly_errors
def kpi_add(
    program_name: str,
    key: str,
    name: str,
    question: str,
    kind: str,
    scale_min: int | None,
    scale_max: int,
    low_label: str,
    high_label: str,
) -> None:
    """Add a KPI; it is asked from the next weekly check-in on (at most 3 active)."""
    from bot.kpis.service import KpiError, add_kpi
    from bot.models import utcnow
    from bot.programs.service import find_program

    engine, sessions = _open_database(load_settings())
    try:
        with session_scope(sessions) as session:
            prog = find_program(session, program_name)
            added = add_kpi(
                session,
                program=prog,
                key=key,
                name=name,
                question=question,
                kind=kind,
                scale_min=(0 if kind == "count" else 1) if scale_min is None else scale_min,
                scale_max=scale_max,
                low_label=low_label,
                high_label=high_label,
                now=utcnow(),
            )
            shown = (
                f"Added KPI '{added.key}' to '{prog.name}' ({added.kind},"
                f" {added.scale_min}–{added.scale_max})."
            )
    except KpiError as exc:
        raise UserError(str(exc)) from None
    finally:
        engine.dispose()
    click.echo(shown)


@kpi.command("retire")
@click.argument("key")
@click.option("--program", "program_name", required=True, help="The program.")
@friendly_errors
def kpi_retire(key: str, program_name: str) -> None:
    """Stop asking a KPI; its history stays in digests and exports."""
    from bot.kpis.service import KpiError, active_kpis, retire_kpi
    from bot.models import utcnow
    from bot.programs.service import find_program

    engine, sessions = _open_database(load_settings())
    try:
        with session_scope(sessions) as session:
            prog = find_program(session, program_name)
            retire_kpi(session, program=prog, key=key, now=utcnow())
            left = len(active_kpis(session, prog.id))
    except KpiError as exc:
        raise UserError(str(exc)) from None
    finally:
        engine.dispose()
    click.echo(
        f"Retired '{key}'. {left} active KPI(s) remain"
        + (" (the playbook suggests 2–3)." if left < 2 else ".")
    )


@cli.group()
def roster() -> None:
    """Import people and their roles into a program."""


@roster.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--program", "program_name", required=True, help="The program to add people to.")
@friendly_errors
def roster_import(file: Path, program_name: str) -> None:
    """Add or update people from a CSV FILE (re-importing the same file changes nothing).

    Columns: slack_user_id or email, role (executive, mentor, lead); optional timezone, country,
    department, display_name. Missing time zones are read from Slack (users.info).
    """
    from bot.content.loader import load_catalog
    from bot.models import utcnow
    from bot.programs.service import find_program
    from bot.roster.enroll import enroll
    from bot.roster.service import parse_roster, read_roster_file
    from bot.slack.directory import SlackDirectory
    from bot.slack.installations import WorkspaceClients

    settings = load_settings()
    try:
        text = read_roster_file(file)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    rows, problems = parse_roster(text, filename=str(file))
    catalog = load_catalog(settings.content_dir)
    engine, sessions = _open_database(settings)
    with session_scope(sessions) as session:
        team_id = find_program(session, program_name).team_id
    # People are looked up in the program's own workspace (its token is read outside the write below).
    directory = SlackDirectory(WorkspaceClients.from_settings(settings, engine).for_team(team_id))
    with session_scope(sessions) as session:
        prog = find_program(session, program_name)
        report = enroll(
            session,
            program=prog,
            rows=rows,
            directory=directory,
            catalog=catalog,
            filename=str(file),
            now=utcnow(),
        )
    engine.dispose()
    for problem in problems + report.problems:
        click.echo(problem, err=True)
    click.echo(
        f"{file}: {report.people_added} people added, {report.people_updated} updated, "
        f"{report.roles_added} roles added, {report.unchanged} unchanged"
        + (
            f"; {len(problems) + len(report.problems)} row(s) skipped (see above)."
            if problems or report.problems
            else "."
        )
    )
    if problems or report.problems:
        sys.exit(1)


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _parse_instant(value: str, option: str) -> Any:
    import datetime as dt

    try:
        instant = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(
            f"{option} {value!r} is not an ISO-8601 instant, e.g. 2026-12-01T09:00:00+01:00"
        ) from None
    return instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC)


def _parse_duration(value: str) -> Any:
    import datetime as dt
    import re

    match = re.fullmatch(r"\s*(\d+)\s*([smhdw])\s*", value.lower())
    if not match or int(match.group(1)) == 0:
        raise UserError(
            f"--every {value!r} is not a duration: use a number and a unit, e.g. 30m, 1h, 1d"
        )
    return dt.timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


@cli.command()
@click.option(
    "--at", "at", help="Run as of this ISO-8601 instant (default: now; no offset means UTC)."
)
@click.option(
    "--until",
    "until",
    help="Fast-forward: step from --at to this instant, running the duties at each step.",
)
@click.option(
    "--every",
    "every",
    default="1h",
    show_default=True,
    help="Step size with --until: 15m, 1h, 1d, ...",
)
@friendly_errors
def tick(at: str | None, until: str | None, every: str) -> None:
    """Run every due duty once as of an instant (now by default) and exit.

    Idempotent: running it twice for the same instant sends nothing twice.
    """
    from bot.content.loader import load_catalog
    from bot.models import utcnow
    from bot.slack.installations import WorkspaceClients
    from bot.tick import run_tick

    start = _parse_instant(at, "--at") if at else utcnow()
    end = _parse_instant(until, "--until") if until else start
    step = _parse_duration(every)
    if end < start:
        raise UserError("--until is before --at: give an end after the start")
    if (end - start) / step > 100_000:
        raise UserError("that is more than 100,000 steps: use a larger --every")
    settings = load_settings()
    catalog = load_catalog(settings.content_dir)
    engine, sessions = _open_database(settings)
    client = WorkspaceClients.from_settings(settings, engine)
    totals = {"modules": 0, "reminders": 0, "sent": 0, "failed": 0}
    now = start
    try:
        while now <= end:
            report = run_tick(sessions, client, catalog=catalog, now=now)
            if report.busy or start == end:
                click.echo(report.line())
            for name in totals:
                totals[name] += getattr(report, name)
            now += step
    finally:
        engine.dispose()
    if start != end:
        click.echo(
            f"{start.isoformat(timespec='minutes')} → {end.isoformat(timespec='minutes')}:"
            f" {totals['modules']} modules and {totals['reminders']} reminders queued,"
            f" {totals['sent']} messages sent"
            + (
                f", {totals['failed']} failed (see `upward program show`)"
                if totals["failed"]
                else ""
            )
        )


@cli.command()
@click.option(
    "--interval",
    default=60,
    show_default=True,
    type=click.IntRange(5, 3600),
    help="Seconds between ticks.",
)
@friendly_errors
def worker(interval: int) -> None:
    """Run the duties every minute until stopped (SIGTERM finishes the current tick, then exits)."""
    from bot.logs import configure_logging
    from bot.worker import run_worker

    settings = load_settings()
    configure_logging(settings.log_format)
    if not settings.multi_workspace:
        settings.require_bot_token()
    engine, _ = _open_database(settings)
    engine.dispose()
    run_worker(settings, interval_seconds=interval)


@cli.command()
@click.option(
    "--out",
    "out",
    default="upward-demo",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Folder for the transcript (index.html), the demo's database and its log.",
)
@friendly_errors
def demo(out: Path) -> None:
    """Run a 4-week pilot in fast-forward on SQLite and a local Slack stand-in, and write a transcript.

    Needs no Slack workspace and no network: simulated people click what Upward posts. Prints a
    summary and the final weekly digest, and writes OUT/index.html with what everyone saw in Slack.
    """
    from bot.demo.run import DemoError, run_demo

    try:
        run_demo(out, echo=click.echo)
    except DemoError as exc:
        raise UserError(str(exc)) from None


def _register_extensions() -> None:
    from bot.governance.commands import register

    register(cli)


_register_extensions()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="upward")
