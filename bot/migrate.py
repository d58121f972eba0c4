"""Run Alembic from Python: `upward db upgrade`, the tests and the demo all come through here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at migrations/, optionally bound to an open connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision` in one transaction (PostgreSQL and SQLite both roll back
    DDL)."""
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)


def head_revision() -> str | None:
    """The newest revision in migrations/."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it has never been migrated."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@dataclass(frozen=True)
class Schema:
    """The revisions this code knows, read once: whether a database's schema is behind it."""

    head: str | None
    known: frozenset[str]

    @classmethod
    def of_migrations(cls) -> Schema:
        script = ScriptDirectory.from_config(alembic_config())
        known = frozenset(r.revision for r in script.walk_revisions())
        return cls(script.get_current_head(), known)

    def problem(self, engine: Engine) -> str | None:
        """Why this code cannot work on the database's schema; None when it is current (or newer
        than this code, as while a deploy rolls out after `upward db upgrade`)."""
        current = current_revision(engine)
        if current is None:
            return "the database has no schema: run `upward db upgrade`"
        if current != self.head and current in self.known:
            return (
                f"the database's schema is at revision {current}, behind this code's {self.head}:"
                " run `upward db upgrade`"
            )
        return None
