"""What the benchmarks share: scratch databases, bulk loading, the machine, and one table row."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import JSON, Engine, insert  # noqa: E402
from sqlalchemy.engine import URL  # noqa: E402

from bot.config import parse_database_url  # noqa: E402
from bot.models import Base, UTCDateTime  # noqa: E402
from bot.slack.records import Record  # noqa: E402

POSTGRES_URL = os.environ.get(
    "UPWARD_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
UTC = dt.UTC


@dataclass
class Row:
    """One line of the benchmark table: what was measured, against what, and whether it passed."""

    benchmark: str
    measured: str
    reference: str
    target: str
    ok: bool
    notes: tuple[str, ...] = ()


def _admin_dsn(postgres_url: str) -> str:
    return (
        parse_database_url(postgres_url)
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )


@contextmanager
def database(backend: str, name: str, tmp: Path, postgres_url: str = POSTGRES_URL) -> Iterator[URL]:
    """An empty database for one run: a SQLite file in `tmp`, or a PostgreSQL database dropped
    afterwards."""
    if backend == "sqlite":
        yield parse_database_url(f"sqlite:///{tmp / f'{name}.db'}")
        return
    admin = _admin_dsn(postgres_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield parse_database_url(postgres_url).set(database=name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Loader:
    """Bulk inserts of generated rows: COPY on PostgreSQL, one executemany per chunk on SQLite."""

    def __init__(self, engine: Engine):
        self.engine, self.postgres = engine, engine.dialect.name == "postgresql"
        self.raw = engine.raw_connection() if self.postgres else None

    def load(self, model: type[Base], rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if not self.postgres:
            with self.engine.begin() as conn:
                conn.execute(insert(model), rows)
            return
        table = model.__table__  # type: ignore[attr-defined]
        columns = list(rows[0])
        naive = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, UTCDateTime)]
        as_json = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, JSON)]
        with (
            self.raw.cursor() as cur,
            cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                values = list(row.values())
                for i in naive:  # the columns hold naive UTC (see UTCDateTime)
                    if values[i] is not None:
                        values[i] = values[i].astimezone(UTC).replace(tzinfo=None)
                for i in as_json:
                    values[i] = json.dumps(values[i])
                copy.write_row(values)
        self.raw.commit()

    def close(self) -> None:
        if self.raw is not None:
            self.raw.close()


def outbox_columns(record: Record) -> dict[str, Any]:
    """The columns bot.slack.outbox.enqueue writes for a record, for a bulk load of outbox rows."""
    return dict(
        idempotency_key=record.key,
        purpose=record.purpose.value,
        subject_id=record.subject_id,
        period=record.period,
    )


def analyze(engine: Engine) -> None:
    """Fresh planner statistics after a bulk load (PostgreSQL; Upward never ANALYZEs SQLite)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")


def machine(postgres_url: str = POSTGRES_URL) -> str:
    """One line: date, cores, memory, load, Python, SQLite and PostgreSQL versions."""
    import sqlite3

    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        memory = f"{pages * size / 2**30:.0f} GB RAM"
    except (ValueError, OSError):
        memory = "RAM unknown"
    try:
        with psycopg.connect(_admin_dsn(postgres_url), connect_timeout=5) as conn:
            pg = "PostgreSQL " + str(conn.execute("SHOW server_version").fetchone()[0]).split()[0]
    except psycopg.Error:
        pg = "PostgreSQL unreachable"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {platform.node() or 'this machine'}:"
        f" {os.cpu_count()} cores, {memory}, load average {load}; Python"
        f" {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {pg}"
    )


def print_table(rows: list[Row], out: Any = None) -> None:
    """The rows as one aligned text table (notes under the table)."""
    out = out or sys.stdout
    header = ("benchmark", "measured", "reference / bound", "target", "")
    cells = [header] + [
        (r.benchmark, r.measured, r.reference, r.target, "PASS" if r.ok else "FAIL") for r in rows
    ]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    for n, cell in enumerate(cells):
        print("  ".join(v.ljust(w) for v, w in zip(cell, widths, strict=False)).rstrip(), file=out)
        if n == 0:
            print("  ".join("-" * w for w in widths), file=out)
    notes = [(r.benchmark, note) for r in rows for note in r.notes]
    if notes:
        print(file=out)
    for name, note in notes:
        print(f"{name}: {note}", file=out)


def print_markdown(rows: list[Row], out: Any = None) -> None:
    """The rows as a Markdown table (for bench/README.md), notes as a list under it."""
    out = out or sys.stdout
    print("| benchmark | measured | reference / bound | target | |", file=out)
    print("|---|---|---|---|---|", file=out)
    for r in rows:
        print(
            f"| {r.benchmark} | {r.measured} | {r.reference} | {r.target} |"
            f" {'PASS' if r.ok else 'FAIL'} |",
            file=out,
        )
    notes = [(r.benchmark, note) for r in rows for note in r.notes]
    if notes:
        print(file=out)
    for name, note in notes:
        print(f"- {name}: {note}", file=out)


def upward_env(url: URL, slack: Any) -> dict[str, str]:
    """The environment of an `upward` process on `url` talking to the stand-in `slack` (nothing
    inherited of ours)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DATABASE_URL", "UPWARD_"))
    }
    env.update(
        DATABASE_URL=url.render_as_string(hide_password=False),
        SLACK_API_URL=slack.api_url,
        SLACK_BOT_TOKEN=slack.bot_token,
        SLACK_SIGNING_SECRET=slack.signing_secret,
    )
    return env


def report(rows: list[Row]) -> int:
    """A script's own summary: one PASS/FAIL line per row with its notes; the exit status."""
    for row in rows:
        print(
            f"{'PASS' if row.ok else 'FAIL'}  {row.benchmark}: {row.measured} ({row.reference};"
            f" target {row.target})"
        )
        for note in row.notes:
            print(f"      {note}")
    return 0 if all(r.ok for r in rows) else 1
