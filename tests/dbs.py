"""Scratch databases for tests: a fresh SQLite file or a fresh PostgreSQL database, migrated."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url

from bot.config import parse_database_url
from bot.db import make_engine

# The server CI and developers run; `test` is the database we connect to in order to create ours.
POSTGRES_ADMIN_URL = os.environ.get(
    "UPWARD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")


def postgres_admin_dsn() -> str:
    url = make_url(POSTGRES_ADMIN_URL)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def check_postgres_reachable() -> str | None:
    """None when the test server answers, else why not (the PostgreSQL half fails on it)."""
    try:
        with psycopg.connect(postgres_admin_dsn(), connect_timeout=5):
            return None
    except psycopg.Error as exc:
        return (
            f"PostgreSQL at {make_url(POSTGRES_ADMIN_URL).render_as_string(hide_password=True)} "
            f"is unreachable ({' '.join(str(exc).split())}). Start it with "
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` "
            "or set UPWARD_TEST_POSTGRES_URL."
        )


@contextmanager
def scratch_database(backend: str, tmp_dir: Path) -> Iterator[URL]:
    """A brand-new empty database of `backend`, dropped afterwards."""
    if backend == "sqlite":
        path = tmp_dir / f"upward-{uuid.uuid4().hex[:8]}.db"
        yield parse_database_url(f"sqlite:///{path}")
        return
    name = f"upward_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    _drop_stale_databases()
    with psycopg.connect(postgres_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield parse_database_url(POSTGRES_ADMIN_URL).set(database=name)
    finally:
        with psycopg.connect(postgres_admin_dsn(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _drop_stale_databases() -> None:
    """Drop databases left by test runs whose process is gone (a killed run cleans up next time)."""
    with psycopg.connect(postgres_admin_dsn(), autocommit=True) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE 'upward_test_%'"
            )
        ]
        for name in names:
            match = re.match(r"upward_test_(\d+)_", name)
            if match and not _pid_alive(int(match.group(1))):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def engine_for(url: URL) -> Engine:
    return make_engine(url)
