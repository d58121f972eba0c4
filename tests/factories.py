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
from bot.models import Membership, Person, Program, Role
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
