"""Enrolment: import roster rows, then plan each new executive's modules at once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from bot.content.loader import Catalog
from bot.learning.service import plan_deliveries
from bot.models import Program
from bot.roster.service import Directory, ImportReport, RosterRow, import_roster


def enroll(
    session: Session,
    *,
    program: Program,
    rows: list[RosterRow],
    directory: Directory,
    catalog: Catalog,
    filename: str,
    now: dt.datetime,
) -> ImportReport:
    """Add or update people in `program` and plan their deliveries, so Home and `program show` are
    right at once."""
    report = import_roster(
        session, program=program, rows=rows, directory=directory, filename=filename, now=now
    )
    plan_deliveries(session, program=program, catalog=catalog, now=now)
    return report
