"""What a command runs against, built lazily once per invocation and kept on the click context.

`Runtime` holds the settings, the content catalog, the engine and its session factory, and the
Slack clients; each is made the first time a command asks for it. The engine is disposed in one
place, `close()`, which the root group registers with `ctx.call_on_close`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import cached_property
from typing import TYPE_CHECKING

import click

from bot.cli.errors import UserError

# Settings (pydantic), the catalog (YAML, pydantic) and the database (SQLAlchemy) are imported
# when a command first asks for them: `upward --help` and the commands that need none start fast.
if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from bot.config import Settings
    from bot.content.loader import Catalog
    from bot.slack.installations import WorkspaceClients


class Runtime:
    """Settings, catalog, database and Slack clients for one `upward` invocation."""

    def __init__(self) -> None:
        self._engine: Engine | None = None

    @cached_property
    def settings(self) -> Settings:
        from bot.config import load_settings

        return load_settings()

    @property
    def loaded_settings(self) -> Settings | None:
        """The settings if a command has loaded them already (the error handler's view)."""
        return self.__dict__.get("settings")

    @cached_property
    def catalog(self) -> Catalog:
        from bot.content.loader import load_catalog

        return load_catalog(self.settings.content_dir)

    @property
    def engine(self) -> Engine:
        """The engine, made and checked (reachable, at the newest schema) on first use."""
        if self._engine is None:
            from bot.db import check_database, make_engine
            from bot.migrate import current_revision, head_revision  # alembic: heavy

            engine = make_engine(self.settings.database)
            self._engine = engine
            check_database(engine)
            if current_revision(engine) != head_revision():
                raise UserError(
                    f"the database {self.where} is not at the newest schema: run `upward db"
                    " upgrade` first"
                )
        return self._engine

    def raw_engine(self) -> Engine:
        """An engine checked for reachability only (the schema commands look at the schema)."""
        from bot.db import check_database, make_engine

        if self._engine is None:
            self._engine = make_engine(self.settings.database)
        check_database(self._engine)
        return self._engine

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        from bot.db import make_session_factory

        return make_session_factory(self.engine)

    @cached_property
    def clients(self) -> WorkspaceClients:
        from bot.slack.installations import WorkspaceClients

        return WorkspaceClients.from_settings(self.settings, self.engine)

    @property
    def where(self) -> str:
        """The database URL as shown to the person (no user name, password or other credential)."""
        from bot.core.credentials import shown_url

        return shown_url(self.settings.database)

    def session(self) -> contextlib.AbstractContextManager[Session]:
        """One unit of work: committed on success, rolled back on error."""
        from bot.db import session_scope

        return session_scope(self.sessions)

    @contextlib.contextmanager
    def read_only(self) -> Iterator[Session]:
        """A session whose work is always rolled back (previews change nothing)."""
        session = self.sessions()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def close(self) -> None:
        """Dispose of the engine, if one was made (safe to call more than once)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def runtime() -> Runtime:
    """The current invocation's runtime (made, and its close registered, on first use)."""
    ctx = click.get_current_context()
    root = ctx.find_root()
    if not isinstance(root.obj, Runtime):
        root.obj = Runtime()
        root.call_on_close(root.obj.close)
    return root.obj
