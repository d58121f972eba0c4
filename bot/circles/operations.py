"""Circles on request: the period a month names, and forming a period's circles now."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.circles import jobs
from bot.circles.service import Period, periods
from bot.content.loader import Catalog
from bot.core.calendar import local_day
from bot.errors import InvalidInput, Refusal
from bot.models import Circle, Program


def period_for(
    catalog: Catalog, program: Program, month: str | None, *, now: dt.datetime
) -> Period:
    """The circle period of `month` (YYYY-MM: starting in or covering it), or the current/next."""
    template = catalog.programs[program.template]
    if month:
        try:
            first = dt.date.fromisoformat(f"{month}-01")
        except ValueError:
            raise InvalidInput(f"--month {month!r} is not YYYY-MM, e.g. 2026-12") from None
        found = [
            p
            for p in periods(program, template, until=first + dt.timedelta(days=31))
            if (p.start.year, p.start.month) == (first.year, first.month)
            or p.start <= first <= p.end
        ]
    else:
        today = local_day(now, program.timezone)
        found = [
            p
            for p in periods(program, template, until=today + dt.timedelta(days=62))
            if p.end >= today
        ]
    if not found:
        raise Refusal(
            f"{program.name} has no circle period {'in ' + month if month else 'now or soon'}"
        )
    return found[0]


def circle_ids(session: Session, *, program_id: int, period_start: dt.date) -> list[int]:
    """The ids of a program's circles for the period starting on `period_start`."""
    return list(
        session.scalars(
            select(Circle.id).where(
                Circle.program_id == program_id, Circle.period_start == period_start
            )
        )
    )


def form_now(
    session: Session, *, program: Program, period: Period, catalog: Catalog, now: dt.datetime
) -> tuple[list[int], bool]:
    """Form the period's circles unless it has some: their ids, and whether they existed already."""
    existed = bool(circle_ids(session, program_id=program.id, period_start=period.start))
    if not existed:
        jobs.form(session, program_id=program.id, period=period, catalog=catalog, now=now)
    return circle_ids(session, program_id=program.id, period_start=period.start), existed
