"""What a person's App Home shows: plain data gathered from the database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Membership, Person, PersonStatus, Program, ProgramStatus, Role


@dataclass(frozen=True)
class ProgramRole:
    program: str
    role: Role
    status: ProgramStatus
    start_date: dt.date


@dataclass(frozen=True)
class HomeView:
    """Everything the home tab needs, independent of Slack."""

    known: bool
    display_name: str = ""
    status: PersonStatus = PersonStatus.active
    paused_until: dt.datetime | None = None
    timezone: str | None = None
    roles: list[ProgramRole] = field(default_factory=list)


def home_for(session: Session, *, slack_user_id: str) -> HomeView:
    """The person's programs and roles, or an 'unknown person' view."""
    person = session.scalars(select(Person).where(Person.slack_user_id == slack_user_id)).one_or_none()
    if person is None or person.forgotten_at is not None:
        return HomeView(known=False)
    rows = session.execute(
        select(Program.name, Membership.role, Program.status, Program.start_date)
        .join(Membership, Membership.program_id == Program.id)
        .where(Membership.person_id == person.id, Membership.left_at.is_(None))
        .order_by(Program.start_date, Program.name)
    ).all()
    return HomeView(
        known=True,
        display_name=person.display_name,
        status=person.status,
        paused_until=person.paused_until,
        timezone=person.timezone,
        roles=[ProgramRole(*row) for row in rows],
    )
