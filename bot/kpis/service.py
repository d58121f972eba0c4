"""KPIs: managing a program's 2–3 measures, and the weekly one-click check-in that feeds them."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.calendar import Window, is_working_day, local_day, may_deliver, week_start
from bot.errors import Refusal, UpwardError
from bot.models import (
    OBSERVED,
    Circle,
    CircleMember,
    Kpi,
    KpiObservation,
    KpiStatus,
    Membership,
    ObservationSource,
    Person,
    Program,
    Role,
)
from bot.programs.audience import due_by_rules
from bot.slack import outbox, records

MAX_ACTIVE = 3
KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
CHECKIN_WEEKDAY = 4  # Friday; Thursday when Friday is not a working day for the person


class KpiError(UpwardError):
    """A KPI change that cannot be made as asked; the message says why and what to do."""


@dataclass(frozen=True)
class DueCheckin:
    program_id: int
    person_id: int
    slack_user_id: str
    week_start: dt.date  # Monday of the person's week


def active_kpis(session: Session, program_id: int) -> list[Kpi]:
    """The KPIs executives report on in their weekly check-in (not the mentor-observed one)."""
    return list(
        session.scalars(
            select(Kpi)
            .where(
                Kpi.program_id == program_id, Kpi.status == KpiStatus.active, Kpi.kind != OBSERVED
            )
            .order_by(Kpi.id)
        )
    )


def focus_kpi(session: Session, program_id: int) -> Kpi | None:
    """The program's focus behaviour, which mentors rate once a circle (None when retired)."""
    return session.scalars(
        select(Kpi).where(
            Kpi.program_id == program_id, Kpi.status == KpiStatus.active, Kpi.kind == OBSERVED
        )
    ).first()


def add_kpi(
    session: Session,
    *,
    program: Program,
    key: str,
    name: str,
    question: str,
    kind: str,
    scale_min: int,
    scale_max: int,
    low_label: str,
    high_label: str,
    now: dt.datetime,
) -> Kpi:
    """A new KPI for the program; at most three are active, so the weekly check-in stays under a
    minute."""
    if not KEY.match(key):
        raise KpiError(
            f"key '{key}' must be lowercase letters, digits and dashes, e.g. asked-junior-first"
        )
    if not name.strip() or len(name) > 75 or not question.strip() or len(question) > 3000:
        raise KpiError("give a name (up to 75 characters) and a question (up to 3,000)")
    if not 0 <= scale_min < scale_max <= 10 or scale_max - scale_min > 10:
        raise KpiError(
            f"scale {scale_min}–{scale_max} must rise, within 0–10, with at most 11 points"
        )
    if (
        session.scalar(select(Kpi.id).where(Kpi.program_id == program.id, Kpi.key == key))
        is not None
    ):
        raise KpiError(
            f"'{program.name}' already has a KPI '{key}' (retired ones keep their key): choose"
            " another key"
        )
    if len(active_kpis(session, program.id)) >= MAX_ACTIVE:
        raise KpiError(
            f"'{program.name}' already has {MAX_ACTIVE} active KPIs; retire one first (upward kpi"
            " retire)"
        )
    kpi = Kpi(
        program_id=program.id,
        key=key,
        name=name.strip(),
        question=question.strip(),
        kind=kind,
        scale_min=scale_min,
        scale_max=scale_max,
        low_label=low_label,
        high_label=high_label,
        status=KpiStatus.active,
        created_at=now,
    )
    session.add(kpi)
    session.flush()
    return kpi


def retire_kpi(session: Session, *, program: Program, key: str, now: dt.datetime) -> Kpi:
    """Stop asking a KPI (its history stays in digests and exports)."""
    kpi = session.scalars(
        select(Kpi).where(Kpi.program_id == program.id, Kpi.key == key)
    ).one_or_none()
    if kpi is None:
        keys = ", ".join(k.key for k in active_kpis(session, program.id)) or "none"
        raise KpiError(f"'{program.name}' has no KPI '{key}' (active: {keys})")
    if kpi.status == KpiStatus.retired:
        raise KpiError(f"'{key}' was already retired on {kpi.retired_at:%d %b %Y}")
    kpi.status = KpiStatus.retired
    kpi.retired_at = now
    return kpi


def checkin_day(monday: dt.date, country: str | None) -> dt.date | None:
    """Friday of that week, or Thursday when Friday is a holiday there; None when neither works."""
    for offset in (CHECKIN_WEEKDAY, CHECKIN_WEEKDAY - 1):
        day = monday + dt.timedelta(days=offset)
        if is_working_day(day, country):
            return day
    return None


def due_checkins(session: Session, *, now: dt.datetime) -> list[DueCheckin]:
    """Executives whose weekly check-in day is today, inside their window (the caller skips the
    ones already sent, by outbox key). Decided per group of shared rules (bot.programs.audience).
    """

    def week(program: Program, tz: str, country: str | None, window: Window) -> dt.date | None:
        today = local_day(now, tz)
        monday = week_start(today)
        if today < program.start_date or (program.end_date and monday > program.end_date):
            return None
        if checkin_day(monday, country) != today or not may_deliver(
            now, tz=tz, country=country, window=window
        ):
            return None
        return monday

    with_kpis = Program.id.in_(
        select(Kpi.program_id).where(Kpi.status == KpiStatus.active, Kpi.kind != OBSERVED)
    )
    return [
        DueCheckin(d.program_id, d.person_id, d.slack_user_id, d.what)
        for d in due_by_rules(
            session, roles=[Role.executive], now=now, decide=week, where=(with_kpis,)
        )
    ]


def record(
    session: Session,
    *,
    kpi_id: int,
    slack_user_id: str,
    week: dt.date,
    value: int,
    now: dt.datetime,
) -> KpiObservation:
    """Store (or change) a person's value for one KPI and week; Refusal when it cannot count.

    Only someone who was sent that week's check-in can answer it: the button names a KPI and a
    week, and anyone can send a button, so the outbox row of their own check-in is the proof.
    """
    row = session.execute(
        select(Kpi, Person)
        .join(Membership, Membership.program_id == Kpi.program_id)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Kpi.id == kpi_id,
            Kpi.kind != OBSERVED,
            Person.slack_user_id == slack_user_id,
            Membership.role == Role.executive,
            Membership.left_at.is_(None),
            Person.forgotten_at.is_(None),
        )
    ).first()
    asked = row is not None and bool(
        outbox.written(session, [records.kpi_checkin(row.Kpi.program_id, row.Person.id, week)])
    )
    if row is None or not asked:
        raise Refusal("This check-in was not for you, so nothing was recorded.")
    kpi, person = row
    if not kpi.scale_min <= value <= kpi.scale_max:
        raise Refusal("That value is outside the scale, so nothing was recorded.")
    observation = session.scalars(
        select(KpiObservation).where(
            KpiObservation.kpi_id == kpi.id,
            KpiObservation.person_id == person.id,
            KpiObservation.source == ObservationSource.self_report,
            KpiObservation.period_start == week,
        )
    ).one_or_none()
    if observation is None:
        observation = KpiObservation(
            kpi_id=kpi.id,
            person_id=person.id,
            source=ObservationSource.self_report,
            period_start=week,
            value=value,
            recorded_at=now,
        )
        session.add(observation)
    else:
        observation.value, observation.recorded_at = value, now
    session.flush()
    return observation


def answers_for(
    session: Session, *, program_id: int, person_id: int, week: dt.date
) -> dict[int, int]:
    """KPI id -> the value the person gave for that week."""
    return {
        kpi_id: value
        for kpi_id, value in session.execute(
            select(KpiObservation.kpi_id, KpiObservation.value)
            .join(Kpi, Kpi.id == KpiObservation.kpi_id)
            .where(
                Kpi.program_id == program_id,
                KpiObservation.person_id == person_id,
                KpiObservation.source == ObservationSource.self_report,
                KpiObservation.period_start == week,
            )
        )
    }


@dataclass(frozen=True)
class Observed:
    """An executive a mentor rates on the focus behaviour, with the value given so far."""

    person_id: int
    slack_user_id: str
    value: int | None


def observation_sheet(session: Session, *, kpi: Kpi, circle: Circle) -> list[Observed]:
    """The circle's executives and the mentor-observed values recorded for this circle's period."""
    rows = session.execute(
        select(Person.id, Person.slack_user_id, KpiObservation.value)
        .join(CircleMember, CircleMember.person_id == Person.id)
        .outerjoin(
            KpiObservation,
            (KpiObservation.person_id == Person.id)
            & (KpiObservation.kpi_id == kpi.id)
            & (KpiObservation.source == ObservationSource.mentor)
            & (KpiObservation.period_start == circle.period_start),
        )
        .where(
            CircleMember.circle_id == circle.id,
            CircleMember.role == Role.executive,
            CircleMember.left_at.is_(None),
            Person.forgotten_at.is_(None),
        )
        .order_by(Person.display_name, Person.id)
    ).all()
    return [Observed(pid, uid, value) for pid, uid, value in rows]


def record_observation(
    session: Session,
    *,
    kpi_id: int,
    circle_id: int,
    executive_id: int,
    mentor_slack_id: str,
    value: int,
    now: dt.datetime,
) -> tuple[Kpi, Circle]:
    """A mentor's 1–5 on one executive of their circle; Refusal (nothing recorded) for anyone
    else.

    Only a mentor still in the circle, who was sent its rating sheet (when it closed), can rate an
    executive still in it.
    """
    circle = session.get(Circle, circle_id)
    kpi = session.get(Kpi, kpi_id)
    mentor = session.scalars(
        select(Person)
        .join(CircleMember, CircleMember.person_id == Person.id)
        .where(
            CircleMember.circle_id == circle_id,
            CircleMember.role == Role.mentor,
            CircleMember.left_at.is_(None),
            Person.slack_user_id == mentor_slack_id,
        )
    ).one_or_none()
    executive = session.scalar(
        select(CircleMember.id).where(
            CircleMember.circle_id == circle_id,
            CircleMember.person_id == executive_id,
            CircleMember.role == Role.executive,
            CircleMember.left_at.is_(None),
        )
    )
    asked = mentor is not None and bool(
        outbox.written(session, [records.observation(circle_id, mentor.id)])
    )
    if (
        circle is None
        or kpi is None
        or not asked
        or executive is None
        or kpi.program_id != circle.program_id
        or kpi.kind != OBSERVED
    ):
        raise Refusal("Only this circle's mentor can rate its executives, so nothing was recorded.")
    if not kpi.scale_min <= value <= kpi.scale_max:
        raise Refusal("That value is outside the scale, so nothing was recorded.")
    row = session.scalars(
        select(KpiObservation).where(
            KpiObservation.kpi_id == kpi.id,
            KpiObservation.person_id == executive_id,
            KpiObservation.source == ObservationSource.mentor,
            KpiObservation.period_start == circle.period_start,
        )
    ).one_or_none()
    if row is None:
        session.add(
            KpiObservation(
                kpi_id=kpi.id,
                person_id=executive_id,
                source=ObservationSource.mentor,
                observer_id=mentor.id,
                period_start=circle.period_start,
                value=value,
                recorded_at=now,
            )
        )
    else:
        row.value, row.observer_id, row.recorded_at = value, mentor.id, now
    session.flush()
    return kpi, circle


def program_kpis(session: Session, program_id: int) -> list[Kpi]:
    """Every KPI of a program, active ones first, then in the order they were added."""
    return list(
        session.scalars(
            select(Kpi).where(Kpi.program_id == program_id).order_by(Kpi.status, Kpi.id)
        )
    )
