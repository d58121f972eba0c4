"""The digest's numbers, each one aggregate query in the database (no row-by-row Python).

Every query takes a program and a cut-off instant; nothing timestamped at or after the cut-off
counts, so a past week's digest reads the same whenever it is computed. (Circle attendance and pulse
carry no timestamp of their own: a past week's circle health shows them as they stand now.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Integer, and_, case, cast, distinct, func, literal, select, union
from sqlalchemy.orm import Session

from bot.models import (
    Answer,
    Delivery,
    DeliveryKind,
    Kpi,
    KpiObservation,
    Membership,
    ObservationSource,
    Person,
    PersonStatus,
    Role,
)


def _of_delivery(column, program_id: int, *, modules_only: bool = False):  # type: ignore[no-untyped-def]
    """A column of an answer's delivery, looked up by key for each answer (NULL outside the
    program).

    The week's answers are few and a program's deliveries span its whole history: reading the
    answers by time and fetching each one's delivery by primary key beats any join plan SQLite or
    PostgreSQL picks, both of which read every delivery of the program.
    """
    conditions = [Delivery.id == Answer.delivery_id, Delivery.program_id == program_id]
    if modules_only:
        conditions.append(Delivery.kind == DeliveryKind.module)
    return select(column).where(*conditions).scalar_subquery()


# How late a weekly check-in still counts as activity in the week it is answered.
CHECKIN_LATE = dt.timedelta(days=15)


@dataclass(frozen=True)
class Window:
    """A half-open span of time [start, end) in UTC."""

    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class Mean:
    """An average and how many distinct people it covers."""

    value: float | None
    people: int


@dataclass(frozen=True)
class Completion:
    sent: int
    completed: int
    people: int


def enrolled_executives(session: Session, program_id: int) -> int:
    """Executives in the program who have not left, opted out or been forgotten."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Membership)
            .join(Person, Person.id == Membership.person_id)
            .where(*current_executive(program_id))
        )
        or 0
    )


def current_executive(program_id: int) -> tuple:
    """Conditions on Membership and Person: an executive of the program still taking part."""
    return (
        Membership.program_id == program_id,
        Membership.role == Role.executive,
        Membership.left_at.is_(None),
        Person.status != PersonStatus.opted_out,
        Person.forgotten_at.is_(None),
    )


def active_executives(session: Session, program_id: int, windows: list[Window]) -> list[int]:
    """Per consecutive window: executives who answered, finished a module or checked in during
    it."""
    first, last = windows[0].start, windows[-1].end

    def bucket(column):  # type: ignore[no-untyped-def]
        return case(*((column < w.end, i) for i, w in enumerate(windows)), else_=None).label(
            "bucket"
        )

    week = (
        select(
            _of_delivery(Delivery.person_id, program_id).label("person_id"),
            bucket(Answer.answered_at),
        )
        .where(Answer.answered_at >= first, Answer.answered_at < last)
        .subquery()
    )
    answered = select(week.c.person_id, week.c.bucket).where(week.c.person_id.is_not(None))
    finished = select(Delivery.person_id, bucket(Delivery.completed_at)).where(
        Delivery.program_id == program_id,
        Delivery.completed_at >= first,
        Delivery.completed_at < last,
    )
    checked_in = (
        select(KpiObservation.person_id, bucket(KpiObservation.recorded_at))
        .join(Kpi, Kpi.id == KpiObservation.kpi_id)
        .where(
            Kpi.program_id == program_id,
            KpiObservation.source == ObservationSource.self_report,
            # Check-ins for these weeks or the two before: a bound both databases can seek on.
            KpiObservation.period_start >= (first - CHECKIN_LATE).date(),
            KpiObservation.period_start <= last.date(),
            KpiObservation.recorded_at >= first,
            KpiObservation.recorded_at < last,
        )
    )
    people = union(answered, finished, checked_in).subquery()
    counts = dict(
        session.execute(select(people.c.bucket, func.count()).group_by(people.c.bucket)).all()
    )
    return [int(counts.get(i, 0)) for i in range(len(windows))]


def completion_by_window(
    session: Session, program_id: int, windows: list[Window]
) -> list[Completion]:
    """Per window: modules sent in it, how many of those were finished before it ended, and to how
    many people."""
    if not windows:
        return []
    bucket = case(*((Delivery.sent_at < w.end, i) for i, w in enumerate(windows)), else_=None)
    ends = case(*((bucket == i, literal(w.end)) for i, w in enumerate(windows)), else_=None)
    rows = session.execute(
        select(
            bucket.label("bucket"),
            func.count(),
            func.sum(case((Delivery.completed_at < ends, 1), else_=0)),
            func.count(distinct(Delivery.person_id)),
        )
        .where(
            Delivery.program_id == program_id,
            Delivery.kind == DeliveryKind.module,
            Delivery.sent_at >= windows[0].start,
            Delivery.sent_at < windows[-1].end,
        )
        .group_by(bucket)
    ).all()
    found = {
        int(b): Completion(int(sent), int(done or 0), int(people))
        for b, sent, done, people in rows
        if b is not None
    }
    return [found.get(i, Completion(0, 0, 0)) for i in range(len(windows))]


def _first_attempts(program_id: int, window: Window):  # type: ignore[no-untyped-def]
    """The window's scored first attempts at quiz questions: person, module, question, right
    (1/0)."""
    week = (
        select(
            _of_delivery(Delivery.person_id, program_id, modules_only=True).label("person_id"),
            _of_delivery(Delivery.module_id, program_id, modules_only=True).label("module_id"),
            Answer.question_id,
            case((Answer.correct.is_(True), 1.0), else_=0.0).label("right"),
        )
        .where(
            Answer.attempt == 1,
            Answer.correct.is_not(None),
            Answer.answered_at >= window.start,
            Answer.answered_at < window.end,
        )
        .subquery()
    )
    return week, week.c.person_id.is_not(None)


def first_attempt_score(session: Session, program_id: int, window: Window) -> Mean:
    """Share of quiz questions answered right at the first attempt, and by how many people."""
    week, in_program = _first_attempts(program_id, window)
    value, people = session.execute(
        select(func.avg(week.c.right), func.count(distinct(week.c.person_id))).where(in_program)
    ).one()
    return Mean(float(value) if value is not None else None, int(people or 0))


def hardest_question(
    session: Session, program_id: int, window: Window, *, min_people: int
) -> tuple[str, str, Mean] | None:
    """(module id, question id, share right first time) of the week's hardest question with enough
    answers."""
    week, in_program = _first_attempts(program_id, window)
    people = func.count(distinct(week.c.person_id))
    share = func.avg(week.c.right)
    row = session.execute(
        select(week.c.module_id, week.c.question_id, share, people)
        .where(in_program)
        .group_by(week.c.module_id, week.c.question_id)
        .having(people >= min_people)
        .order_by(share, week.c.module_id, week.c.question_id)
        .limit(1)
    ).first()
    if row is None:
        return None
    module_id, question_id, value, n = row
    return module_id, question_id, Mean(float(value), int(n))


def module_completion(
    session: Session, program_id: int, window: Window, *, min_people: int
) -> list[tuple[str, Completion]]:
    """Modules sent in the window with enough recipients, best finished first."""
    done = func.sum(case((Delivery.completed_at < window.end, 1), else_=0))
    rows = session.execute(
        select(Delivery.module_id, func.count(), done, func.count(distinct(Delivery.person_id)))
        .where(
            Delivery.program_id == program_id,
            Delivery.kind == DeliveryKind.module,
            Delivery.sent_at >= window.start,
            Delivery.sent_at < window.end,
        )
        .group_by(Delivery.module_id)
        .having(func.count(distinct(Delivery.person_id)) >= min_people)
    ).all()
    out = [(m, Completion(int(s), int(d or 0), int(p))) for m, s, d, p in rows]
    return sorted(out, key=lambda item: (-item[1].completed / item[1].sent, item[0]))


def kpi_points(
    session: Session, kpi_id: int, source: ObservationSource, *, periods: list[dt.date]
) -> dict[dt.date, Mean]:
    """Average value and respondents of one KPI for each given period start."""
    people = func.count(distinct(KpiObservation.person_id))
    rows = session.execute(
        select(KpiObservation.period_start, func.avg(KpiObservation.value), people)
        .where(
            KpiObservation.kpi_id == kpi_id,
            KpiObservation.source == source,
            KpiObservation.period_start.in_(periods),
        )
        .group_by(KpiObservation.period_start)
    ).all()
    return {period: Mean(float(value), int(n)) for period, value, n in rows}


def kpi_baseline(
    session: Session, kpi_id: int, source: ObservationSource, *, before: dt.date, min_people: int
) -> tuple[dt.date, Mean] | None:
    """The first period with enough respondents: the KPI's baseline."""
    people = func.count(distinct(KpiObservation.person_id))
    row = session.execute(
        select(KpiObservation.period_start, func.avg(KpiObservation.value), people)
        .where(
            KpiObservation.kpi_id == kpi_id,
            KpiObservation.source == source,
            KpiObservation.period_start <= before,
        )
        .group_by(KpiObservation.period_start)
        .having(people >= min_people)
        .order_by(KpiObservation.period_start)
        .limit(1)
    ).first()
    return (row[0], Mean(float(row[1]), int(row[2]))) if row else None


def mentor_periods(session: Session, kpi_id: int, *, before: dt.date, limit: int) -> list[dt.date]:
    """The latest circle periods with mentor observations of a KPI, oldest first."""
    rows = session.scalars(
        select(KpiObservation.period_start)
        .where(
            KpiObservation.kpi_id == kpi_id,
            KpiObservation.source == ObservationSource.mentor,
            KpiObservation.period_start <= before,
        )
        .group_by(KpiObservation.period_start)
        .order_by(KpiObservation.period_start.desc())
        .limit(limit)
    ).all()
    return sorted(rows)


def skill_change(
    session: Session, program_id: int, areas: dict[str, str], *, cutoff: dt.datetime
) -> dict[str, tuple[Mean, Mean, Mean]]:
    """Per skill area: (baseline of everyone, baseline of those who also closed, closing of those
    people).

    `areas` maps assessment question ids to their skill area. Ratings are compared for the same
    people only, so a change is never an artefact of who answered. One pass: each person's
    baseline and closing rating per question side by side, then averaged per area.
    """
    if not areas:
        return {}
    value = cast(Answer.value, Integer)
    ratings = (
        select(
            Delivery.person_id.label("person_id"),
            case(*((Answer.question_id == q, a) for q, a in areas.items()), else_=None).label(
                "area"
            ),
            func.max(case((Delivery.kind == DeliveryKind.baseline, value))).label("before"),
            func.max(case((Delivery.kind == DeliveryKind.closing, value))).label("after"),
        )
        .join(Answer, Answer.delivery_id == Delivery.id)
        .where(
            Delivery.program_id == program_id,
            Delivery.kind.in_([DeliveryKind.baseline, DeliveryKind.closing]),
            Answer.attempt == 1,
            Answer.answered_at < cutoff,
            Answer.question_id.in_(list(areas)),
        )
        .group_by(Delivery.person_id, Answer.question_id)
        .subquery()
    )
    paired = and_(ratings.c.before.is_not(None), ratings.c.after.is_not(None))
    rows = session.execute(
        select(
            ratings.c.area,
            func.avg(ratings.c.before),
            func.count(distinct(case((ratings.c.before.is_not(None), ratings.c.person_id)))),
            func.avg(case((paired, ratings.c.before))),
            func.avg(case((paired, ratings.c.after))),
            func.count(distinct(case((paired, ratings.c.person_id)))),
        ).group_by(ratings.c.area)
    ).all()

    def mean_of(v: object, n: object) -> Mean:
        return Mean(float(v) if v is not None else None, int(n or 0))  # type: ignore[arg-type]

    found = {a: (mean_of(b, nb), mean_of(pb, np), mean_of(pa, np)) for a, b, nb, pb, pa, np in rows}
    empty = (Mean(None, 0), Mean(None, 0), Mean(None, 0))
    return {a: found.get(a, empty) for a in dict.fromkeys(areas.values())}
