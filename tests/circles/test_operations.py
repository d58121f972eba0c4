"""Circles on request: the period a month names, and forming a period's circles once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from bot.circles import operations
from bot.circles.service import plan_formation
from bot.circles.texts import preview_text
from bot.errors import InvalidInput
from bot.models import Role
from tests import factories

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


def test_period_for_reads_a_month_or_takes_the_current_period(session: Session) -> None:
    cat = factories.catalog(weeks=8)
    prog = factories.program(session, cat)

    current = operations.period_for(cat, prog, None, now=NOW)

    assert current.start <= NOW.date() <= current.end
    assert operations.period_for(cat, prog, "2026-12", now=NOW) == current
    with pytest.raises(InvalidInput, match="is not YYYY-MM"):
        operations.period_for(cat, prog, "December", now=NOW)


def test_form_now_forms_the_circles_once(session: Session) -> None:
    cat = factories.catalog(weeks=8)
    prog = factories.program(session, cat)
    for i in range(4):
        factories.person(session, prog, f"U_E{i}", tz="Europe/Berlin", country="DE")
    for i in range(2):
        factories.person(
            session, prog, f"U_M{i}", tz="Europe/Berlin", country="DE", role=Role.mentor
        )
    period = operations.period_for(cat, prog, None, now=NOW)

    ids, existed = operations.form_now(session, program=prog, period=period, catalog=cat, now=NOW)
    again, existed_again = operations.form_now(
        session, program=prog, period=period, catalog=cat, now=NOW
    )

    assert ids and not existed
    assert again == ids and existed_again


def test_the_proposal_counts_one_circle_as_one_circle(session: Session) -> None:
    cat = factories.catalog(weeks=8)
    prog = factories.program(session, cat)
    for i in range(3):
        factories.person(
            session, prog, f"U_E{i}", tz="Europe/Berlin", country="DE"
        ).department = "Sales"
    factories.person(session, prog, "U_M0", tz="Europe/Berlin", country="DE", role=Role.mentor)
    session.flush()
    period = operations.period_for(cat, prog, None, now=NOW)

    text = preview_text(plan_formation(session, program=prog, period=period, catalog=cat, now=NOW))

    assert ": 1 circle; repeat pairs 0" in text, text
    assert ": 4 people, 1 department, 0 repeat pairs," in text, text
