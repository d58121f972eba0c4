"""What a person's App Home shows: plain data gathered with a handful of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.content.loader import Catalog
from bot.learning.service import at_risk_people
from bot.models import (
    Answer,
    Circle,
    CircleMember,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Membership,
    Person,
    PersonStatus,
    Program,
    ProgramStatus,
    Role,
)


@dataclass(frozen=True)
class Progress:
    """An executive's standing in one program."""

    program: str
    done: int
    total: int
    first_try_score: float | None  # share of questions right at the first attempt
    streak: int
    next_title: str | None
    next_due: dt.datetime | None


@dataclass(frozen=True)
class CircleInfo:
    program: str
    channel_id: str | None
    channel_name: str
    meeting_at: dt.datetime | None
    members: int


@dataclass(frozen=True)
class LeadSummary:
    program: str
    status: ProgramStatus
    executives: int
    completion: float | None
    at_risk: int


@dataclass(frozen=True)
class HomeView:
    """Everything the home tab needs, independent of Slack."""

    known: bool
    display_name: str = ""
    status: PersonStatus = PersonStatus.active
    paused_until: dt.datetime | None = None
    timezone: str | None = None
    roles: dict[str, set[Role]] = field(default_factory=dict)
    progress: list[Progress] = field(default_factory=list)
    circles: list[CircleInfo] = field(default_factory=list)
    leads: list[LeadSummary] = field(default_factory=list)

    @property
    def paused(self) -> bool:
        return self.status == PersonStatus.paused or self.paused_until is not None


def home_for(
    session: Session, *, slack_user_id: str, catalog: Catalog, now: dt.datetime
) -> HomeView:
    """The person's progress, circle and controls, or an 'unknown person' view."""
    person = session.scalars(
        select(Person).where(Person.slack_user_id == slack_user_id)
    ).one_or_none()
    if person is None or person.forgotten_at is not None:
        return HomeView(known=False)
    roles: dict[str, set[Role]] = {}
    program_ids: dict[Role, list[int]] = {r: [] for r in Role}
    for program_id, name, role in session.execute(
        select(Program.id, Program.name, Membership.role)
        .join(Membership, Membership.program_id == Program.id)
        .where(Membership.person_id == person.id, Membership.left_at.is_(None))
        .order_by(Program.start_date, Program.name)
    ):
        roles.setdefault(name, set()).add(role)
        program_ids[role].append(program_id)
    paused_until = (
        person.paused_until if person.paused_until and person.paused_until > now else None
    )
    return HomeView(
        known=True,
        display_name=person.display_name,
        status=person.status,
        paused_until=paused_until,
        timezone=person.timezone,
        roles=roles,
        progress=_progress(session, person.id, program_ids[Role.executive], catalog),
        circles=_circles(session, person.id, now),
        leads=_lead_summaries(session, program_ids[Role.lead]),
    )


def _progress(
    session: Session, person_id: int, program_ids: list[int], catalog: Catalog
) -> list[Progress]:
    out = []
    for program_id in program_ids:
        deliveries = session.execute(
            select(Delivery.id, Delivery.module_id, Delivery.status, Delivery.due_at)
            .where(
                Delivery.person_id == person_id,
                Delivery.program_id == program_id,
                Delivery.kind == DeliveryKind.module,
            )
            .order_by(Delivery.sequence)
        ).all()
        name = session.scalar(select(Program.name).where(Program.id == program_id)) or ""
        right, asked = session.execute(
            select(func.count().filter(Answer.correct.is_(True)), func.count())
            .join(Delivery, Delivery.id == Answer.delivery_id)
            .where(
                Delivery.person_id == person_id,
                Delivery.program_id == program_id,
                Answer.attempt == 1,
                Answer.correct.is_not(None),
            )
        ).one()
        sent = [d for d in deliveries if d.status != DeliveryStatus.pending]
        streak = 0
        for d in reversed(sent):
            if d.status != DeliveryStatus.completed:
                break
            streak += 1
        upcoming = next((d for d in deliveries if d.status == DeliveryStatus.pending), None)
        module = catalog.modules.get(upcoming.module_id) if upcoming else None
        out.append(
            Progress(
                program=name,
                done=sum(d.status == DeliveryStatus.completed for d in deliveries),
                total=len(deliveries),
                first_try_score=right / asked if asked else None,
                streak=streak,
                next_title=module.title if module else None,
                next_due=upcoming.due_at if upcoming else None,
            )
        )
    return out


def _circles(session: Session, person_id: int, now: dt.datetime) -> list[CircleInfo]:
    today = now.date()
    rows = session.execute(
        select(Circle, Program.name)
        .join(CircleMember, CircleMember.circle_id == Circle.id)
        .join(Program, Program.id == Circle.program_id)
        .where(
            CircleMember.person_id == person_id,
            CircleMember.left_at.is_(None),
            Circle.period_start <= today,
            Circle.period_end >= today,
        )
    ).all()
    out = []
    for circle, program in rows:
        members = session.scalar(
            select(func.count())
            .select_from(CircleMember)
            .where(CircleMember.circle_id == circle.id, CircleMember.left_at.is_(None))
        )
        out.append(
            CircleInfo(
                program,
                circle.slack_channel_id,
                circle.channel_name,
                circle.meeting_at,
                members or 0,
            )
        )
    return out


def _lead_summaries(session: Session, program_ids: list[int]) -> list[LeadSummary]:
    out = []
    for program_id in program_ids:
        program = session.get(Program, program_id)
        if program is None:
            continue
        exec_ids = set(
            session.scalars(
                select(Membership.person_id).where(
                    Membership.program_id == program_id,
                    Membership.role == Role.executive,
                    Membership.left_at.is_(None),
                )
            )
        )
        done, sent = session.execute(
            select(
                func.count().filter(Delivery.status == DeliveryStatus.completed), func.count()
            ).where(
                Delivery.program_id == program_id,
                Delivery.kind == DeliveryKind.module,
                Delivery.status != DeliveryStatus.pending,
            )
        ).one()
        out.append(
            LeadSummary(
                program=program.name,
                status=program.status,
                executives=len(exec_ids),
                completion=done / sent if sent else None,
                at_risk=len(at_risk_people(session, person_ids=exec_ids)) if exec_ids else 0,
            )
        )
    return out
