"""Engine, session factory and the one `session_scope()` that commits or rolls back."""

from __future__ import annotations

import datetime as dt
import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.core.credentials import MASK, shown_url, url_credentials
from bot.core.process import worker_id

CONNECT_TIMEOUT_SECONDS = 5


class DatabaseUnavailable(Exception):
    """The database cannot be reached or opened; the message says which and what to try."""


def make_engine(url: URL, **kwargs: object) -> Engine:
    """Create an engine tuned for Upward: pre-ping on servers, sane transactions on SQLite."""
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine, in_memory=url.database in (None, "", ":memory:"))
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 5)
    kwargs.setdefault("max_overflow", 10)
    # A server that stops answering (a network fault, not a refused connection) must not hang a
    # request or a tick until gunicorn kills it: give up connecting after a few seconds.
    if "connect_timeout" not in url.query:
        kwargs.setdefault("connect_args", {"connect_timeout": CONNECT_TIMEOUT_SECONDS})
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine, *, in_memory: bool) -> None:
    # pysqlite opens transactions lazily and never around SAVEPOINT; take over BEGIN ourselves so
    # transactions and savepoints behave as on PostgreSQL (SQLAlchemy's documented recipe).
    # IMMEDIATE takes the write lock up front: in WAL mode a transaction that has read and then
    # writes after another connection committed fails at once (SQLITE_BUSY_SNAPSHOT), whatever the
    # busy timeout; taking the lock first makes concurrent writers wait their turn instead.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded attributes after commit (rows are read after the boundary)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error, always close."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class WorkerLocked(Exception):
    """Another process sending from this SQLite database is running; the message says what to do."""


def sqlite_worker_lock(url: URL) -> IO[str] | None:
    """On SQLite, hold an exclusive lock for as long as this process sends (`upward worker`, or
    one `upward tick`), so a second one refuses to start: SQLite supports one sender at a time."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = Path(url.database).resolve().with_suffix(".worker.lock")
    handle = path.open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise WorkerLocked(
            f"another `upward worker` is already running on {url.database} (or an `upward tick`):"
            " SQLite supports one at a time. Stop the other one, or move to PostgreSQL to run"
            " several"
        ) from None
    handle.write(worker_id())
    handle.flush()
    return handle


def db_now(session: Session) -> dt.datetime:
    """The database server's clock, in UTC: what claims and leases are judged by.

    Processes disagree about the time (a `tick --at` runs at a simulated instant; hosts drift),
    so a claim's expiry is never read off a process's own clock.
    """
    if session.get_bind().dialect.name == "sqlite":
        stamp = session.execute(text("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')")).scalar_one()
        return dt.datetime.fromisoformat(stamp).replace(tzinfo=dt.UTC)
    value = session.execute(text("SELECT CURRENT_TIMESTAMP")).scalar_one()
    return value.astimezone(dt.UTC)


def check_database(engine: Engine) -> None:
    """Raise DatabaseUnavailable with an actionable message unless a trivial query works."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (OperationalError, DBAPIError) as exc:
        raise DatabaseUnavailable(describe_db_error(engine.url, exc)) from None


def describe_db_error(url: URL, exc: BaseException) -> str:
    """One line: which database, what went wrong, what to check. No user name, password or other
    credential of the URL, in the URL shown or in the server's words."""
    shown = shown_url(url)
    orig = getattr(exc, "orig", None) or exc
    reason = " ".join(str(orig).split())
    for secret in url_credentials(url):
        # a short one only where the server quotes it, not every 'ab' in a word
        reason = reason.replace(secret if len(secret) >= 4 else f'"{secret}"', MASK)
    if url.username:  # 'password authentication failed for user "upward"'
        reason = reason.replace(f'"{url.username}"', f'"{MASK}"')
    if len(reason) > 240:
        reason = reason[:237] + "..."
    if url.get_backend_name() == "sqlite":
        hint = "check that the folder exists and is writable"
    else:
        hint = (
            "check that the server is running and DATABASE_URL's host, port, user and database are"
            " right"
        )
    return f"cannot use the database {shown}: {reason} ({hint})"
