"""The inbox: a request is written before its ack, done once, and taken over when its process
died (judged by the database's clock)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.db import db_now, session_scope
from bot.models import InboundRequest
from bot.slack import inbox

NOW = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)
CLICK = {
    "type": "block_actions",
    "user": {"id": "U0EXEC0001"},
    "trigger_id": "1796.07UPWRD01.abc",
    "actions": [{"action_id": "learning.answer:q1", "value": "1|q1|a|1"}],
}


@pytest.fixture()
def sessions(session: Session) -> sessionmaker[Session]:
    """Sessions on the test's own connection (rolled back after the test)."""
    return sessionmaker(bind=session.connection(), expire_on_commit=False)


def test_a_request_is_received_once_whatever_arrives_again(
    sessions: sessionmaker[Session],
) -> None:
    first = inbox.receive(sessions, CLICK, now=NOW, worker_id="web:1")
    replayed = inbox.receive(sessions, dict(CLICK), now=NOW, worker_id="web:2")

    assert first is not None and replayed is None
    with session_scope(sessions) as session:
        row = session.get(InboundRequest, first)
        assert row is not None and (row.claimed_by, row.attempts, row.done_at) == ("web:1", 1, None)
        assert row.body == CLICK


def test_a_request_without_a_trigger_is_known_by_its_whole_body() -> None:
    bare = {"type": "block_actions", "user": {"id": "U1"}, "actions": [{"value": "x"}]}
    other = {**bare, "actions": [{"value": "y"}]}

    assert inbox.request_key(bare) == inbox.request_key(dict(bare))
    assert inbox.request_key(bare) != inbox.request_key(other)
    assert inbox.request_key(CLICK) == "block_actions:1796.07UPWRD01.abc"
    assert inbox.request_key({"command": "/circle", "trigger_id": "t"}) == "command:t"


def test_a_request_is_done_once(sessions: sessionmaker[Session]) -> None:
    request_id = inbox.receive(sessions, CLICK, now=NOW, worker_id="web:1")
    assert request_id is not None
    with session_scope(sessions) as session:
        assert inbox.finish(session, request_id, now=NOW) is True
    with session_scope(sessions) as session:
        assert inbox.finish(session, request_id, now=NOW) is False  # a second process: nothing


def test_a_live_claim_is_not_taken_over_whatever_a_process_thinks_the_time_is(
    sessions: sessionmaker[Session],
) -> None:
    request_id = inbox.receive(sessions, CLICK, now=NOW + dt.timedelta(days=365), worker_id="web:1")
    with session_scope(sessions) as session:
        assert inbox.take_over(session, worker_id="worker") == []
        run_out(session)
        (taken,) = inbox.take_over(session, worker_id="worker")
    assert (taken.id, taken.claimed_by, taken.attempts) == (request_id, "worker", 2)


def test_a_done_request_is_never_taken_over(sessions: sessionmaker[Session]) -> None:
    request_id = inbox.receive(sessions, CLICK, now=NOW, worker_id="web:1")
    with session_scope(sessions) as session:
        assert request_id is not None and inbox.finish(session, request_id, now=NOW)
        run_out(session)
        assert inbox.take_over(session, worker_id="worker") == []


def test_a_request_that_keeps_failing_is_given_up(sessions: sessionmaker[Session]) -> None:
    request_id = inbox.receive(sessions, CLICK, now=NOW, worker_id="web:1")
    for _ in range(inbox.MAX_ATTEMPTS - 1):
        with session_scope(sessions) as session:
            run_out(session)
            assert len(inbox.take_over(session, worker_id="worker")) == 1
    with session_scope(sessions) as session:
        run_out(session)
        assert inbox.take_over(session, worker_id="worker") == []
        row = session.get(InboundRequest, request_id)
        assert row is not None and row.done_at is not None and "gave up" in (row.error or "")


def test_done_requests_are_deleted_a_day_later(sessions: sessionmaker[Session]) -> None:
    request_id = inbox.receive(sessions, CLICK, now=NOW, worker_id="web:1")
    with session_scope(sessions) as session:
        assert request_id is not None and inbox.finish(session, request_id, now=NOW)
        assert inbox.purge(session, now=NOW + inbox.KEEP_DONE) == 0
        assert inbox.purge(session, now=NOW + inbox.KEEP_DONE + dt.timedelta(seconds=1)) == 1
        assert session.scalars(select(InboundRequest)).all() == []


def run_out(session: Session) -> None:
    """Every claim's lease has run out, by the database's clock."""
    session.execute(
        update(InboundRequest).values(claimed_until=db_now(session) - dt.timedelta(seconds=1))
    )
