"""The rules of `/circle`: who may do what to a circle (roles come from the roster, never from the
request), and the changes themselves."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.calendar import zone
from bot.errors import Refusal
from bot.models import (
    Circle,
    CircleMember,
    CircleStatus,
    Membership,
    MentorNote,
    Person,
    Program,
    Role,
)

OPEN = (CircleStatus.forming, CircleStatus.active)


@dataclass
class Caller:
    """Who ran the command, and their roles per program (from the roster)."""

    slack_user_id: str
    person: Person | None
    roles: dict[int, set[Role]] = field(default_factory=dict)

    def has(self, role: Role, program_id: int | None = None) -> bool:
        return any(role in rs for pid, rs in self.roles.items() if program_id in (None, pid))

    @property
    def lead_programs(self) -> list[int]:
        return sorted(pid for pid, rs in self.roles.items() if Role.lead in rs)


@dataclass(frozen=True)
class CircleView:
    circle_id: int
    program: str
    channel_id: str | None
    channel_name: str
    meeting_at: dt.datetime | None
    status: CircleStatus
    members: list[tuple[str, str, Role]]  # (slack user id, name, role)


def caller(session: Session, slack_user_id: str) -> Caller:
    person = session.scalars(
        select(Person).where(Person.slack_user_id == slack_user_id)
    ).one_or_none()
    who = Caller(slack_user_id, person)
    if person is None or person.forgotten_at is not None:
        return who
    for program_id, role in session.execute(
        select(Membership.program_id, Membership.role).where(
            Membership.person_id == person.id, Membership.left_at.is_(None)
        )
    ):
        who.roles.setdefault(program_id, set()).add(role)
    return who


def circle_in_channel(session: Session, channel_id: str | None) -> Circle | None:
    if not channel_id:
        return None
    return session.scalars(
        select(Circle).where(Circle.slack_channel_id == channel_id)
    ).one_or_none()


def my_open_circles(session: Session, who: Caller, *, role: Role | None = None) -> list[Circle]:
    """Open circles the caller is a member of (as `role`, if given), newest first."""
    if who.person is None:
        return []
    query = (
        select(Circle)
        .join(CircleMember, CircleMember.circle_id == Circle.id)
        .where(
            CircleMember.person_id == who.person.id,
            CircleMember.left_at.is_(None),
            Circle.status.in_(OPEN),
        )
        .order_by(Circle.period_start.desc(), Circle.number)
    )
    if role is not None:
        query = query.where(CircleMember.role == role)
    return list(session.scalars(query))


def resolve(session: Session, who: Caller, *, channel_id: str | None) -> Circle:
    """The circle a command acts on: the channel's circle, else the mentor's one circle."""
    here = circle_in_channel(session, channel_id)
    if here is not None:
        return here
    if who.person is None or not who.roles:
        raise Refusal(
            "Upward does not know you yet: ask your program lead to add you to a program."
        )
    mine = my_open_circles(session, who, role=Role.mentor) or (
        my_open_circles(session, who) if not who.lead_programs else []
    )
    if len(mine) == 1:
        return mine[0]
    if len(mine) > 1:
        names = ", ".join(f"#{c.channel_name}" for c in mine[:5])
        raise Refusal(
            f"You are in several circles ({names}): run the command in the circle's channel."
        )
    if who.lead_programs:
        raise Refusal("Run this in the circle's channel, so Upward knows which circle you mean.")
    raise Refusal(
        "You have no circle this month. Your program lead forms circles at the start of each month."
    )


def require_manager(session: Session, who: Caller, circle: Circle, *, what: str) -> None:
    """Mentors of this circle and leads of its program may change it; others are refused."""
    if who.has(Role.lead, circle.program_id) or _is_member(session, who, circle, Role.mentor):
        return
    if _is_member(session, who, circle):
        raise Refusal(
            f"Only the circle's mentor or the program lead can {what}. You can see your circle with"
            " `/circle list`."
        )
    raise Refusal(f"You can only {what} for your own circles.")


def _is_member(session: Session, who: Caller, circle: Circle, role: Role | None = None) -> bool:
    if who.person is None:
        return False
    query = select(CircleMember.id).where(
        CircleMember.circle_id == circle.id,
        CircleMember.person_id == who.person.id,
        CircleMember.left_at.is_(None),
    )
    if role is not None:
        query = query.where(CircleMember.role == role)
    return session.scalar(query) is not None


def require_open(circle: Circle) -> None:
    if circle.status not in OPEN:
        raise Refusal(f"#{circle.channel_name} has closed; it cannot be changed any more.")


def visible_circles(session: Session, who: Caller, *, today: dt.date) -> list[CircleView]:
    """`/circle list`: members see their circles; leads see every circle of their programs."""
    if who.person is None:
        return []
    ids = {c.id for c in my_open_circles(session, who)}
    if who.lead_programs:
        ids |= set(
            session.scalars(
                select(Circle.id).where(
                    Circle.program_id.in_(who.lead_programs), Circle.status.in_(OPEN)
                )
            )
        )
    if not ids:
        return []
    circles = session.execute(
        select(Circle, Program.name)
        .join(Program, Program.id == Circle.program_id)
        .where(Circle.id.in_(ids))
        .order_by(Program.name, Circle.number)
    ).all()
    members: dict[int, list[tuple[str, str, Role]]] = defaultdict(list)
    for circle_id, uid, name, role in session.execute(
        select(CircleMember.circle_id, Person.slack_user_id, Person.display_name, CircleMember.role)
        .join(Person, Person.id == CircleMember.person_id)
        .where(CircleMember.circle_id.in_(ids), CircleMember.left_at.is_(None))
        .order_by(CircleMember.role.desc(), Person.display_name)
    ):
        members[circle_id].append((uid, name, role))
    return [
        CircleView(
            c.id, program, c.slack_channel_id, c.channel_name, c.meeting_at, c.status, members[c.id]
        )
        for c, program in circles
    ]


def schedule(
    session: Session, *, circle: Circle, who: Caller, day: dt.date, time: dt.time, now: dt.datetime
) -> dt.datetime:
    """Set the meeting time (given in the caller's zone); refuse past times or times outside the
    period."""
    require_manager(session, who, circle, what="schedule the meeting")
    require_open(circle)
    tz = zone((who.person.timezone if who.person else None) or "UTC")
    # The date is judged before it becomes an instant: the calendar's last minute west of UTC, or
    # its first east of it, has no UTC instant (OverflowError).
    if day > circle.period_end + dt.timedelta(days=7):
        raise Refusal(f"This circle runs until {circle.period_end:%d %B}: pick a date before then.")
    if day < now.date() - dt.timedelta(days=1):  # before today in every zone
        raise Refusal(f"{day:%a %d %b %Y} has already passed: pick a time in the future.")
    local = dt.datetime.combine(day, time, tzinfo=tz)
    meeting = local.astimezone(dt.UTC)
    if meeting <= now:
        raise Refusal(
            f"{local:%a %d %b %H:%M} ({tz.key}) has already passed: pick a time in the future."
        )
    circle.meeting_at = meeting
    circle.asked_met_at = None
    return meeting


def add_note(session: Session, *, circle: Circle, who: Caller, text: str, now: dt.datetime) -> None:
    """A mentor's private note on the session, for the program lead only."""
    require_manager(session, who, circle, what="write session notes")
    session.add(
        MentorNote(
            circle_id=circle.id,
            author_id=who.person.id if who.person else None,
            text=text,
            created_at=now,
        )
    )


def record_attendance(
    session: Session, *, circle: Circle, who: Caller, user_ids: tuple[str, ...]
) -> tuple[list[str], list[str]]:
    """Mark who came; returns (recorded, not members of this circle)."""
    require_manager(session, who, circle, what="record attendance")
    rows = {
        uid: member
        for member, uid in session.execute(
            select(CircleMember, Person.slack_user_id)
            .join(Person, Person.id == CircleMember.person_id)
            .where(CircleMember.circle_id == circle.id, CircleMember.left_at.is_(None))
        )
    }
    unknown = [uid for uid in user_ids if uid not in rows]
    if unknown:
        return [], unknown  # all or nothing: a typo must not record half the list
    for uid in user_ids:
        rows[uid].attended = True
    return list(user_ids), []


def add_member(
    session: Session, *, circle: Circle, who: Caller, user_id: str, now: dt.datetime
) -> Person:
    """Add someone from the program's roster to the circle."""
    require_manager(session, who, circle, what="change who is in the circle")
    require_open(circle)
    row = session.execute(
        select(Person, Membership.role)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Person.slack_user_id == user_id,
            Membership.program_id == circle.program_id,
            Membership.left_at.is_(None),
        )
    ).first()
    if row is None:
        raise Refusal(
            f"<@{user_id}> is not on this program's roster; the program lead can add them with"
            " `upward roster import`."
        )
    person, role = row
    member = session.scalars(
        select(CircleMember).where(
            CircleMember.circle_id == circle.id, CircleMember.person_id == person.id
        )
    ).one_or_none()
    if member is not None and member.left_at is None:
        raise Refusal(f"<@{user_id}> is already in this circle.")
    if member is None:
        session.add(
            CircleMember(
                circle_id=circle.id,
                person_id=person.id,
                role=Role.mentor if role == Role.mentor else Role.executive,
                joined_at=now,
            )
        )
    else:
        member.left_at = None
        member.joined_at = now
    return person


def remove_member(
    session: Session, *, circle: Circle, who: Caller, user_id: str, now: dt.datetime
) -> Person:
    """Take someone out of the circle (their history stays)."""
    require_manager(session, who, circle, what="change who is in the circle")
    require_open(circle)
    row = session.execute(
        select(CircleMember, Person)
        .join(Person, Person.id == CircleMember.person_id)
        .where(
            CircleMember.circle_id == circle.id,
            Person.slack_user_id == user_id,
            CircleMember.left_at.is_(None),
        )
    ).first()
    if row is None:
        raise Refusal(f"<@{user_id}> is not in this circle.")
    member, person = row
    member.left_at = now
    return person


def close(session: Session, *, circle: Circle, who: Caller, now: dt.datetime) -> None:
    """Leads or the circle's mentor close it early: closing pulse now, archive in a few days."""
    if not (who.has(Role.lead, circle.program_id) or _is_member(session, who, circle, Role.mentor)):
        raise Refusal("Only the circle's mentor or the program lead can close a circle.")
    if circle.status not in OPEN:
        raise Refusal(f"#{circle.channel_name} is already closed.")
    circle.status = CircleStatus.closing
    circle.closing_posted_at = now
