"""Fan-out: N module DMs through the Slack stand-in with its rate limits on, against the lower
bound.

    python bench/fanout.py [--quick] [--people N] [--time-scale S] [--postgres-url URL]

A PostgreSQL database with N enrolled executives (bench/enrolled.py) whose first module is due at
FAN_OUT_AT; the stand-in knows them all and enforces Slack's limits with every window multiplied
by --time-scale (chat.postMessage: a workspace bucket of 300 a minute, burst 300, and one a second
per conversation, burst 3; Tier 1-4 buckets for every other method). The real path sends them:
`upward tick --at FAN_OUT_AT` in its own process (plan, write each module to the outbox, flush).

The lower bound is what the limits allow for the calls that landed: for each bucket that holds
`burst` tokens and refills `rate` a second, the k-th call can land no earlier than
(k - burst) / rate after the first, so the bound is the largest (calls - burst) / rate over every
bucket used (the workspace bucket, each conversation's, and each other method's). Measured: the
time from the first post to the last one that landed (`send`), and the whole `upward tick`
process (`tick`: start-up, writing N outbox rows, sending). Zero duplicates: every outbox key
reached Slack exactly once and every person has exactly one DM. Exits 1 when `send` is over
TARGET_RATIO times the bound, or on any duplicate or missing message.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from bench.common import POSTGRES_URL, ROOT, Row, database, report, upward_env
from bench.enrolled import FAN_OUT_AT, enroll, slack_user_id
from bot.content.loader import load_catalog
from bot.db import make_engine
from bot.models import OutboxMessage
from bot.sandbox import DEMO_SEED_PATH, RateLimits, SlackStandIn
from bot.sandbox.model import CallRecord
from bot.sandbox.ratelimit import Limit

TARGET_RATIO = 1.1
PEOPLE, QUICK_PEOPLE = 10_000, 2_000
TIME_SCALE = 0.1  # every limit window a tenth as long: 10,000 DMs in ~3.5 minutes instead of ~33


@dataclass
class Result:
    people: int
    time_scale: float
    tick_seconds: float
    send_seconds: float
    bound_seconds: float
    bound_by: str
    posted: int  # chat.postMessage calls that landed
    rate_limited: int  # calls answered 429
    calls: Counter[str]  # every method the tick called, landed or not
    duplicates: int
    missing: int
    outbox: Counter[str]
    tick_output: str

    @property
    def ratio(self) -> float:
        return self.send_seconds / self.bound_seconds if self.bound_seconds else float("inf")

    @property
    def ok(self) -> bool:
        return (
            self.ratio <= TARGET_RATIO
            and not self.duplicates
            and not self.missing
            and self.outbox == Counter(sent=self.people)
        )


def lower_bound(calls: list[CallRecord], limits: RateLimits) -> tuple[float, str]:
    """The shortest time the stand-in's buckets allow for the calls that landed, and which bucket
    sets it."""
    buckets: dict[tuple[str, str], tuple[int, Limit]] = {}

    def take(key: tuple[str, str], limit: Limit) -> None:
        count, _ = buckets.get(key, (0, limit))
        buckets[key] = (count + 1, limit)

    for call in calls:
        if call.status == 429:
            continue
        if call.method == "chat.postMessage" and call.method not in limits.per_method:
            take((call.method, "workspace"), limits.post_message_workspace)
            # By the channel argument: a user id and their DM's id share a bucket in the stand-in,
            # which at most lowers the bound (module DMs are all posted to user ids).
            take((call.method, str(call.args.get("channel"))), limits.post_message_per_channel)
        else:
            take((call.method, "*"), limits.for_method(call.method))
    best, which = 0.0, "no rate-limited calls"
    for (method, scope), (count, limit) in buckets.items():
        rate = limit.calls / (limit.per * limits.time_scale)
        seconds = max(0, count - (limit.burst or limit.calls)) / rate
        if seconds > best:
            best = seconds
            which = (
                f"{method} {scope}: {count:,} calls, burst {limit.burst or limit.calls}, {rate:g}/s"
            )
    return best, which


def measure(people: int, time_scale: float, postgres_url: str = POSTGRES_URL) -> Result:
    """Enroll `people`, then time `upward tick --at FAN_OUT_AT` sending their first module."""
    catalog = load_catalog()
    limits = RateLimits(time_scale=time_scale)
    with (
        tempfile.TemporaryDirectory(prefix="upward-bench-fanout-") as tmp,
        database("postgresql", "upward_bench_fanout", Path(tmp), postgres_url) as url,
        SlackStandIn(DEMO_SEED_PATH, rate_limits=limits) as slack,
    ):
        engine = make_engine(url)
        try:
            enroll(engine, catalog, people)
            for n in range(1, people + 1):
                slack.workspace.add_user(
                    id=slack_user_id(n), name=f"exec{n}", real_name=f"Executive {n}", tz="UTC"
                )
            env = upward_env(url, slack)
            before = len(slack.workspace.calls)
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "bot", "tick", "--at", FAN_OUT_AT.isoformat()],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=3600,
            )
            tick_seconds = time.perf_counter() - start
            if done.returncode != 0:
                raise SystemExit(f"upward tick failed ({done.returncode}): {done.stderr[-2000:]}")
            with engine.connect() as conn:
                outbox = Counter(
                    {
                        s.value: n
                        for s, n in conn.execute(
                            select(OutboxMessage.status, func.count()).group_by(
                                OutboxMessage.status
                            )
                        )
                    }
                )
        finally:
            engine.dispose()
        calls = slack.workspace.calls[before:]
    posts = [c for c in calls if c.method == "chat.postMessage" and c.ok]
    per_key: Counter[str] = Counter(
        str(((c.args.get("metadata") or {}).get("event_payload") or {}).get("key")) for c in posts
    )
    per_person: dict[str, int] = defaultdict(int)
    for c in posts:
        per_person[str(c.args.get("channel"))] += 1
    expected = {slack_user_id(n) for n in range(1, people + 1)}
    bound, bound_by = lower_bound(calls, limits)
    return Result(
        people=people,
        time_scale=time_scale,
        tick_seconds=tick_seconds,
        send_seconds=(posts[-1].at - posts[0].at) if posts else 0.0,
        bound_seconds=bound,
        bound_by=bound_by,
        posted=len(posts),
        rate_limited=sum(c.status == 429 for c in calls),
        calls=Counter(c.method for c in calls),
        duplicates=sum(n - 1 for n in per_key.values() if n > 1)
        + sum(n - 1 for n in per_person.values() if n > 1),
        missing=len(expected - set(per_person)),
        outbox=outbox,
        tick_output=done.stdout.strip(),
    )


def table_rows(result: Result) -> list[Row]:
    r = result
    return [
        Row(
            f"fan-out, {r.people:,} module DMs, limits x{r.time_scale:g}",
            f"send {r.send_seconds:.1f} s ({r.ratio:.3f}x); tick {r.tick_seconds:.1f} s;"
            f" {r.duplicates} duplicates",
            f"bound {r.bound_seconds:.1f} s",
            f"<= {TARGET_RATIO:g}x bound, 0 duplicates",
            r.ok,
            (
                (
                    f"bound set by {r.bound_by}; calls:"
                    f" {', '.join(f'{m} {n:,}' for m, n in r.calls.most_common())}"
                    f" ({r.rate_limited:,} answered 429); {r.posted:,} posts landed, {r.missing}"
                    f" people without their DM; outbox {dict(r.outbox)}; `upward tick`:"
                    f" {r.tick_output.splitlines()[-1] if r.tick_output else ''}"
                ),
                f"at real limits (x1) the bound is {r.bound_seconds / r.time_scale / 60:.0f} min",
            ),
        )
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_PEOPLE:,} people")
    parser.add_argument("--people", type=int)
    parser.add_argument(
        "--time-scale", type=float, default=TIME_SCALE, help="multiply every rate-limit window"
    )
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    args = parser.parse_args()
    result = measure(
        args.people or (QUICK_PEOPLE if args.quick else PEOPLE), args.time_scale, args.postgres_url
    )
    return report(table_rows(result))


if __name__ == "__main__":
    sys.exit(main())
