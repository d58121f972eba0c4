"""The CLI's one error handler: a known failure is one line `upward: error: ...`, exit status 1.

`UpwardGroup.invoke` wraps every command once, so no command catches errors itself. A person's
errors (`bot.errors.UpwardError`: refusals and invalid input) print their text; configuration and
database failures say what to fix; anything else says nothing was changed, and UPWARD_DEBUG=1
re-raises it with its traceback.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import click

from bot.core.words import count
from bot.errors import UpwardError

if TYPE_CHECKING:
    from bot.config import Settings


class UserError(click.ClickException):
    """An error the person can act on: printed as one line, exit status 1, no traceback."""

    def format_message(self) -> str:
        return self.message

    def show(self, file: Any = None) -> None:
        click.echo(f"upward: error: {self.format_message()}", err=True)


def translate(exc: Exception, settings: Settings | None) -> UserError:
    """The one line a failure is shown as (raises `exc` again under UPWARD_DEBUG if unknown)."""
    # Imported only once a command has failed (most that raise these have loaded them anyway).
    from sqlalchemy.exc import DBAPIError

    from bot.config import ConfigError
    from bot.content.loader import ContentError
    from bot.db import DatabaseUnavailable, WorkerLocked, describe_db_error

    # Infrastructure failures, told to the operator running the command; they stay outside
    # UpwardError so a listener never tells a person in Slack about the database or the .env file.
    if isinstance(exc, (UpwardError, ConfigError, DatabaseUnavailable, WorkerLocked)):
        return UserError(str(exc))
    if isinstance(exc, ContentError):
        return UserError(
            f"the content catalog has {count(len(exc.problems), 'problem')}, first:"
            f" {exc.problems[0]} "
            "(run `upward content validate` for all)"
        )
    if os.environ.get("UPWARD_DEBUG"):
        raise exc
    if isinstance(exc, DBAPIError):
        settings = settings or _settings_or_none()
        if settings is not None:
            return UserError(describe_db_error(settings.database, exc))
    return UserError(
        f"unexpected {type(exc).__name__}: {exc}. Nothing was changed. "
        "Set UPWARD_DEBUG=1 to see the traceback and report it."
    )


def _settings_or_none() -> Settings | None:
    from bot.config import ConfigError, load_settings

    try:
        return load_settings()
    except ConfigError:
        return None


class UpwardGroup(click.Group):
    """A click group that runs its commands inside the one error handler."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            # The Runtime (bot.cli.runtime), if the command made one: its settings, if loaded.
            settings = getattr(ctx.find_root().obj, "loaded_settings", None)
            raise translate(exc, settings) from None
