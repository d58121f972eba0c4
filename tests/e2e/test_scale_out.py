"""Several `upward worker` processes on one PostgreSQL database, and a worker killed mid-send.

Real processes against the real PostgreSQL server and the Slack stand-in over HTTP: a fan-out of
5,000 DMs is sent by three workers at once, and a fan-out interrupted by `kill -9` is finished by
a new worker; each message lands in Slack exactly once.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import URL

from bot.db import make_engine, make_session_factory, session_scope
from bot.migrate import upgrade
from bot.models import OutboxMessage, Purpose
from bot.sandbox import DEMO_SEED_PATH, SlackStandIn
from bot.slack import outbox
from bot.slack.records import Record

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

UTC = dt.UTC


@pytest.fixture()
def fan_out(empty_database: URL) -> Iterator[tuple[URL, SlackStandIn]]:
    engine = make_engine(empty_database)
    upgrade(engine)
    engine.dispose()
    with SlackStandIn(DEMO_SEED_PATH, rate_limits=False) as slack:
        yield empty_database, slack


def enqueue(url: URL, slack: SlackStandIn, count: int) -> list[str]:
    """`count` new people in the workspace and one DM for each, written to the outbox as due now."""
    users = [
        slack.workspace.add_user(name=f"exec{i}", real_name=f"Executive {i}", tz="Europe/Berlin")[
            "id"
        ]
        for i in range(count)
    ]
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as session:
        now = dt.datetime.now(UTC) - dt.timedelta(minutes=1)
        for uid in users:
            outbox.enqueue(
                session,
                Record(Purpose.other, f"hello:{uid}"),
                method="chat.postMessage",
                payload={"channel": uid, "text": f"Hello {uid}"},
                now=now,
            )
    engine.dispose()
    return users


def start_worker(
    url: URL, slack: SlackStandIn, tmp_path: Path, name: str, *, lease: int = 30
) -> subprocess.Popen[str]:
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
        UPWARD_OUTBOX_LEASE_SECONDS=str(lease),
    )
    log = (tmp_path / f"{name}.log").open("w")
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "worker", "--interval", "5"],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )


def status_counts(url: URL) -> Counter[str]:
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        rows = session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    engine.dispose()
    return Counter({status.value: n for status, n in rows})


def wait_all_sent(url: URL, total: int, timeout: float) -> Counter[str]:
    deadline = time.monotonic() + timeout
    while True:
        counts = status_counts(url)
        if counts["sent"] == total or time.monotonic() > deadline:
            return counts
        time.sleep(0.5)


def delivered(slack: SlackStandIn, users: list[str]) -> Counter[str]:
    seen: Counter[str] = Counter()
    for uid in users:
        for message in slack.workspace.dm_messages(uid):
            seen[((message.get("metadata") or {}).get("event_payload") or {}).get("key")] += 1
    return seen


def stop(*workers: subprocess.Popen[str]) -> None:
    for w in workers:
        if w.poll() is None:
            w.send_signal(signal.SIGTERM)
    for w in workers:
        w.wait(timeout=60)


def test_three_workers_send_one_fan_out_of_5000_dms_each_exactly_once(
    fan_out, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    url, slack = fan_out
    users = enqueue(url, slack, 5000)
    workers = [start_worker(url, slack, tmp_path, f"worker{i}") for i in range(3)]
    try:
        counts = wait_all_sent(url, 5000, timeout=600)
    finally:
        stop(*workers)
    assert counts == Counter({"sent": 5000}), counts
    seen = delivered(slack, users)
    assert len(seen) == 5000 and set(seen.values()) == {1}, [k for k, n in seen.items() if n > 1][
        :5
    ]
    assert len(slack.workspace.calls_to("chat.postMessage")) == 5000, (
        "no post was even attempted twice"
    )
    logs = [(tmp_path / f"worker{i}.log").read_text() for i in range(3)]
    assert sum("sent" in log for log in logs) >= 2, (
        "the work was shared, not done by one worker alone"
    )


def test_a_worker_killed_mid_fan_out_is_finished_by_the_next_without_loss_or_duplicates(
    fan_out, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    url, slack = fan_out
    users = enqueue(url, slack, 2000)
    first = start_worker(url, slack, tmp_path, "first", lease=5)
    deadline = time.monotonic() + 300
    while len(slack.workspace.calls_to("chat.postMessage")) < 450 and time.monotonic() < deadline:
        time.sleep(0.05)
    # Mid-batch (claims are taken 100 at a time), with no chance to record what it was sending.
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    interrupted = status_counts(url)
    assert interrupted["sent"] < 2000 and interrupted["sending"] > 0, interrupted
    second = start_worker(url, slack, tmp_path, "second", lease=5)
    try:
        counts = wait_all_sent(url, 2000, timeout=600)
    finally:
        stop(second)
    assert counts == Counter({"sent": 2000}), counts
    seen = delivered(slack, users)
    assert len(seen) == 2000 and set(seen.values()) == {1}, [k for k, n in seen.items() if n > 1][
        :5
    ]


def all_at_once(work: Callable[[], int], *, times: int) -> tuple[list[int], list[BaseException]]:
    """Run `work` in `times` threads released together, as workers that wake on the same tick."""
    start = threading.Barrier(times)
    results: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        start.wait()
        try:
            results.append(work())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(times)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results, errors


def test_workers_finding_the_same_formation_due_form_it_once(stack) -> None:  # type: ignore[no-untyped-def]
    from bot.circles import jobs, service
    from bot.models import Circle, Program
    from tests.e2e.test_circles import roster

    csv, _, _ = roster(stack, executives=24, mentors=6)
    stack.create_pilot(start=dt.date(2026, 12, 1), roster=csv, template="quarter", name="Leaders")
    now = dt.datetime(2026, 12, 1, 10, tzinfo=UTC)
    with session_scope(stack.sessions) as session:
        [(program_id, period)] = service.formations_due(session, catalog=stack.catalog, now=now)

    def form() -> int:
        with session_scope(stack.sessions) as session:
            return jobs.form(
                session, program_id=program_id, period=period, catalog=stack.catalog, now=now
            )

    formed, errors = all_at_once(form, times=3)
    assert errors == []
    with stack.session() as s:
        circles = s.scalar(
            select(func.count()).select_from(Circle).where(Circle.program_id == program_id)
        )
        assert s.get(Program, program_id) is not None
    assert sorted(formed) == [0, 0, circles] and circles >= 5


def test_workers_finding_the_same_digest_due_compute_and_queue_it_once(stack) -> None:  # type: ignore[no-untyped-def]
    from bot.digest import jobs as digest_jobs
    from bot.models import DigestRun

    stack.create_pilot(start=dt.date(2026, 11, 3))
    monday = dt.datetime(2026, 11, 9, 9, tzinfo=UTC)
    queued, errors = all_at_once(
        lambda: digest_jobs.run(stack.sessions, catalog=stack.catalog, now=monday), times=3
    )
    assert errors == [] and sorted(queued) == [0, 0, 1]
    with stack.session() as s:
        keys = s.scalars(
            select(OutboxMessage.idempotency_key).where(
                OutboxMessage.idempotency_key.like("digest:%")
            )
        ).all()
        runs = s.scalars(select(DigestRun)).all()
    assert len(keys) == 1 and len(runs) == 1
