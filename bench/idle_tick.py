"""An idle tick with 1,000 and 10,000 people enrolled: SQL statements issued and time.

    python bench/idle_tick.py [--quick] [--backend sqlite|postgresql] [--postgres-url URL]

Each size gets a fresh database (bench/enrolled.py: a pilot program, everyone planned, the first
module sent) and `run_tick` runs at a moment when nothing is due (Wednesday 14:00, inside the
delivery window). Every statement the tick sends to the database is counted with a SQLAlchemy
`before_cursor_execute` listener. One warm-up tick, then RUNS timed ticks. Exits 1 when the count
differs between the sizes (it must not grow with the roster) or when PostgreSQL's median at the
larger size is TARGET_MS or more. `--quick`: 200 and 2,000 people.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, event

from bench.common import POSTGRES_URL, Row, database, report
from bench.enrolled import IDLE_AT, enroll, first_modules_sent
from bot.config import Settings
from bot.content.loader import load_catalog
from bot.db import make_engine, make_session_factory
from bot.sandbox import DEMO_SEED_PATH, SlackStandIn
from bot.slack.client import make_web_client
from bot.tick import run_tick

TARGET_MS = 50.0
RUNS = 7
SIZES, QUICK_SIZES = (1_000, 10_000), (200, 2_000)


@dataclass
class Result:
    backend: str
    people: int
    queries: list[int]
    times: list[float]  # seconds
    slack_calls: int
    busy: list[str]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times) * 1000


@contextmanager
def counted(engine: Engine) -> Iterator[list[str]]:
    """While open, every SQL statement the engine sends is appended to the list."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _many):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def measure(backend: str, people: int, tmp: Path, postgres_url: str = POSTGRES_URL) -> Result:
    """A fresh enrolled program, then RUNS idle ticks a minute apart (after one warm-up)."""
    catalog = load_catalog()
    name = f"upward_bench_idle_{people}"
    with (
        database(backend, name, tmp, postgres_url) as url,
        SlackStandIn(DEMO_SEED_PATH, rate_limits=False) as slack,
    ):
        engine = make_engine(url)
        try:
            program_id = enroll(engine, catalog, people)
            first_modules_sent(engine, program_id)
            sessions = make_session_factory(engine)
            client = make_web_client(
                Settings(slack_api_url=slack.api_url, slack_bot_token=slack.bot_token)
            )
            before = len(slack.workspace.calls)
            queries, times, busy = [], [], []
            for minute in range(RUNS + 1):
                with counted(engine) as statements:
                    start = time.perf_counter()
                    report = run_tick(
                        sessions,
                        client,
                        catalog=catalog,
                        now=IDLE_AT + dt.timedelta(minutes=minute),
                    )
                    elapsed = time.perf_counter() - start
                if report.busy:
                    busy.append(report.line())
                if minute:  # the first is the warm-up
                    queries.append(len(statements))
                    times.append(elapsed)
            return Result(
                backend, people, queries, times, len(slack.workspace.calls) - before, busy
            )
        finally:
            engine.dispose()


def run(
    backends: list[str], sizes: tuple[int, int], postgres_url: str = POSTGRES_URL
) -> dict[tuple[str, int], Result]:
    with tempfile.TemporaryDirectory(prefix="upward-bench-idle-") as tmp:
        return {(b, n): measure(b, n, Path(tmp), postgres_url) for b in backends for n in sizes}


def table_rows(results: dict[tuple[str, int], Result], sizes: tuple[int, int]) -> list[Row]:
    """One row per backend: the larger size's count and time beside the smaller's."""
    small, large = sizes
    rows = []
    for backend in dict.fromkeys(b for b, _ in results):
        big, little = results[backend, large], results[backend, small]
        constant = len(set(big.queries) | set(little.queries)) == 1
        pg = backend == "postgresql"
        ok = (
            constant
            and not big.busy
            and not little.busy
            and big.slack_calls == 0
            and (big.median_ms < TARGET_MS or not pg)
        )
        notes = [f"{backend}: the tick was busy: {line}" for line in big.busy + little.busy]
        if big.slack_calls or little.slack_calls:
            notes.append(
                f"{backend}: the idle tick called Slack {big.slack_calls + little.slack_calls}"
                " times"
            )
        rows.append(
            Row(
                f"idle tick, {backend}, {large:,} enrolled",
                f"{_counts(big)} queries, median {big.median_ms:.1f} ms, worst"
                f" {max(big.times) * 1000:.1f} ms",
                f"{small:,} enrolled: {_counts(little)} queries, {little.median_ms:.1f} ms",
                "same query count" + (f"; < {TARGET_MS:g} ms" if pg else ""),
                ok,
                tuple(notes),
            )
        )
    return rows


def _counts(result: Result) -> str:
    return "/".join(str(n) for n in sorted(set(result.queries)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 and 2,000 people")
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgresql"),
        action="append",
        help="only this one (repeatable)",
    )
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    args = parser.parse_args()
    sizes = QUICK_SIZES if args.quick else SIZES
    results = run(args.backend or ["postgresql", "sqlite"], sizes, args.postgres_url)
    print(f"{'backend':<11}{'enrolled':>9}{'queries':>9}{'median ms':>11}{'worst ms':>10}")
    for (backend, people), r in results.items():
        print(
            f"{backend:<11}{people:>9,}{_counts(r):>9}{r.median_ms:>11.1f}"
            f"{max(r.times) * 1000:>10.1f}"
        )
    return report(table_rows(results, sizes))


if __name__ == "__main__":
    sys.exit(main())
