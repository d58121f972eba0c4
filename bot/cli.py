"""The `upward` command: thin wrappers that parse arguments, call services and print results."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from bot.config import ConfigError, Settings, load_settings
from bot.content.loader import ContentError, check_catalog
from bot.db import DatabaseUnavailable, check_database, describe_db_error, make_engine

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
    state = "up to date" if current == head else f"behind (newest is {head}): run `upward db upgrade`"
    click.echo(f"{settings.database.render_as_string(hide_password=True)}: revision {current or 'none'}, {state}")


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
    root = path if path is not None else load_settings().content_dir
    catalog, problems = check_catalog(root)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        files = len({p.file for p in problems})
        click.echo(f"{len(problems)} problem(s) in {files} file(s); fix them and run this again.", err=True)
        sys.exit(1)
    click.echo(
        f"{root}: {len(catalog.modules)} modules, {len(catalog.prompts)} circle prompts, "
        f"{len(catalog.programs)} program templates; all valid."
    )


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="upward")
