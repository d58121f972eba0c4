"""The outbox's write side: one row per key, and the caller told whether it was new."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.models import OutboxMessage, OutboxStatus, Purpose
from bot.slack import outbox, records
from bot.slack.records import Record
from tests import factories
from tests.slack.conftest import ALICE

NOW = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)


def test_enqueue_says_whether_the_key_was_new_on_every_backend(session: Session) -> None:
    payload = {"channel": "U1", "text": "hello"}
    assert (
        outbox.enqueue(
            session,
            Record(Purpose.other, "k:1"),
            method="chat.postMessage",
            payload=payload,
            now=NOW,
        )
        is True
    )
    assert (
        outbox.enqueue(
            session,
            Record(Purpose.other, "k:1"),
            method="chat.postMessage",
            payload={"text": "changed"},
            now=NOW,
        )
        is False
    )
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.idempotency_key == "k:1")
    ).all()
    assert [r.payload for r in rows] == [payload], "the first write wins; a repeat changes nothing"
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


# -- the rows: what they are for, who claims them, what an attempt records -----------------------
def queue(
    session: Session,
    key: str,
    *,
    method: str = "chat.postMessage",
    payload: dict[str, Any] | None = None,
    now: dt.datetime = NOW,
    **columns: Any,
) -> OutboxMessage:
    """One outbox row (a DM to Alice unless told otherwise), as the session sees it now."""
    outbox.enqueue(
        session,
        Record(Purpose.other, key),
        method=method,
        payload=payload if payload is not None else {"channel": ALICE, "text": key},
        now=now,
        **columns,
    )
    return row_of(session, key)


def row_of(session: Session, key: str) -> OutboxMessage:
    """The row with `key` as the database holds it (other sessions may have changed it)."""
    session.flush()
    session.expire_all()
    return session.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).one()


def test_a_row_says_what_it_is_for_and_whom_it_is_about(session: Session) -> None:
    prog = factories.program(session, factories.catalog())
    person = factories.person(session, prog, ALICE, tz="Europe/Berlin", country="DE")
    record = records.nudge(prog.id, person.id, dt.date(2026, 12, 1))

    outbox.enqueue(
        session,
        record,
        method="chat.postMessage",
        payload={"channel": ALICE, "text": "hi"},
        now=NOW,
        program_id=prog.id,
        person_id=person.id,
    )

    row = row_of(session, record.key)
    assert (row.purpose, row.subject_id, row.period) == (Purpose.nudge, prog.id, "2026-12-01")
    assert (row.status, row.attempts, row.next_attempt_at, row.created_at) == (
        OutboxStatus.pending,
        0,
        NOW,
        NOW,
    )
    assert (row.program_id, row.person_id, row.team_id) == (prog.id, person.id, None)


def test_a_row_goes_out_in_its_programs_workspace_unless_another_is_named(
    session: Session,
) -> None:
    prog = factories.program(session, factories.catalog())
    prog.team_id = "T0OTHERCO1"
    session.flush()

    assert queue(session, "k:program", program_id=prog.id).team_id == "T0OTHERCO1"
    assert queue(session, "k:named", program_id=prog.id, team_id="T0SANDBOX1").team_id == (
        "T0SANDBOX1"
    )
    assert queue(session, "k:none").team_id is None


def test_a_row_may_wait_until_a_later_time(session: Session) -> None:
    later = NOW + dt.timedelta(hours=3)
    assert queue(session, "k:later", not_before=later).next_attempt_at == later


def test_written_tells_which_records_already_have_a_row(session: Session) -> None:
    queue(session, "k:1")
    first, second = Record(Purpose.other, "k:1"), Record(Purpose.other, "k:2")

    assert outbox.written(session, [first, second]) == {first}
    assert outbox.written(session, [second]) == set()
    assert outbox.written(session, []) == set()


def test_claim_due_takes_due_rows_oldest_first_for_one_worker(session: Session) -> None:
    queue(session, "k:now")
    queue(session, "k:earlier", now=NOW - dt.timedelta(minutes=5))
    queue(session, "k:later", not_before=NOW + dt.timedelta(seconds=1))

    claimed = outbox.claim_due(session, now=NOW, worker_id="w1")

    assert [r.idempotency_key for r in claimed] == ["k:earlier", "k:now"]
    for row in claimed:
        assert (row.status, row.claimed_by, row.claimed_until, row.attempts) == (
            OutboxStatus.sending,
            "w1",
            NOW + outbox.LEASE,
            1,
        )
    assert row_of(session, "k:later").status == OutboxStatus.pending


def test_claim_due_takes_no_more_than_its_limit(session: Session) -> None:
    for i in range(5):
        queue(session, f"k:{i}")
    assert len(outbox.claim_due(session, now=NOW, worker_id="w1", limit=2)) == 2
    assert len(outbox.claim_due(session, now=NOW, worker_id="w2")) == 3


def test_a_claimed_row_is_skipped_until_its_lease_runs_out_then_taken_over(
    session: Session,
) -> None:
    queue(session, "k:1")
    outbox.claim_due(session, now=NOW, worker_id="w1", lease=dt.timedelta(seconds=30))
    expiry = NOW + dt.timedelta(seconds=30)

    assert outbox.claim_due(session, now=expiry, worker_id="w2") == []
    (taken,) = outbox.claim_due(session, now=expiry + dt.timedelta(microseconds=1), worker_id="w2")
    assert (taken.claimed_by, taken.attempts) == ("w2", 2)


def test_rows_that_were_sent_or_failed_are_never_claimed_again(session: Session) -> None:
    sent, failed = queue(session, "k:sent"), queue(session, "k:failed")
    sent.status, failed.status = OutboxStatus.sent, OutboxStatus.failed
    session.flush()

    assert outbox.claim_due(session, now=NOW + dt.timedelta(days=30), worker_id="w1") == []


def test_claim_due_can_be_limited_to_one_workspace(session: Session) -> None:
    queue(session, "k:here", team_id="T0SANDBOX1")
    queue(session, "k:there", team_id="T0OTHERCO1")
    queue(session, "k:default")

    claimed = outbox.claim_due(session, now=NOW, worker_id="w1", only_team="T0SANDBOX1")

    assert [r.idempotency_key for r in claimed] == ["k:here"]


def claimed_row(session: Session, key: str = "k:1", *, attempts: int = 1) -> OutboxMessage:
    queue(session, key)
    (row,) = outbox.claim_due(session, now=NOW, worker_id="w1")
    row.attempts = attempts
    session.flush()
    return row


def test_a_sent_outcome_records_where_slack_put_the_message(session: Session) -> None:
    row = claimed_row(session)
    row.error = "internal_error"  # from an earlier attempt

    outbox.record(
        session, row.id, outbox.Outcome("sent", channel_id="D01", ts="1.5"), now=NOW, worker_id="w1"
    )

    row = row_of(session, "k:1")
    assert (row.status, row.sent_at, row.channel_id, row.slack_ts, row.error) == (
        OutboxStatus.sent,
        NOW,
        "D01",
        "1.5",
        None,
    )
    assert (row.claimed_by, row.claimed_until) == (None, None)


def test_a_retry_puts_the_row_back_after_its_backoff(session: Session) -> None:
    row = claimed_row(session, attempts=3)

    outbox.record(
        session, row.id, outbox.Outcome("retry", error="x" * 600), now=NOW, worker_id="w1"
    )

    row = row_of(session, "k:1")
    assert (row.status, row.claimed_by, row.error) == (OutboxStatus.pending, None, "x" * 500)
    wait = row.next_attempt_at - NOW
    assert dt.timedelta(seconds=48) <= wait <= dt.timedelta(seconds=72)  # 60 s, jittered


def test_the_last_allowed_attempt_that_fails_gives_up_for_good(session: Session) -> None:
    row = claimed_row(session, attempts=outbox.MAX_ATTEMPTS)

    outbox.record(
        session, row.id, outbox.Outcome("retry", error="internal_error"), now=NOW, worker_id="w1"
    )

    row = row_of(session, "k:1")
    assert (row.status, row.error) == (
        OutboxStatus.failed,
        f"gave up after {outbox.MAX_ATTEMPTS} attempts: internal_error",
    )
    assert outbox.claim_due(session, now=NOW + dt.timedelta(days=1), worker_id="w1") == []


@pytest.mark.parametrize(
    "error, recorded", [("channel_not_found", "channel_not_found"), (None, "unknown error")]
)
def test_a_failed_outcome_is_final_with_its_reason(
    session: Session, error: str | None, recorded: str
) -> None:
    row = claimed_row(session)

    outbox.record(session, row.id, outbox.Outcome("failed", error=error), now=NOW, worker_id="w1")

    assert (row_of(session, "k:1").status, row_of(session, "k:1").error) == (
        OutboxStatus.failed,
        recorded,
    )


def test_an_outcome_from_a_worker_that_lost_its_claim_is_not_recorded(session: Session) -> None:
    row = claimed_row(session)
    late = NOW + outbox.LEASE + dt.timedelta(seconds=1)
    outbox.claim_due(session, now=late, worker_id="w2")  # w1 took too long: w2 has the row now

    sent = outbox.Outcome("sent", channel_id="D01", ts="1.5")
    outbox.record(session, row.id, sent, now=late, worker_id="w1")
    outbox.record(session, 2_000_000_000, sent, now=late, worker_id="w1")  # no such row

    row = row_of(session, "k:1")
    assert (row.status, row.claimed_by, row.slack_ts) == (OutboxStatus.sending, "w2", None)


def test_an_outcome_for_a_row_no_longer_being_sent_changes_nothing(session: Session) -> None:
    row = claimed_row(session)
    outbox.record(session, row.id, outbox.Outcome("sent", ts="1.5"), now=NOW, worker_id="w1")

    outbox.record(session, row.id, outbox.Outcome("failed", error="late"), now=NOW, worker_id="w1")

    assert (row_of(session, "k:1").status, row_of(session, "k:1").error) == (
        OutboxStatus.sent,
        None,
    )


@pytest.mark.parametrize("attempts", range(0, 16))
def test_backoff_doubles_from_15_seconds_to_an_hour_with_jitter(attempts: int) -> None:
    base = min(15 * 2 ** max(attempts - 1, 0), 3600)
    waits = {outbox.backoff(attempts).total_seconds() for _ in range(200)}

    assert all(0.8 * base <= w <= 1.2 * base for w in waits)
    assert len(waits) > 1, "retries of many rows spread out"
