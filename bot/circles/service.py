"""Peer circles: when they form, who is in them, what they discuss. Plain functions, no Slack."""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.circles.matching import Candidate, MatchConfig, MatchResult, form_circles
from bot.content.loader import Catalog
from bot.content.schema import ProgramTemplate
from bot.core.calendar import local_day, next_working_day
from bot.core.limits import CHANNEL_NAME_MAX
from bot.models import (
    Circle,
    CircleMember,
    CirclePrompt,
    CircleStatus,
    Delivery,
    DeliveryKind,
    Membership,
    Person,
    PersonStatus,
    Program,
    ProgramStatus,
    Role,
)
from bot.programs.service import program_settings


@dataclass(frozen=True)
class Period:
    """The days one round of circles runs for: a calendar month, or a pilot session."""

    start: dt.date
    end: dt.date
    form_on: dt.date  # the (working) day the circles are formed

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m}"


@dataclass(frozen=True)
class LeftOut:
    person_id: int
    slack_user_id: str
    reason: str
    tell: bool = True  # False for people who opted out: they asked for no messages at all


@dataclass
class Formation:
    """A proposed (or created) set of circles for one program and period."""

    program_id: int
    period: Period
    match: MatchResult
    left_out: list[LeftOut] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    circle_ids: list[int] = field(default_factory=list)
    people: dict[int, Person] = field(default_factory=dict)


def periods(program: Program, template: ProgramTemplate, *, until: dt.date) -> list[Period]:
    """Every circle period of the program that starts on or before `until`."""
    last = min(until, program.end_date) if program.end_date else until
    out: list[Period] = []
    if template.circles.frequency == "weeks":
        for week in template.circles.weeks:
            form_on = next_working_day(program.start_date + dt.timedelta(weeks=week - 1), None)
            if form_on > last:
                continue
            end = form_on + dt.timedelta(days=13)
            if program.end_date:
                end = min(end, program.end_date)
            out.append(Period(start=form_on, end=end, form_on=form_on))
        return out
    month = program.start_date.replace(day=1)
    while month <= last:
        start = max(month, program.start_date)
        end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
        if program.end_date:
            end = min(end, program.end_date)
        out.append(Period(start=start, end=end, form_on=next_working_day(start, None)))
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return out


def current_period(program: Program, template: ProgramTemplate, today: dt.date) -> Period | None:
    """The period that contains `today`, if any."""
    return next(
        (p for p in periods(program, template, until=today) if p.start <= today <= p.end), None
    )


def formations_due(
    session: Session, *, catalog: Catalog, now: dt.datetime
) -> list[tuple[int, Period]]:
    """(program, period) pairs whose circles should be formed now and have not been."""
    due = []
    for program in session.scalars(select(Program).where(Program.status == ProgramStatus.active)):
        template = catalog.programs.get(program.template)
        if template is None:
            continue
        today = local_day(now, program.timezone)
        period = current_period(program, template, today)
        if period is None or today < period.form_on:
            continue
        exists = session.scalar(
            select(func.count())
            .select_from(Circle)
            .where(Circle.program_id == program.id, Circle.period_start == period.start)
        )
        if not exists:
            due.append((program.id, period))
    return due


def candidates(
    session: Session, *, program: Program, period: Period, now: dt.datetime
) -> tuple[list[Candidate], list[LeftOut], dict[int, Person]]:
    """Executives and mentors who can take part this period, and who cannot (with why)."""
    rows = session.execute(
        select(Membership.role, Person)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Membership.program_id == program.id,
            Membership.role.in_([Role.executive, Role.mentor]),
            Membership.left_at.is_(None),
            Person.forgotten_at.is_(None),
        )
        .order_by(Person.id)
    ).all()
    period_end = dt.datetime.combine(period.end, dt.time(23, 59), tzinfo=dt.UTC)
    chosen: list[Candidate] = []
    left: list[LeftOut] = []
    people: dict[int, Person] = {}
    for role, person in rows:
        people[person.id] = person
        if person.status == PersonStatus.opted_out:
            left.append(
                LeftOut(
                    person.id,
                    person.slack_user_id,
                    "you have stopped Upward's messages",
                    tell=False,
                )
            )
        elif person.paused_until is not None and person.paused_until >= period_end:
            # Not told: someone paused gets no message of any kind (the lead sees the reason).
            until = person.paused_until.astimezone(ZoneInfo(person.timezone or "UTC"))
            reason = f"you are paused until {until:%A %-d %B}"
            left.append(LeftOut(person.id, person.slack_user_id, reason, tell=False))
        elif person.status == PersonStatus.paused and person.paused_until is None:
            left.append(
                LeftOut(person.id, person.slack_user_id, "you have paused Upward", tell=False)
            )
        else:
            chosen.append(
                Candidate(person_id=person.id, role=role.value, department=person.department)
            )
    # Someone who is both mentor and executive joins as a mentor only.
    mentors = {c.person_id for c in chosen if c.role == "mentor"}
    chosen = [c for c in chosen if c.role == "mentor" or c.person_id not in mentors]
    return chosen, left, people


def history(session: Session, *, program_id: int, before: dt.date) -> set[frozenset[int]]:
    """Every pair of people who already shared a circle of this program."""
    members: dict[int, list[int]] = defaultdict(list)
    for circle_id, person_id in session.execute(
        select(CircleMember.circle_id, CircleMember.person_id)
        .join(Circle, Circle.id == CircleMember.circle_id)
        .where(Circle.program_id == program_id, Circle.period_start < before)
    ):
        members[circle_id].append(person_id)
    pairs: set[frozenset[int]] = set()
    for people in members.values():
        pairs.update(frozenset((a, b)) for i, a in enumerate(people) for b in people[i + 1 :])
    return pairs


def plan_formation(
    session: Session, *, program: Program, period: Period, catalog: Catalog, now: dt.datetime
) -> Formation:
    """Propose this period's circles (touches nothing): what `preview` prints and `form` creates."""
    template = catalog.programs[program.template]
    settings = program_settings(program)
    chosen, left, people = candidates(session, program=program, period=period, now=now)
    seed = int(hashlib.sha256(f"{program.id}:{period.start}".encode()).hexdigest()[:8], 16)
    config = MatchConfig(
        size_min=settings.circle_size_min,
        size_max=settings.circle_size_max,
        mentors_per_circle=template.circles.mentors_per_circle,
        seed=seed,
        time_budget=1.5,
    )
    match = form_circles(
        chosen, history(session, program_id=program.id, before=period.start), config
    )
    placed = {pid for circle in match.circles for pid in circle.members}
    for c in chosen:
        if c.person_id not in placed:
            reason = (
                "there are more mentors than this month's circles can take"
                if c.role == "mentor" and match.circles
                else "there were too few people to form a circle"
            )
            left.append(LeftOut(c.person_id, people[c.person_id].slack_user_id, reason))
    taken = (
        session.scalar(
            select(func.count())
            .select_from(Circle)
            .where(
                Circle.program_id == program.id,
                # The first 40 slug characters always survive truncation; the rest may not, hence
                # the %.
                Circle.channel_name.like(
                    f"circle-{slug(program.name)[:40]}%-{period.start:%Y-%m}-%"
                ),
            )
        )
        or 0
    )
    names = [
        channel_name(program.name, period.start, taken + i + 1) for i in range(len(match.circles))
    ]
    return Formation(program.id, period, match, left, names, people=people)


def create_circles(
    session: Session, formation: Formation, *, catalog: Catalog, now: dt.datetime
) -> list[int]:
    """Write the formed circles and their members; returns the new circle ids."""
    prompt_ids = choose_prompts(
        session,
        program_id=formation.program_id,
        period=formation.period,
        catalog=catalog,
        count=len(formation.names),
    )
    ids = []
    for number, (circle, name) in enumerate(
        zip(formation.match.circles, formation.names, strict=False), start=1
    ):
        row = Circle(
            program_id=formation.program_id,
            period_start=formation.period.start,
            period_end=formation.period.end,
            number=number,
            channel_name=name,
            prompt_id=prompt_ids[number - 1] if prompt_ids else None,
            status=CircleStatus.forming,
            formed_at=now,
        )
        session.add(row)
        session.flush()
        for person_id in circle.members:
            role = Role.mentor if person_id in _mentor_ids(circle) else Role.executive
            session.add(
                CircleMember(circle_id=row.id, person_id=person_id, role=role, joined_at=now)
            )
        if row.prompt_id:
            session.add(CirclePrompt(circle_id=row.id, prompt_id=row.prompt_id, posted_at=now))
        ids.append(row.id)
    session.flush()
    formation.circle_ids = ids
    return ids


def _mentor_ids(circle) -> set[int]:  # type: ignore[no-untyped-def]
    # CircleScore lists mentors first, then executives.
    return set(circle.members[: circle.mentors])


def slug(name: str) -> str:
    """A program name as Slack allows in a channel name: lowercase letters, digits and dashes."""
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return text or "program"


def channel_name(program_name: str, period_start: dt.date, number: int, attempt: int = 0) -> str:
    """`circle-<program>-<yyyy-mm>-<n>` within Slack's 80 characters (a suffix when the name was
    taken)."""
    tail = f"-{period_start:%Y-%m}-{number}" + (f"-{attempt + 1}" if attempt else "")
    room = CHANNEL_NAME_MAX - len("circle-") - len(tail)
    return f"circle-{slug(program_name)[:room].rstrip('-')}{tail}"


def choose_prompts(
    session: Session, *, program_id: int, period: Period, catalog: Catalog, count: int
) -> list[str]:
    """Prompts tied to the skill areas of this period's modules, not yet used in the program."""
    areas = Counter(
        catalog.modules[m].skill_area
        for (m,) in session.execute(
            select(Delivery.module_id).where(
                Delivery.program_id == program_id,
                Delivery.kind == DeliveryKind.module,
                Delivery.due_at >= dt.datetime.combine(period.start, dt.time(), tzinfo=dt.UTC),
                Delivery.due_at
                < dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC),
            )
        )
        if m in catalog.modules
    )
    used = set(
        session.scalars(
            select(CirclePrompt.prompt_id)
            .join(Circle, Circle.id == CirclePrompt.circle_id)
            .where(Circle.program_id == program_id)
        )
    )
    ordered_areas = [a for a, _ in areas.most_common()] or ["cultural", "digital", "inclusive"]
    pool = [p.id for area in ordered_areas for p in catalog.prompts_for(area) if p.id not in used]
    pool += [
        p.id
        for p in sorted(catalog.prompts.values(), key=lambda p: p.id)
        if p.id not in used and p.id not in pool
    ]
    if not pool:
        pool = sorted(catalog.prompts)
    return [pool[i % len(pool)] for i in range(count)]


def next_prompt(session: Session, *, circle: Circle, catalog: Catalog) -> str | None:
    """A prompt this circle has not had yet, preferring the skill area of its first prompt."""
    used = set(
        session.scalars(select(CirclePrompt.prompt_id).where(CirclePrompt.circle_id == circle.id))
    )
    first = catalog.prompts.get(circle.prompt_id or "")
    areas = [first.skill_area] if first else []
    candidates_ = [p for area in areas for p in catalog.prompts_for(area) if p.id not in used]
    candidates_ += [
        p
        for p in sorted(catalog.prompts.values(), key=lambda p: p.id)
        if p.id not in used and p not in candidates_
    ]
    return candidates_[0].id if candidates_ else None
