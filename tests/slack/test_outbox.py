"""The outbox: one row per key, claimed under a lease, sent to the Slack stand-in over HTTP, and
each attempt's outcome recorded (a message an earlier attempt posted is found, never posted twice).
"""

from __future__ import annotations

import datetime as dt
import socket
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.db import db_now
from bot.models import OutboxMessage, OutboxStatus, Purpose
from bot.sandbox import SlackStandIn
from bot.sandbox.interactions import new_response_url
from bot.slack import outbox, records, sending
from bot.slack.installations import WorkspaceClients
from bot.slack.records import Record
from tests import factories
from tests.slack.conftest import ALICE, BOB

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

    before = db_now(session)
    claimed = outbox.claim_due(session, now=NOW, worker_id="w1")
    after = db_now(session)

    assert [r.idempotency_key for r in claimed] == ["k:earlier", "k:now"]
    for row in claimed:
        assert (row.status, row.claimed_by, row.attempts) == (OutboxStatus.sending, "w1", 1)
        # A lease runs by the database's clock, not by the tick's (perhaps simulated) instant.
        assert before + outbox.LEASE <= row.claimed_until <= after + outbox.LEASE
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

    # A process's own clock, however far ahead (a `tick --at` next year), expires no claim.
    assert outbox.claim_due(session, now=NOW + dt.timedelta(days=365), worker_id="w2") == []
    run_out(session)
    (taken,) = outbox.claim_due(session, now=NOW, worker_id="w2")
    assert (taken.claimed_by, taken.attempts) == ("w2", 2)


def run_out(session: Session) -> None:
    """Every claim's lease has run out, by the database's clock."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.sending)
        .values(claimed_until=db_now(session) - dt.timedelta(seconds=1))
    )


def test_a_worker_sends_a_row_only_while_it_still_holds_it(session: Session) -> None:
    queue(session, "k:1")
    (row,) = outbox.claim_due(session, now=NOW, worker_id="w1")
    assert outbox.renew(session, row.id, worker_id="w1") is True
    run_out(session)
    outbox.claim_due(session, now=NOW, worker_id="w2")  # w1 waited too long: w2 has it now

    assert outbox.renew(session, row.id, worker_id="w1") is False
    assert outbox.renew(session, row.id, worker_id="w2") is True


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
    run_out(session)
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


# -- sending, against the Slack stand-in over HTTP -----------------------------------------------
LATER = NOW + dt.timedelta(hours=1)  # past any backoff of a first retry


def flush(sessions: sessionmaker[Session], client: WebClient, now: dt.datetime = NOW, **kw: Any):
    return outbox.flush(sessions, client, now=now, worker_id="w1", **kw)


def tagged(messages: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return [
        m for m in messages if (m.get("metadata") or {}).get("event_payload", {}).get("key") == key
    ]


def test_a_message_is_posted_with_metadata_naming_its_row(
    session: Session, sessions: sessionmaker[Session], slack: SlackStandIn, client: WebClient
) -> None:
    prog = factories.program(session, factories.catalog())
    record = records.nudge(prog.id, 7, dt.date(2026, 12, 1))
    outbox.enqueue(
        session,
        record,
        method="chat.postMessage",
        payload={"channel": ALICE, "text": "Hi"},
        now=NOW,
    )

    stats = flush(sessions, client)

    (message,) = slack.workspace.dm_messages(ALICE)
    assert message["text"] == "Hi"
    assert message["metadata"] == {
        "event_type": sending.METADATA_EVENT,
        "event_payload": {"key": record.key, "purpose": "nudge", "subject_id": prog.id},
    }
    row = row_of(session, record.key)
    assert (row.status, row.attempts, row.sent_at) == (OutboxStatus.sent, 1, NOW)
    assert (row.channel_id, row.slack_ts) == (slack.workspace.dm_channel_id(ALICE), message["ts"])
    assert (stats.sent, stats.retried, stats.failed, stats.recovered) == (1, 0, 0, 0)


def test_a_retry_finds_the_message_an_earlier_attempt_posted_and_does_not_post_it_again(
    session: Session, sessions: sessionmaker[Session], slack: SlackStandIn, client: WebClient
) -> None:
    queue(session, "k:1")
    slack.fail_next("chat.postMessage", status=500, after_commit=True)  # posted, answer lost

    first = flush(sessions, client)
    row = row_of(session, "k:1")
    assert (first.retried, row.status, row.error) == (1, OutboxStatus.pending, "internal_error")
    assert len(tagged(slack.workspace.dm_messages(ALICE), "k:1")) == 1

    second = flush(sessions, client, LATER)

    (message,) = tagged(slack.workspace.dm_messages(ALICE), "k:1")
    row = row_of(session, "k:1")
    assert (second.sent, second.recovered) == (1, 1)
    assert (row.status, row.attempts, row.slack_ts) == (OutboxStatus.sent, 2, message["ts"])
    assert len(slack.workspace.calls_to("chat.postMessage")) == 1, "never posted a second time"


def test_a_retry_posts_when_the_earlier_attempt_never_reached_slack(
    session: Session, sessions: sessionmaker[Session], slack: SlackStandIn, client: WebClient
) -> None:
    queue(session, "k:1")
    slack.fail_next("chat.postMessage", status=503)  # refused before posting

    assert flush(sessions, client).retried == 1
    assert slack.workspace.dm_messages(ALICE) == []
    second = flush(sessions, client, LATER)

    assert (second.sent, second.recovered) == (1, 0)
    assert len(tagged(slack.workspace.dm_messages(ALICE), "k:1")) == 1
    assert row_of(session, "k:1").status == OutboxStatus.sent


def test_a_dropped_connection_is_retried_by_the_outbox_not_resent_blindly(
    session: Session, sessions: sessionmaker[Session], slack: SlackStandIn, client: WebClient
) -> None:
    queue(session, "k:1")
    slack.fail_next("chat.postMessage", drop=True, after_commit=True)

    first = flush(sessions, client)

    row = row_of(session, "k:1")
    assert (first.retried, row.status) == (1, OutboxStatus.pending)
    assert row.error is not None and row.error.startswith("connection: ")
    assert len(slack.workspace.calls_to("chat.postMessage")) == 1, "the client did not resend it"
    assert flush(sessions, client, LATER).recovered == 1
    assert len(tagged(slack.workspace.dm_messages(ALICE), "k:1")) == 1


@pytest.mark.parametrize("error", ["ratelimited", "internal_error", "service_unavailable"])
def test_slacks_try_again_later_errors_are_retried(
    session: Session,
    sessions: sessionmaker[Session],
    slack: SlackStandIn,
    client: WebClient,
    error: str,
) -> None:
    queue(session, "k:1")
    slack.fail_next("chat.postMessage", error=error, status=200)

    assert flush(sessions, client).retried == 1
    assert (row_of(session, "k:1").status, row_of(session, "k:1").error) == (
        OutboxStatus.pending,
        error,
    )


def test_slacks_refusal_fails_the_row_at_once_and_the_rest_go_through(
    session: Session, sessions: sessionmaker[Session], slack: SlackStandIn, client: WebClient
) -> None:
    queue(session, "k:1", payload={"channel": "U0NOBODY01", "text": "to nobody"})
    queue(session, "k:2")

    stats = flush(sessions, client)

    refused = row_of(session, "k:1")
    assert (refused.status, refused.attempts) == (OutboxStatus.failed, 1)
    assert refused.error == "channel_not_found"
    assert (stats.sent, stats.failed) == (1, 1)
    assert row_of(session, "k:2").status == OutboxStatus.sent


def a_channel_with_alice(client: WebClient) -> str:
    channel = client.conversations_create(name="circle-test")["channel"]["id"]
    client.conversations_invite(channel=channel, users=ALICE)
    return channel


@pytest.mark.parametrize(
    "method, payload",
    [
        ("conversations.invite", {"users": ALICE}),  # already_in_channel
        ("conversations.kick", {"user": BOB}),  # not_in_channel
        ("conversations.kick", {"user": "U0SANDBOT1"}),  # cant_kick_self: the bot itself
    ],
)
def test_a_change_slack_says_is_already_made_counts_as_sent(
    session: Session,
    sessions: sessionmaker[Session],
    slack: SlackStandIn,
    client: WebClient,
    method: str,
    payload: dict[str, str],
) -> None:
    channel = a_channel_with_alice(client)
    queue(session, "k:1", method=method, payload={"channel": channel, **payload})

    stats = flush(sessions, client)

    row = row_of(session, "k:1")
    assert (stats.sent, row.status, row.error, row.channel_id) == (
        1,
        OutboxStatus.sent,
        None,
        channel,
    )
    assert slack.workspace.calls_to(method)[-1].ok is False, (
        "Slack did refuse the call; the outbox knows its effect is there"
    )


def test_other_refusals_of_a_membership_change_still_fail(
    session: Session, sessions: sessionmaker[Session], slack: SlackStandIn, client: WebClient
) -> None:
    queue(
        session,
        "k:1",
        method="conversations.invite",
        payload={"channel": "C0NOWHERE1", "users": ALICE},
    )

    assert flush(sessions, client).failed == 1
    assert row_of(session, "k:1").error == "channel_not_found"


def test_an_update_refused_with_a_5xx_is_sent_again_without_a_history_check(
    session: Session, sessions: sessionmaker[Session], slack: SlackStandIn, client: WebClient
) -> None:
    posted = client.chat_postMessage(channel=ALICE, text="before")
    queue(
        session,
        "k:update",
        method="chat.update",
        payload={"channel": posted["channel"], "ts": posted["ts"], "text": "after"},
    )
    slack.fail_next("chat.update", status=502)

    assert flush(sessions, client).retried == 1
    assert flush(sessions, client, LATER).sent == 1

    assert slack.workspace.message(posted["channel"], posted["ts"])["text"] == "after"
    assert slack.workspace.calls_to("conversations.history") == []
    assert row_of(session, "k:update").slack_ts == posted["ts"]


def test_an_answer_to_an_interaction_goes_to_its_response_url(
    session: Session, sessions: sessionmaker[Session], slack: SlackStandIn, client: WebClient
) -> None:
    channel = client.conversations_open(users=ALICE)["channel"]["id"]
    url = new_response_url(slack.workspace, user_id=ALICE, channel_id=channel)
    queue(
        session,
        "k:reply",
        method=outbox.RESPONSE_URL,
        payload={"url": url, "text": "Thanks", "response_type": "ephemeral"},
    )

    assert flush(sessions, client).sent == 1

    (response,) = slack.workspace.responses
    assert (response["user"], response["effect"], response["payload"]) == (
        ALICE,
        "ephemeral",
        {"text": "Thanks", "response_type": "ephemeral"},
    )


def test_a_response_url_slack_no_longer_honours_fails_and_one_that_does_not_answer_is_retried(
    session: Session, sessions: sessionmaker[Session], slack: SlackStandIn, client: WebClient
) -> None:
    expired = f"{slack.workspace.public_url}/sandbox/response/nosuchresponse"
    queue(session, "k:expired", method=outbox.RESPONSE_URL, payload={"url": expired, "text": "x"})
    queue(
        session,
        "k:silent",
        method=outbox.RESPONSE_URL,
        payload={"url": f"http://127.0.0.1:{closed_port()}/nothing-listens", "text": "x"},
    )

    stats = flush(sessions, client)

    assert (stats.failed, stats.retried) == (1, 1)
    failed = row_of(session, "k:expired")
    assert failed.status == OutboxStatus.failed and failed.error.startswith("response_url HTTP 404")
    silent = row_of(session, "k:silent")
    assert silent.status == OutboxStatus.pending and silent.error.startswith("connection: ")


def closed_port() -> int:
    """A local port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_flush_sends_only_what_is_due_and_no_more_than_asked(
    session: Session, sessions: sessionmaker[Session], slack: SlackStandIn, client: WebClient
) -> None:
    for i in range(3):
        queue(session, f"k:{i}", now=NOW - dt.timedelta(minutes=3 - i))
    queue(session, "k:tomorrow", not_before=NOW + dt.timedelta(days=1))

    assert flush(sessions, client, max_rows=2).sent == 2
    assert [r.idempotency_key for r in sent_rows(session)] == ["k:0", "k:1"]
    assert flush(sessions, client).sent == 1
    assert row_of(session, "k:tomorrow").status == OutboxStatus.pending
    assert len(slack.workspace.dm_messages(ALICE)) == 3


def sent_rows(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.sent)
            .order_by(OutboxMessage.idempotency_key)
        )
    )


def test_flush_for_one_workspace_leaves_the_others_rows(
    session: Session, sessions: sessionmaker[Session], slack: SlackStandIn, client: WebClient
) -> None:
    queue(session, "k:here", team_id="T0SANDBOX1")
    queue(session, "k:there", team_id="T0OTHERCO1")

    assert flush(sessions, client, only_team="T0SANDBOX1").sent == 1
    assert row_of(session, "k:there").status == OutboxStatus.pending


def test_a_row_of_a_workspace_without_a_token_fails_without_calling_slack(
    session: Session, sessions: sessionmaker[Session], slack: SlackStandIn
) -> None:
    queue(session, "k:1")

    stats = outbox.flush(sessions, WorkspaceClients(default=None), now=NOW, worker_id="w1")

    row = row_of(session, "k:1")
    assert (stats.failed, row.status) == (1, OutboxStatus.failed)
    assert "SLACK_BOT_TOKEN is not set" in (row.error or "")
    assert slack.workspace.calls == []


def test_send_now_sends_one_pending_row_once(
    session: Session, sessions: sessionmaker[Session], slack: SlackStandIn, client: WebClient
) -> None:
    queue(session, "k:now")
    queue(session, "k:other")
    now_record = Record(Purpose.other, "k:now")

    outcome = outbox.send_now(sessions, client, now_record, now=NOW, worker_id="web:1")
    again = outbox.send_now(sessions, client, now_record, now=NOW, worker_id="web:1")

    assert outcome is not None and outcome.kind == "sent" and again is None
    assert [r.idempotency_key for r in sent_rows(session)] == ["k:now"]
    assert len(slack.workspace.calls_to("chat.postMessage")) == 1
    assert (
        outbox.send_now(
            sessions, client, Record(Purpose.other, "k:missing"), now=NOW, worker_id="web:1"
        )
        is None
    )
