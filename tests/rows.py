"""What a test's database holds, so a test can show that a refused action wrote nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Base


def snapshot(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of Upward's, in primary-key order (pending changes flushed
    first)."""
    session.flush()
    return {
        table.name: [
            tuple(row) for row in session.execute(select(table).order_by(*table.primary_key))
        ]
        for table in Base.metadata.sorted_tables
    }


@contextmanager
def writes_nothing(session: Session) -> Iterator[None]:
    """Fail unless the block leaves every table as it found it (checked after a flush, so changes
    made to loaded objects count too)."""
    before = snapshot(session)
    yield
    assert snapshot(session) == before, "the database changed"
