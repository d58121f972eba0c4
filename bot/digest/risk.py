"""Who is at risk in a program, and why: the signals (missed modules, a falling pulse, a skipped
circle, silent check-ins), each one aggregate query, and the list the digest shows its leads."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from bot.digest import metrics
from bot.digest.model import AtRisk, Week
from bot.models import (
    Circle,
    CircleMember,
    Delivery,
    DeliveryKind,
    Kpi,
    KpiObservation,
    Membership,
    ObservationSource,
    OutboxMessage,
    OutboxStatus,
    Person,
    PersonStatus,
    Program,
    Purpose,
    Role,
)

AT_RISK_STREAK = 3
STREAK_LOOKBACK = dt.timedelta(weeks=8)
PULSE_DROP = 1.0
AT_RISK_SHOWN = 10


def missed_streaks(
    session: Session, program_id: int, *, cutoff: dt.datetime, lookback: dt.timedelta, at_least: int
) -> dict[int, int]:
    """Person id -> how many of their latest modules in a row (sent before the cut-off) are
    unfinished."""
    finished = and_(Delivery.completed_at.is_not(None), Delivery.completed_at < cutoff)
    ranked = (
        select(
            Delivery.person_id,
            finished.label("finished"),
            func.row_number()
            .over(partition_by=Delivery.person_id, order_by=Delivery.sequence.desc())
            .label("rn"),
        )
        .where(
            Delivery.program_id == program_id,
            Delivery.kind == DeliveryKind.module,
            Delivery.sent_at < cutoff,
            Delivery.sent_at >= cutoff - lookback,
        )
        .subquery()
    )
    streak = func.coalesce(func.min(case((ranked.c.finished, ranked.c.rn))) - 1, func.count())
    rows = session.execute(
        select(ranked.c.person_id, streak).group_by(ranked.c.person_id).having(streak >= at_least)
    )
    return {int(pid): int(n) for pid, n in rows}


def pulse_drops(
    session: Session, program_id: int, *, cutoff: dt.datetime, at_least: float
) -> dict[int, float]:
    """Person id -> how far their latest circle pulse fell below the average of their earlier
    ones."""
    ranked = (
        select(
            CircleMember.person_id,
            CircleMember.pulse,
            func.row_number()
            .over(partition_by=CircleMember.person_id, order_by=Circle.period_start.desc())
            .label("rn"),
        )
        .join(Circle, Circle.id == CircleMember.circle_id)
        .where(
            Circle.program_id == program_id,
            Circle.formed_at < cutoff,
            CircleMember.role == Role.executive,
            CircleMember.pulse.is_not(None),
        )
        .subquery()
    )
    drop = func.avg(case((ranked.c.rn > 1, ranked.c.pulse))) - func.max(
        case((ranked.c.rn == 1, ranked.c.pulse))
    )
    rows = session.execute(
        select(ranked.c.person_id, drop).group_by(ranked.c.person_id).having(drop >= at_least)
    )
    return {int(pid): round(float(d), 1) for pid, d in rows}


def skipped_circle(session: Session, program_id: int, *, period_start: dt.date) -> set[int]:
    """Executives of the period's circles that met without them (or who said they couldn't come)."""
    period_circles = select(Circle.id).where(
        Circle.program_id == program_id, Circle.period_start == period_start
    )
    met_circles = select(CircleMember.circle_id).where(
        CircleMember.circle_id.in_(period_circles), CircleMember.attended.is_(True)
    )
    rows = session.scalars(
        select(CircleMember.person_id)
        .join(Circle, Circle.id == CircleMember.circle_id)
        .where(
            Circle.program_id == program_id,
            Circle.period_start == period_start,
            CircleMember.role == Role.executive,
            CircleMember.left_at.is_(None),
            CircleMember.attended.is_not(True),
            or_(CircleMember.circle_id.in_(met_circles), CircleMember.met_response == "couldnt"),
        )
    )
    return set(rows)


def silent_checkins(
    session: Session, program_id: int, *, weeks: list[dt.date], cutoff: dt.datetime
) -> set[int]:
    """Executives sent a check-in in each of these weeks who answered none of them."""
    sent = (
        select(OutboxMessage.person_id)
        .where(
            OutboxMessage.program_id == program_id,
            OutboxMessage.purpose == Purpose.kpi_checkin,
            OutboxMessage.period.in_([w.isoformat() for w in weeks]),
            OutboxMessage.status == OutboxStatus.sent,
            OutboxMessage.sent_at < cutoff,
        )
        .group_by(OutboxMessage.person_id)
        .having(func.count() >= len(weeks))
        .subquery()
    )
    answered = (
        select(KpiObservation.person_id)
        .join(Kpi, Kpi.id == KpiObservation.kpi_id)
        .where(
            Kpi.program_id == program_id,
            KpiObservation.source == ObservationSource.self_report,
            KpiObservation.period_start.in_(weeks),
            KpiObservation.recorded_at < cutoff,
        )
    )
    return set(session.scalars(select(sent.c.person_id).where(sent.c.person_id.not_in(answered))))


def at_risk(
    session: Session,
    program: Program,
    *,
    week: Week,
    circle_period: dt.date | None,
    circle_word: str,
) -> tuple[list[AtRisk], int]:
    """Executives to look at, with plain-language reasons; the worst first, at most
    AT_RISK_SHOWN."""
    cutoff = week.window.end
    streaks = missed_streaks(
        session, program.id, cutoff=cutoff, lookback=STREAK_LOOKBACK, at_least=AT_RISK_STREAK
    )
    drops = pulse_drops(session, program.id, cutoff=cutoff, at_least=PULSE_DROP)
    skipped = (
        skipped_circle(session, program.id, period_start=circle_period) if circle_period else set()
    )
    silent = silent_checkins(
        session,
        program.id,
        weeks=[week.shift(-1, program.timezone).monday, week.monday],
        cutoff=cutoff,
    )
    flagged = set(streaks) | set(drops) | skipped | silent
    if not flagged:
        return [], 0
    current = set(
        session.scalars(
            select(Person.id)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                *metrics.current_executive(program.id),
                Person.status
                == PersonStatus.active,  # not paused (nor opted out): they chose a break
                (Person.paused_until.is_(None)) | (Person.paused_until <= cutoff),
            )
            # A short list is looked up by id; a long one is checked against every executive.
            .where(Person.id.in_(flagged) if len(flagged) <= 5000 else Person.id.is_not(None))
        )
    )
    severity = {
        pid: (streaks.get(pid, 0), drops.get(pid, 0.0), pid in skipped, pid in silent)
        for pid in flagged & current
    }
    worst = sorted(
        severity,
        key=lambda pid: (-sum(map(bool, severity[pid])), -severity[pid][0], -severity[pid][1], pid),
    )
    shown = worst[:AT_RISK_SHOWN]
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(shown)))}
    mentors = latest_mentors(session, program.id, shown)
    out = []
    for pid in shown:
        streak, drop, skip, quiet = severity[pid]
        reasons = []
        if streak:
            reasons.append(f"missed {streak} modules in a row")
        if drop:
            reasons.append(f"pulse down {drop:.1f}")
        if skip:
            reasons.append(f"skipped {circle_word}")
        if quiet:
            reasons.append("no check-in for 2 weeks")
        person = people[pid]
        out.append(
            AtRisk(
                pid,
                person.slack_user_id,
                person.display_name or person.slack_user_id,
                reasons,
                mentors.get(pid),
            )
        )
    return out, len(severity)


def latest_mentors(session: Session, program_id: int, person_ids: list[int]) -> dict[int, str]:
    """Person id -> Slack id of the mentor of their newest circle (one still in it, and not
    forgotten)."""
    if not person_ids:
        return {}
    mine = (
        select(CircleMember.circle_id, CircleMember.person_id)
        .where(CircleMember.person_id.in_(person_ids), CircleMember.role == Role.executive)
        .subquery()
    )
    mentor = CircleMember.__table__.alias("mentor")
    rows = session.execute(
        select(mine.c.person_id, Person.slack_user_id, Circle.period_start)
        .join(Circle, Circle.id == mine.c.circle_id)
        .join(
            mentor,
            (mentor.c.circle_id == Circle.id)
            & (mentor.c.role == Role.mentor.value)
            & mentor.c.left_at.is_(None),
        )
        .join(Person, Person.id == mentor.c.person_id)
        .where(Circle.program_id == program_id, Person.forgotten_at.is_(None))
        .order_by(Circle.period_start)
    ).all()
    return {pid: uid for pid, uid, _ in rows}  # the newest period wins
