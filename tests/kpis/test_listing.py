"""`upward kpi list` reads every KPI of a program: active ones first, each group oldest first."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from bot.kpis import service
from tests import factories

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


def test_program_kpis_lists_active_kpis_before_retired_ones(session: Session) -> None:
    prog = factories.program(session, factories.catalog())
    other = factories.program(session, factories.catalog(), name="Other")
    service.retire_kpi(session, program=prog, key="asked-first", now=NOW)

    listed = service.program_kpis(session, prog.id)

    statuses = [k.status.value for k in listed]
    assert statuses == sorted(statuses) and statuses[-1] == "retired"  # active first
    assert [k.key for k in listed if k.status.value == "retired"] == ["asked-first"]
    active = [k for k in listed if k.status.value == "active"]
    assert [k.id for k in active] == sorted(k.id for k in active)  # oldest first
    assert "confidence" in {k.key for k in active}
    assert all(k.program_id == prog.id for k in listed)
    assert len(service.program_kpis(session, other.id)) == len(listed)
