"""The digest on request: a chosen week (or the last complete one), and sending it to the leads."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.digest import operations
from bot.digest.model import Week
from bot.errors import InvalidInput, Refusal
from bot.models import OutboxMessage, Role
from tests import factories

NOW = dt.datetime(2026, 12, 16, 9, 0, tzinfo=dt.UTC)  # a Wednesday


def test_digest_for_defaults_to_the_last_complete_week_and_reads_an_iso_week(
    session: Session,
) -> None:
    cat = factories.catalog()
    factories.program(session, cat)

    _, last = operations.digest_for(session, catalog=cat, program_name="Mini", week=None, now=NOW)
    _, chosen = operations.digest_for(
        session, catalog=cat, program_name="Mini", week="2026-W49", now=NOW
    )

    assert last.week.label == Week.last_complete(NOW, "Europe/Berlin").label
    assert chosen.week.label == Week.parse("2026-W49", "Europe/Berlin").label
    with pytest.raises(InvalidInput, match="^--week: "):
        operations.digest_for(session, catalog=cat, program_name="Mini", week="W49", now=NOW)


def test_send_now_queues_one_message_per_lead_and_refuses_without_leads(session: Session) -> None:
    cat = factories.catalog()
    prog = factories.program(session, cat)
    with pytest.raises(Refusal, match="has no leads to send to"):
        operations.send_now(session, catalog=cat, program_name="Mini", week=None, now=NOW)

    factories.person(session, prog, "U_LEAD", tz="Europe/Berlin", country="DE", role=Role.lead)
    computed, count = operations.send_now(
        session, catalog=cat, program_name="Mini", week=None, now=NOW
    )

    assert count == 1 and computed.program_name == "Mini"
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) >= 1


def test_send_now_refuses_a_week_before_the_program_starts_and_queues_nothing(
    session: Session,
) -> None:
    cat = factories.catalog()
    prog = factories.program(session, cat, name="Later", start=dt.date(2027, 1, 5))
    factories.person(session, prog, "U_LEAD", tz="Europe/Berlin", country="DE", role=Role.lead)

    with pytest.raises(Refusal) as refused:
        operations.send_now(session, catalog=cat, program_name="Later", week=None, now=NOW)

    assert str(refused.value) == (
        "'Later' starts on Tue 5 Jan 2027, after 2026-W50 ends, so that digest would report"
        " nothing: the first digest covers 2027-W01 (the worker sends it once that week is over;"
        " preview it with `upward digest preview --program 'Later' --week 2027-W01`)"
    )
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
