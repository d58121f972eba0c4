"""The outbox against a misbehaving Slack: every message delivered exactly once, failures
recorded."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import URL

from bot.db import db_now, make_engine, make_session_factory, session_scope
from bot.migrate import upgrade
from bot.models import OutboxMessage, OutboxStatus, Purpose
from bot.sandbox import DEMO_SEED_PATH, FaultPlan, Limit, RateLimits, SlackStandIn
from bot.slack import outbox
from bot.slack.client import make_web_client
from bot.slack.records import Record
from tests.e2e.conftest import stack_settings

UTC = dt.UTC
T0 = dt.datetime(2026, 12, 1, 9, tzinfo=UTC)


@pytest.fixture()
def database(empty_database: URL) -> Iterator[URL]:
    engine = make_engine(empty_database)
    upgrade(engine)
    engine.dispose()
    yield empty_database


def fan_out(sessions, users: list[str]) -> None:  # type: ignore[no-untyped-def]
    with session_scope(sessions) as session:
        for uid in users:
            outbox.enqueue(
                session,
                Record(Purpose.other, f"hello:{uid}"),
                method="chat.postMessage",
                payload={"channel": uid, "text": f"Hello {uid}"},
                now=T0,
            )


def keys_in_slack(slack: SlackStandIn, users: list[str]) -> Counter[str]:
    seen: Counter[str] = Counter()
    for uid in users:
        for message in slack.workspace.dm_messages(uid):
            key = ((message.get("metadata") or {}).get("event_payload") or {}).get("key")
            seen[key] += 1
    return seen


def unsent(sessions) -> bool:  # type: ignore[no-untyped-def]
    """Whether any row is still waiting to be sent or being sent."""
    with session_scope(sessions) as session:
        return (
            session.scalars(
                select(OutboxMessage.id).where(
                    OutboxMessage.status.in_([OutboxStatus.pending, OutboxStatus.sending])
                )
            ).first()
            is not None
        )


def drain(sessions, client, *, rounds: int = 30) -> outbox.FlushStats:  # type: ignore[no-untyped-def]
    """Flush as a worker would, tick after tick (an hour apart, past any back-off)."""
    total = outbox.FlushStats()
    for i in range(rounds):
        stats = outbox.flush(sessions, client, now=T0 + dt.timedelta(hours=i), worker_id="w1")
        total.sent += stats.sent
        total.retried += stats.retried
        total.failed += stats.failed
        total.recovered += stats.recovered
        with session_scope(sessions) as session:
            if not session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.status.in_([OutboxStatus.pending, OutboxStatus.sending])
                )
            ).first():
                break
    return total


def test_5xx_after_posting_dropped_connections_and_429s_lose_nothing_and_duplicate_nothing(
    database: URL,
) -> None:
    faults = FaultPlan(
        error_rate=0.25,
        drop_rate=0.1,
        after_commit=True,
        methods=frozenset({"chat.postMessage"}),
        seed=7,
    )
    limits = RateLimits(post_message_workspace=Limit(calls=15, per=1.0))
    with SlackStandIn(DEMO_SEED_PATH, rate_limits=limits, faults=faults) as slack:
        users = [
            slack.workspace.add_user(
                name=f"exec{i}", real_name=f"Executive {i}", tz="Europe/Berlin"
            )["id"]
            for i in range(40)
        ]
        settings = stack_settings(database, slack)
        engine = make_engine(settings.database)
        sessions = make_session_factory(engine)
        fan_out(sessions, users)
        stats = drain(sessions, make_web_client(settings))
        calls = slack.workspace.calls_to("chat.postMessage")
        seen = keys_in_slack(slack, users)
        with session_scope(sessions) as session:
            rows = session.scalars(select(OutboxMessage)).all()
        engine.dispose()

    assert {r.status for r in rows} == {OutboxStatus.sent}
    assert seen == Counter({f"hello:{u}": 1 for u in users}), "each person got exactly one message"
    assert None not in {r.slack_ts for r in rows} and len({r.slack_ts for r in rows}) == len(rows)
    # The faults really happened, and the recovery path really ran.
    statuses = Counter(c.status for c in calls)
    assert statuses[500] + statuses[503] >= 5 and statuses[429] >= 1, statuses
    assert any(c.fault for c in calls if c.fault and "drop" in str(c.fault)), (
        "no connection was dropped"
    )
    assert stats.recovered >= 1, "no message was found already posted after a failed answer"


def test_a_worker_that_dies_after_slack_accepted_a_message_does_not_send_it_again(
    database: URL,
) -> None:
    with SlackStandIn(DEMO_SEED_PATH, rate_limits=False) as slack:
        settings = stack_settings(database, slack)
        engine = make_engine(settings.database)
        sessions = make_session_factory(engine)
        client = make_web_client(settings)
        users = ["U07EXEC0001", "U07EXEC0002"]
        fan_out(sessions, users)
        # Worker A claims both rows and gets one message into Slack, then dies before recording it.
        with session_scope(sessions) as session:
            claimed = outbox.claim_due(session, now=T0, worker_id="worker-a")
        assert outbox.send(client, claimed[0]).kind == "sent"
        # Worker B comes along after the lease has run out (by the database's clock) and takes
        # both rows over.
        with session_scope(sessions) as session:
            past = db_now(session) - dt.timedelta(seconds=1)
            session.execute(update(OutboxMessage).values(claimed_until=past))
        stats = outbox.flush(sessions, client, now=T0, worker_id="worker-b")
        seen = keys_in_slack(slack, users)
        engine.dispose()
    assert stats.sent == 2 and stats.recovered == 1
    assert seen == Counter({"hello:U07EXEC0001": 1, "hello:U07EXEC0002": 1})


def test_a_claim_is_not_taken_over_while_its_lease_runs(database: URL) -> None:
    with SlackStandIn(DEMO_SEED_PATH, rate_limits=False) as slack:
        settings = stack_settings(database, slack)
        engine = make_engine(settings.database)
        sessions = make_session_factory(engine)
        fan_out(sessions, ["U07EXEC0001"])
        with session_scope(sessions) as session:
            assert len(outbox.claim_due(session, now=T0, worker_id="worker-a")) == 1
        with session_scope(sessions) as session:
            assert (
                outbox.claim_due(session, now=T0 + dt.timedelta(seconds=30), worker_id="worker-b")
                == []
            )
        engine.dispose()


def test_permanent_errors_are_recorded_and_block_nobody(database: URL) -> None:
    with SlackStandIn(DEMO_SEED_PATH, rate_limits=False) as slack:
        settings = stack_settings(database, slack)
        engine = make_engine(settings.database)
        sessions = make_session_factory(engine)
        users = ["U07EXEC0001", "U07EXEC0002", "U07EXEC0003"]
        fan_out(sessions, users)
        slack.fail_next("chat.postMessage", error="account_inactive", status=200)
        stats = drain(sessions, make_web_client(settings))
        with session_scope(sessions) as session:
            rows = {r.idempotency_key: r for r in session.scalars(select(OutboxMessage))}
        attempts = len(slack.workspace.calls_to("chat.postMessage"))
        engine.dispose()
    failed = [r for r in rows.values() if r.status == OutboxStatus.failed]
    assert len(failed) == 1 and failed[0].error == "account_inactive" and failed[0].attempts == 1
    assert stats.sent == 2 and attempts == 3, (
        "the failed row was tried once, the others went through"
    )


def test_a_file_upload_whose_answer_was_lost_is_shared_once(database: URL) -> None:
    """files.completeUploadExternal shares the file, then the answer is lost: the retry finds the
    share."""
    import base64

    with SlackStandIn(DEMO_SEED_PATH, rate_limits=False) as slack:
        settings = stack_settings(database, slack)
        engine = make_engine(settings.database)
        sessions = make_session_factory(engine)
        png = b"\x89PNG\r\n\x1a\nnot really a chart"
        with session_scope(sessions) as session:
            outbox.enqueue(
                session,
                Record(Purpose.other, "chart:1"),
                method=outbox.FILE_UPLOAD,
                now=T0,
                payload={
                    "channel": "U07LEAD0001",
                    "filename": "upward-digest-chart-1.png",
                    "title": "Trends",
                    "alt_txt": "a chart",
                    "initial_comment": "Trends",
                    "content_b64": base64.b64encode(png).decode(),
                },
            )
        slack.faults.fail_next("files.completeUploadExternal", status=500, after_commit=True)
        stats = drain(sessions, make_web_client(settings))
        with session_scope(sessions) as session:
            row = session.scalars(select(OutboxMessage)).one()
            status, attempts = row.status, row.attempts
        engine.dispose()
        shared = [f for f in slack.workspace.files() if f["channels"]]
    assert (status, attempts, stats.sent) == (OutboxStatus.sent, 2, 1)
    assert len(shared) == 1 and shared[0]["name"] == "upward-digest-chart-1.png"
    assert slack.workspace.file_content(shared[0]["id"]) == png


def test_a_threaded_reply_whose_answer_was_lost_is_found_in_its_thread_not_sent_again(
    database: URL,
) -> None:
    """Reminders are replies in a module's thread; conversations.history does not list replies,
    so recovery must look in the thread (it sent 40 replies for 20 rows when it did not)."""
    faults = FaultPlan(
        error_rate=0.5, after_commit=True, methods=frozenset({"chat.postMessage"}), seed=3
    )
    with SlackStandIn(DEMO_SEED_PATH, rate_limits=False) as slack:
        settings = stack_settings(database, slack)
        client = make_web_client(settings)
        users = [f"U07EXEC000{i}" for i in range(1, 6)]
        parents = {  # a module message in each DM, posted before the faults begin
            uid: client.chat_postMessage(channel=uid, text="Module")["ts"] for uid in users
        }
        slack.faults.configure(faults)
        engine = make_engine(settings.database)
        sessions = make_session_factory(engine)
        with session_scope(sessions) as session:
            for uid, ts in parents.items():
                for n in range(4):
                    outbox.enqueue(
                        session,
                        Record(Purpose.other, f"reminder:{uid}:{n}"),
                        method="chat.postMessage",
                        payload={"channel": uid, "thread_ts": ts, "text": f"Reminder {n}"},
                        now=T0,
                    )
        stats = drain(sessions, client)
        replies = Counter(
            ((m.get("metadata") or {}).get("event_payload") or {}).get("key")
            for uid, ts in parents.items()
            for m in slack.workspace.thread_replies(slack.workspace.dm_channel_id(uid), ts)
        )
        engine.dispose()
    assert replies == Counter({f"reminder:{u}:{n}": 1 for u in users for n in range(4)})
    assert stats.recovered >= 1, "no reply was found already posted after a lost answer"


def test_two_workers_with_slow_slack_send_each_row_once(database: URL) -> None:
    """A batch is claimed at once but sent one row after another; with Slack slower than the
    lease, the rows at the end of a batch were taken over by the other worker and sent twice (120
    posts for 100 rows). Each row is now re-claimed just before its send."""
    faults = FaultPlan(slow_rate=1.0, slow_seconds=0.5, methods=frozenset({"chat.postMessage"}))
    with SlackStandIn(DEMO_SEED_PATH, rate_limits=False, faults=faults) as slack:
        users = [
            slack.workspace.add_user(name=f"exec{i}", real_name=f"Executive {i}", tz="UTC")["id"]
            for i in range(12)
        ]
        settings = stack_settings(database, slack)
        engine = make_engine(settings.database)
        sessions = make_session_factory(engine)
        fan_out(sessions, users)
        client = make_web_client(settings)

        def worker(name: str) -> None:
            # Each claim outlives four slow sends at most: most of a 12-row batch waits longer. Each
            # flush runs at the worker's real time, as `upward worker` does, until all are sent.
            deadline = time.monotonic() + 60
            while unsent(sessions) and time.monotonic() < deadline:
                outbox.flush(
                    sessions,
                    client,
                    now=dt.datetime.now(UTC),
                    worker_id=name,
                    lease=dt.timedelta(seconds=2),
                )

        threads = [threading.Thread(target=worker, args=(n,)) for n in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not unsent(sessions)
        seen = keys_in_slack(slack, users)
        engine.dispose()
    assert seen == Counter({f"hello:{u}": 1 for u in users})
