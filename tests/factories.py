"""Small builders for tests: a catalog in Python, programs and people in the database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session

from bot.content.loader import Catalog
from bot.content.schema import (
    AssessmentQuestion,
    Cadence,
    CircleSchedule,
    Kpi,
    Module,
    Option,
    ProgramTemplate,
    Prompt,
    Question,
    Scale,
)
from bot.models import (
    Circle,
    CircleMember,
    CircleStatus,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Membership,
    Person,
    Program,
    Role,
)
from bot.programs.service import create_program

SCALE = Scale(min=1, max=5, low_label="Not at all", high_label="Very")


def module(module_id: str, area: str = "digital", *, reflection: str | None = None) -> Module:
    return Module(
        id=module_id,
        title=f"Module {module_id}",
        skill_area=area,  # type: ignore[arg-type]
        minutes=5,
        summary="A short summary.",
        body="*Why it matters*\nA body in mrkdwn.",
        try_this_week="Try one thing this week.",
        questions=[
            Question(
                id=f"{module_id}-q{i}",
                prompt=f"Question {i}?",
                options=[
                    Option(id="a", label="Option A"),
                    Option(id="b", label="Option B"),
                    Option(id="c", label="Option C"),
                ],
                correct="b",
                explanation="Because B.",
            )
            for i in (1, 2)
        ],
        reflection=reflection,
    )


def catalog(
    *,
    weeks: int | None = 2,
    per_week: int = 2,
    weekdays: tuple[str, ...] = ("tue", "thu"),
    modules: int = 4,
) -> Catalog:
    mods = {
        m.id: m
        for m in (
            module(
                f"m{i}",
                ("digital", "cultural", "inclusive")[i % 3],
                reflection="Reflect?" if i == 1 else None,
            )
            for i in range(1, modules + 1)
        )
    }
    template = ProgramTemplate(
        id="mini",
        name="Mini",
        description="A small test program.",
        weeks=weeks,
        cadence=Cadence(modules_per_week=per_week, weekdays=list(weekdays)),  # type: ignore[arg-type]
        modules=list(mods),
        circles=CircleSchedule(frequency="monthly"),
        kpis=[
            Kpi(
                key="asked-first",
                name="Asked first",
                question="How often?",
                kind="count",
                scale=Scale(min=0, max=5, low_label="none", high_label="5+"),
            ),
            Kpi(
                key="confidence",
                name="Confidence",
                question="How confident?",
                kind="rating",
                scale=SCALE,
            ),
        ],
        assessment=[
            AssessmentQuestion(
                id=f"self-{a}", skill_area=a, prompt=f"Rate your {a} skills", scale=SCALE
            )
            for a in ("digital", "cultural", "inclusive")
        ],  # type: ignore[arg-type]
    )
    prompts = {
        f"p-{a}": Prompt(id=f"p-{a}", skill_area=a, text=f"Talk about {a}.")
        for a in ("digital", "cultural", "inclusive")
    }  # type: ignore[arg-type]
    return Catalog(
        root=Path("/nonexistent"), modules=mods, prompts=prompts, programs={"mini": template}
    )


def program(
    session: Session,
    cat: Catalog,
    *,
    start: dt.date = dt.date(2026, 12, 1),
    name: str = "Mini",
    tz: str = "Europe/Berlin",
) -> Program:
    return create_program(
        session,
        catalog=cat,
        name=name,
        template_id="mini",
        start=start,
        timezone=tz,
        now=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    )


def person(
    session: Session,
    prog: Program,
    user_id: str,
    *,
    tz: str,
    country: str | None,
    role: Role = Role.executive,
    name: str = "",
) -> Person:
    p = Person(slack_user_id=user_id, display_name=name or user_id, timezone=tz, country=country)
    session.add(p)
    session.flush()
    session.add(Membership(program_id=prog.id, person_id=p.id, role=role))
    session.flush()
    return p


def delivery(
    session: Session,
    prog: Program,
    who: Person,
    module_id: str,
    *,
    sequence: int,
    status: DeliveryStatus = DeliveryStatus.sent,
    kind: DeliveryKind = DeliveryKind.module,
    sent_at: dt.datetime | None = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC),
    due_at: dt.datetime | None = None,
    channel_id: str | None = None,
    message_ts: str | None = None,
) -> Delivery:
    """One delivery of `module_id` to `who` (sent by default; pending ones have no sent_at)."""
    row = Delivery(
        program_id=prog.id,
        person_id=who.id,
        kind=kind,
        module_id=module_id,
        sequence=sequence,
        status=status,
        due_at=due_at or sent_at,
        sent_at=None if status == DeliveryStatus.pending else sent_at,
        channel_id=channel_id,
        message_ts=message_ts,
    )
    session.add(row)
    session.flush()
    return row


def circle(
    session: Session,
    prog: Program,
    members: list[tuple[Person, Role]],
    *,
    number: int = 1,
    start: dt.date = dt.date(2026, 12, 1),
    end: dt.date = dt.date(2026, 12, 31),
    channel_id: str | None = "C0CIRCLE01",
    status: CircleStatus = CircleStatus.active,
) -> Circle:
    """A circle of `prog` for the period start..end, with its members (joined at its start)."""
    row = Circle(
        program_id=prog.id,
        period_start=start,
        period_end=end,
        number=number,
        channel_name=f"circle-{prog.id}-{start:%Y-%m}-{number}",
        slack_channel_id=channel_id,
        status=status,
    )
    session.add(row)
    session.flush()
    joined = dt.datetime.combine(start, dt.time(9), tzinfo=dt.UTC)
    for who, role in members:
        session.add(CircleMember(circle_id=row.id, person_id=who.id, role=role, joined_at=joined))
    session.flush()
    return row
