"""Outbox rows say what they are for: every record builder, and the back-fill of rows written
before the columns existed."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Integer, String, column, insert, select, table
from sqlalchemy.engine import URL

from bot.migrate import alembic_config, upgrade
from bot.models import OutboxMessage, Purpose, UTCDateTime
from bot.slack import records
from bot.slack.records import Record
from tests.dbs import engine_for

UTC = dt.UTC
MEETING = dt.datetime(2026, 11, 12, 18, 0, tzinfo=UTC)
MONDAY = dt.date(2026, 11, 9)
BEFORE_PURPOSES = "4d56f790e6a1"
PURPOSES = "7241962b0c3f"


def every_builder() -> list[Record]:
    """One record of each purpose, built as the features build them."""
    digest = records.digest(7, "2026-W45", "12", manual_at=None)
    return [
        records.module(12),
        records.reminder(12),
        records.update(12, "0f3a9c"),
        records.reply("U0ADA", "1731400000.123"),
        records.ephemeral("U0ADA", "1731400000.456"),
        records.circle_left_out(7, dt.date(2026, 11, 1), 31),
        records.circle_welcome(3),
        records.circle_scheduled(3, MEETING),
        records.circle_reminder(3, MEETING, "U0ADA"),
        records.circle_met(3, MEETING, "U0ADA"),
        records.circle_prompt(3, "career-stories"),
        records.circle_closing(3),
        records.circle_topic(3, MEETING),
        records.circle_invite(3, 31, MEETING),
        records.circle_kick(3, 31, MEETING),
        records.observation(3, 31),
        records.kpi_checkin(7, 31, MONDAY),
        records.event(7, 0, 5, 31),
        digest,
        records.digest_chart(digest),
        records.digest(7, "2026-W45", "channel", manual_at=MEETING),
        records.nudge(7, 31, MONDAY),
        records.ping_mentor(7, 31, MONDAY),
    ]


def test_every_purpose_has_a_builder() -> None:
    built = {r.purpose for r in every_builder()}
    assert built == set(Purpose) - {Purpose.other}


def test_keys_are_unique_per_thing_and_fit_the_column() -> None:
    built = every_builder()
    assert len({r.key for r in built}) == len(built)
    assert len(records.reply("U" * 150, "1" * 150).key) == records.KEY_MAX


def test_builders_name_their_subject_and_period() -> None:
    assert records.module(12) == Record(Purpose.module, "delivery:12", 12, None)
    assert records.kpi_checkin(7, 31, MONDAY) == Record(
        Purpose.kpi_checkin, "kpi-checkin:7:31:2026-11-09", 7, "2026-11-09"
    )
    assert records.circle_reminder(3, MEETING, "U0ADA").period == str(int(MEETING.timestamp()))
    assert records.digest_chart(records.digest(7, "2026-W45", "12", manual_at=None)) == Record(
        Purpose.digest_chart, "digest:7:2026-W45:12:chart", 7, "2026-W45"
    )


def _migration() -> ModuleType:
    script = ScriptDirectory.from_config(alembic_config())
    path = Path(script.get_revision(PURPOSES).path)
    spec = importlib.util.spec_from_file_location("outbox_purposes", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def older_builders() -> list[Record]:
    """The records of the purposes that existed when the back-fill was written."""
    return [r for r in every_builder() if r.purpose.value in _migration().PURPOSES]


def test_the_back_fill_reads_every_builders_key_as_the_builder_wrote_it() -> None:
    classify = _migration().classify
    for r in older_builders():
        assert classify(r.key) == {
            "purpose": r.purpose.value,
            "subject_id": r.subject_id,
            "period": r.period,
        }, r.key
    assert classify("hello:U0ADA")["purpose"] == "other"


def test_upgrading_fills_the_columns_of_rows_written_before_them(empty_database: URL) -> None:
    eng = engine_for(empty_database)
    try:
        upgrade(eng, BEFORE_PURPOSES)
        old = table(
            "outbox",
            column("idempotency_key", String),
            column("method", String),
            column("payload", JSON),
            column("status", String),
            column("attempts", Integer),
            column("next_attempt_at", UTCDateTime),
            column("created_at", UTCDateTime),
        )
        built = older_builders()
        with eng.begin() as conn:
            conn.execute(
                insert(old),
                [
                    dict(
                        idempotency_key=key,
                        method="chat.postMessage",
                        payload={},
                        status="sent",
                        attempts=1,
                        next_attempt_at=MEETING,
                        created_at=MEETING,
                    )
                    for key in [r.key for r in built] + ["hello:U0ADA"]
                ],
            )
        upgrade(eng)
        with eng.connect() as conn:
            rows = {
                key: (purpose, subject_id, period)
                for key, purpose, subject_id, period in conn.execute(
                    select(
                        OutboxMessage.idempotency_key,
                        OutboxMessage.purpose,
                        OutboxMessage.subject_id,
                        OutboxMessage.period,
                    )
                )
            }
        assert rows == {
            **{r.key: (r.purpose, r.subject_id, r.period) for r in built},
            "hello:U0ADA": (Purpose.other, None, None),
        }
    finally:
        eng.dispose()


@pytest.mark.parametrize("purpose", [Purpose.module, Purpose.kpi_checkin])
def test_a_record_is_written_with_its_columns(session, purpose: Purpose) -> None:  # type: ignore[no-untyped-def]
    from bot.slack import outbox

    record = next(r for r in every_builder() if r.purpose == purpose)
    outbox.enqueue(
        session, record, method="chat.postMessage", payload={"channel": "U1"}, now=MEETING
    )
    row = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.purpose == purpose, OutboxMessage.subject_id == record.subject_id
        )
    ).one()
    assert (row.idempotency_key, row.period) == (record.key, record.period)
    assert outbox.written(session, [record, records.module(999)]) == {record}
