"""Peak memory of a real `upward worker` process with 10,000 people enrolled, through a busy tick.

    python bench/worker_memory.py [--quick] [--people N] [--postgres-url URL]

A PostgreSQL database with N enrolled executives (bench/enrolled.py, every delivery planned) and
their first module written to the outbox by Upward's own learning job (real blocks), due now: the
worker's first tick sends all N to the Slack stand-in (rate limits off), the next ones are idle.
`upward worker --interval 5` runs until every row is sent and two more ticks have passed; its
peak resident set (VmHWM in /proc/PID/status, the kernel's high-water mark) is read just before
SIGTERM. Exits 1 when the peak is TARGET_MB or more.
"""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select, update

from bench.common import POSTGRES_URL, ROOT, Row, database, report, upward_env
from bench.enrolled import FAN_OUT_AT, enroll, slack_user_id
from bot.content.loader import load_catalog
from bot.db import make_engine, make_session_factory
from bot.learning import jobs as learning_jobs
from bot.models import OutboxMessage, OutboxStatus, utcnow
from bot.sandbox import DEMO_SEED_PATH, SlackStandIn

TARGET_MB = 200.0
PEOPLE, QUICK_PEOPLE = 10_000, 2_000
INTERVAL = 5  # seconds between the worker's ticks (the smallest `upward worker` takes)


@dataclass
class Result:
    people: int
    peak_mb: float
    started_mb: float
    sent: int
    seconds: float

    @property
    def ok(self) -> bool:
        return self.peak_mb < TARGET_MB and self.sent == self.people


def status_kb(pid: int, field: str) -> int:
    """A VmXXX field of /proc/PID/status, in kB (0 when the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(people: int, postgres_url: str = POSTGRES_URL) -> Result:
    catalog = load_catalog()
    with (
        tempfile.TemporaryDirectory(prefix="upward-bench-memory-") as tmp,
        database("postgresql", "upward_bench_memory", Path(tmp), postgres_url) as url,
        SlackStandIn(DEMO_SEED_PATH, rate_limits=False) as slack,
    ):
        engine = make_engine(url)
        try:
            program_id = enroll(engine, catalog, people)
            for n in range(1, people + 1):
                slack.workspace.add_user(
                    id=slack_user_id(n), name=f"exec{n}", real_name=f"Executive {n}", tz="UTC"
                )
            learning_jobs.run(make_session_factory(engine), catalog=catalog, now=FAN_OUT_AT)
            with (
                engine.begin() as conn
            ):  # the worker ticks at the real time: make the fan-out due now
                conn.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.program_id == program_id)
                    .values(next_attempt_at=utcnow() - dt.timedelta(minutes=1))
                )
            env = upward_env(url, slack)
            log = (Path(tmp) / "worker.log").open("w")
            start = time.monotonic()
            worker = subprocess.Popen(
                [sys.executable, "-m", "bot", "worker", "--interval", str(INTERVAL)],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                started_kb, sent, done_at = 0, 0, None
                while time.monotonic() - start < 1800 and worker.poll() is None:
                    time.sleep(0.5)
                    started_kb = started_kb or status_kb(worker.pid, "VmRSS")
                    with engine.connect() as conn:
                        sent = (
                            conn.scalar(
                                select(func.count()).where(
                                    OutboxMessage.status == OutboxStatus.sent
                                )
                            )
                            or 0
                        )
                    if sent >= people and done_at is None:
                        done_at = time.monotonic()
                    if done_at is not None and time.monotonic() - done_at > 2 * INTERVAL + 1:
                        break  # two idle ticks after the busy one
                peak_kb = status_kb(worker.pid, "VmHWM")
                seconds = time.monotonic() - start
            finally:
                if worker.poll() is None:
                    worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=60)
                log.close()
            if peak_kb == 0:
                raise SystemExit(
                    f"the worker exited early: {(Path(tmp) / 'worker.log').read_text()[-2000:]}"
                )
        finally:
            engine.dispose()
    return Result(people, peak_kb / 1024, started_kb / 1024, sent, seconds)


def table_rows(result: Result) -> list[Row]:
    r = result
    return [
        Row(
            f"worker peak memory, {r.people:,} enrolled",
            f"peak RSS {r.peak_mb:.0f} MB",
            f"{r.started_mb:.0f} MB soon after start",
            f"< {TARGET_MB:g} MB",
            r.ok,
            (
                (
                    f"`upward worker --interval {INTERVAL}`: a busy tick sending {r.sent:,} module"
                    f" DMs, then two idle ticks ({r.seconds:.0f} s)"
                ),
            ),
        )
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_PEOPLE:,} people")
    parser.add_argument("--people", type=int)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    args = parser.parse_args()
    result = measure(args.people or (QUICK_PEOPLE if args.quick else PEOPLE), args.postgres_url)
    return report(table_rows(result))


if __name__ == "__main__":
    sys.exit(main())
