"""Shared fixtures: every database test runs on SQLite and on PostgreSQL, schema from migrations.

Each test gets a Session inside a transaction that is rolled back afterwards, so tests never see
each other's rows; code under test may commit freely (commits become savepoint releases).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from bot.migrate import upgrade
from tests.dbs import BACKENDS, check_postgres_reachable, engine_for, scratch_database


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend under test: 'sqlite' or 'postgresql'."""
    if request.param == "postgresql":
        problem = check_postgres_reachable()
        if problem:
            # Fail, never skip: a green run must mean PostgreSQL was really tested.
            pytest.fail(problem, pytrace=False)
    return request.param


@pytest.fixture(scope="session")
def migrated_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[URL]:
    """A database of the current backend, migrated to head once per test session."""
    with scratch_database(backend, tmp_path_factory.mktemp(backend)) as url:
        engine = engine_for(url)
        upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture(scope="session")
def engine(migrated_url: URL) -> Iterator[Engine]:
    eng = engine_for(migrated_url)
    yield eng
    eng.dispose()


@pytest.fixture()
def session(engine: Engine) -> Iterator[Session]:
    """A session whose every change is rolled back at the end of the test."""
    connection = engine.connect()
    outer = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db
    finally:
        db.close()
        outer.rollback()
        connection.close()


@pytest.fixture()
def empty_database(backend: str, tmp_path: object) -> Iterator[URL]:
    """A brand-new, unmigrated database of the current backend (for migration and CLI tests)."""
    with scratch_database(backend, tmp_path) as url:  # type: ignore[arg-type]
        yield url
