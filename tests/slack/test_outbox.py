"""The outbox's write side: one row per key, and the caller told whether it was new."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.models import OutboxMessage, Purpose
from bot.slack import outbox
from bot.slack.records import Record

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
