"""`upward db`: the database schema (Alembic migrations)."""

from __future__ import annotations

import sys

import click

from bot.cli.runtime import runtime


@click.group()
def db() -> None:
    """Manage the database schema (Alembic migrations)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def db_upgrade(revision: str) -> None:
    """Bring the database at DATABASE_URL up to the newest schema (safe to run again)."""
    from bot.migrate import current_revision, upgrade  # alembic: heavy, only the db commands

    rt = runtime()
    engine = rt.raw_engine()
    before = current_revision(engine)
    upgrade(engine, revision)
    after = current_revision(engine)
    if before == after:
        click.echo(f"{rt.where} is already at revision {after}; nothing to do.")
    else:
        click.echo(f"{rt.where} upgraded from {before or 'an empty database'} to revision {after}.")


@db.command("current")
def db_current() -> None:
    """Show the schema revision of the database; exit status 1 when it is not the newest."""
    from bot.migrate import current_revision, head_revision  # alembic: heavy

    rt = runtime()
    current = current_revision(rt.raw_engine())
    head = head_revision()
    if current == head:
        click.echo(f"{rt.where}: revision {current}, up to date")
        return
    state = "no schema yet" if current is None else f"behind (newest is {head})"
    click.echo(f"{rt.where}: revision {current or 'none'}, {state}: run `upward db upgrade`")
    sys.exit(1)
