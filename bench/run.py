"""Every benchmark in one run, one table: python bench/run.py [--quick] [--only NAME ...]
[--markdown]

Each row is measured in this run beside its reference (the bare Bolt app, the rate limits' lower
bound, the smaller program, ...), on this machine, from data the scripts generate. Exits 1 when any
target is missed (the test suite never runs these). Names, in the order they run:

    ack      ack latency at 50 concurrent clicks, `upward serve` vs a bare Bolt app (PostgreSQL)
    fanout   10,000 module DMs through the rate-limited stand-in vs the limits' lower bound
    digest   the weekly digest of 10,000 executives with a year of data (SQLite and PostgreSQL)
    circles  circle formation for 10,000 people
    idle     an idle tick with 10,000 enrolled: SQL statements and time (PostgreSQL and SQLite)
    memory   peak RSS of an `upward worker` with 10,000 enrolled through a busy tick
    startup  how long `upward --help` takes to start and exit, beside `python -c 'import click'`
    slow     /healthz and signed clicks with 50 slow or idle clients connected to `upward serve`

`--quick` runs every benchmark at a smaller size (a smoke run of the harness, ~3.5 minutes); its
figures are not the targets' figures. The full run takes about 13 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import (
    ack_latency,
    circle_formation,
    digest,
    fanout,
    idle_tick,
    slow_clients,
    startup,
    worker_memory,
)
from bench.common import POSTGRES_URL, Row, machine, print_markdown, print_table


def benchmarks(quick: bool, postgres_url: str) -> dict[str, Callable[[], list[Row]]]:
    """Each benchmark's rows, by name, at full or quick size."""
    return {
        "ack": lambda: ack_latency.table_rows(
            ack_latency.run(requests=200 if quick else 1000, postgres_url=postgres_url)
        ),
        "fanout": lambda: fanout.table_rows(
            fanout.measure(
                fanout.QUICK_PEOPLE if quick else fanout.PEOPLE, fanout.TIME_SCALE, postgres_url
            )
        ),
        "digest": lambda: digest.table_rows(
            digest.run(
                ["postgresql", "sqlite"],
                sizes := digest.QUICK_SIZES if quick else digest.SIZES,
                postgres_url,
            ),
            sizes,
        ),
        "circles": lambda: circle_formation.table_rows(1_000 if quick else 10_000),
        "idle": lambda: idle_tick.table_rows(
            idle_tick.run(
                ["postgresql", "sqlite"],
                sizes := idle_tick.QUICK_SIZES if quick else idle_tick.SIZES,
                postgres_url,
            ),
            sizes,
        ),
        "memory": lambda: worker_memory.table_rows(
            worker_memory.measure(
                worker_memory.QUICK_PEOPLE if quick else worker_memory.PEOPLE, postgres_url
            )
        ),
        "startup": lambda: startup.table_rows(5 if quick else startup.RUNS),
        "slow": lambda: slow_clients.table_rows(slow_clients.run(seconds=3 if quick else 10)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0].split(":")[0])
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes: a smoke run of the harness"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=("ack", "fanout", "digest", "circles", "idle", "memory", "startup", "slow"),
        help="run only this benchmark (repeatable)",
    )
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument(
        "--postgres-url", default=POSTGRES_URL, help="the server scratch databases are created on"
    )
    args = parser.parse_args()
    before = machine(args.postgres_url)
    rows: list[Row] = []
    started = time.monotonic()
    for name, bench in benchmarks(args.quick, args.postgres_url).items():
        if args.only and name not in args.only:
            continue
        print(f"running {name}...", file=sys.stderr, flush=True)
        t = time.monotonic()
        try:
            rows += bench()
        except (
            Exception,
            SystemExit,
        ) as exc:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            rows.append(Row(name, f"error: {exc}"[:120], "", "", False))
        print(f"  {name}: {time.monotonic() - t:.0f} s", file=sys.stderr, flush=True)
    print(
        f"\n{'QUICK (smoke sizes, not the targets) ' if args.quick else ''}benchmarks,"
        f" {time.monotonic() - started:.0f} s"
    )
    print(f"machine at start: {before}")
    print(f"machine at end:   {machine(args.postgres_url)}\n")
    (print_markdown if args.markdown else print_table)(rows)
    failed = [r.benchmark for r in rows if not r.ok]
    print(f"\n{'FAIL: ' + '; '.join(failed) if failed else 'PASS: every target met'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
