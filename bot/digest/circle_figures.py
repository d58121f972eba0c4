"""The digest's circle figures: how the newest circle period went (met, attendance, pulse, notes),
in aggregate queries like bot.digest.metrics."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.orm import Session

from bot.digest.metrics import Mean
from bot.models import (
    Circle,
    CircleMember,
    MentorNote,
    Role,
)


@dataclass(frozen=True)
class CirclePeriod:
    start: dt.date
    end: dt.date
    circles: int
    met: int
    executives: int
    attended: int
    pulse: Mean
    notes: int
    newest_note: str | None
    newest_note_circle_size: int


def latest_circle_period(
    session: Session, program_id: int, *, cutoff: dt.datetime
) -> CirclePeriod | None:
    """Health of the newest circle period that had started by the cut-off."""
    start = session.scalar(
        select(func.max(Circle.period_start)).where(
            Circle.program_id == program_id, Circle.formed_at < cutoff
        )
    )
    if start is None:
        return None
    in_period = (Circle.program_id == program_id, Circle.period_start == start)
    period_circles = select(Circle.id).where(*in_period)
    met_circles = (
        select(CircleMember.circle_id)
        .where(CircleMember.circle_id.in_(period_circles), CircleMember.attended.is_(True))
        .distinct()
        .subquery()
    )
    circles, met, end = session.execute(
        select(
            func.count(Circle.id), func.count(met_circles.c.circle_id), func.max(Circle.period_end)
        )
        .outerjoin(met_circles, met_circles.c.circle_id == Circle.id)
        .where(*in_period)
    ).one()
    is_exec = CircleMember.role == Role.executive
    executives, attended, pulse, raters = session.execute(
        select(
            func.sum(case((is_exec, 1), else_=0)),
            func.sum(case((and_(is_exec, CircleMember.attended.is_(True)), 1), else_=0)),
            func.avg(CircleMember.pulse),
            func.count(distinct(case((CircleMember.pulse.is_not(None), CircleMember.person_id)))),
        )
        .join(Circle, Circle.id == CircleMember.circle_id)
        .where(*in_period, CircleMember.left_at.is_(None))
    ).one()
    notes = (
        session.scalar(
            select(func.count())
            .select_from(MentorNote)
            .join(Circle, Circle.id == MentorNote.circle_id)
            .where(*in_period, MentorNote.created_at < cutoff)
        )
        or 0
    )
    newest = session.execute(
        select(MentorNote.text, MentorNote.circle_id)
        .join(Circle, Circle.id == MentorNote.circle_id)
        .where(*in_period, MentorNote.created_at < cutoff)
        .order_by(MentorNote.created_at.desc(), MentorNote.id.desc())
        .limit(1)
    ).first()
    size = 0
    if newest is not None:
        size = (
            session.scalar(
                select(func.count())
                .select_from(CircleMember)
                .where(CircleMember.circle_id == newest[1], CircleMember.left_at.is_(None))
            )
            or 0
        )
    return CirclePeriod(
        start=start,
        end=end,
        circles=int(circles),
        met=int(met),
        executives=int(executives or 0),
        attended=int(attended or 0),
        pulse=Mean(float(pulse) if pulse is not None else None, int(raters or 0)),
        notes=int(notes),
        newest_note=newest[0] if newest else None,
        newest_note_circle_size=int(size),
    )
