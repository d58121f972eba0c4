"""Who is due a program message right now, decided per group of people who share the same rules.

A weekly DM (the KPI check-in, an event announcement) is due for a person when their local day
and working window say so. Those depend only on the program and the person's zone, country and
window, so the decision is made once per distinct combination and people are read only when some
combination is due: a tick on any other day costs one small query whatever the roster's size.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from bot.core.calendar import Window
from bot.models import Membership, Person, Program, ProgramStatus, Role
from bot.programs.reach import reachable
from bot.programs.service import local_rules

T = TypeVar("T")


@dataclass(frozen=True)
class Due(Generic[T]):
    program_id: int
    person_id: int
    slack_user_id: str
    what: T  # what is due for that person's group (a week, a list of events...)


def due_by_rules(
    session: Session,
    *,
    roles: Collection[Role],
    now: dt.datetime,
    decide: Callable[[Program, str, str | None, Window], T | None],
    where: tuple[ColumnElement[bool], ...] = (),
) -> list[Due[T]]:
    """Members of active programs with one of `roles` whose group `decide` finds something due for.

    `decide(program, tz, country, window)` runs once per distinct (program, zone, country, window)
    and returns what is due for that group, or None.
    """
    rules = (Person.timezone, Person.country, Person.window_start, Person.window_end)
    joined = (
        select(Membership.program_id, *rules)
        .join(Person, Person.id == Membership.person_id)
        .join(Program, Program.id == Membership.program_id)
        .where(
            Membership.role.in_(list(roles)),
            Membership.left_at.is_(None),
            Program.status == ProgramStatus.active,
            *reachable(now),
            *where,
        )
    )
    groups = session.execute(joined.distinct()).all()
    programs = {
        p.id: p
        for p in session.scalars(select(Program).where(Program.id.in_({g[0] for g in groups})))
    }
    decided: dict[tuple, T] = {}
    for program_id, timezone, country, window_start, window_end in groups:
        # A stand-in carrying just what the rules read; never added to the session.
        person = Person(
            timezone=timezone, country=country, window_start=window_start, window_end=window_end
        )
        tz, window = local_rules(person, programs[program_id])
        what = decide(programs[program_id], tz, country, window)
        if what is not None:
            decided[(program_id, timezone, country, window_start, window_end)] = what
    if not decided:
        return []
    due = []
    for (
        program_id,
        timezone,
        country,
        window_start,
        window_end,
        person_id,
        slack_user_id,
    ) in session.execute(
        joined.add_columns(Person.id, Person.slack_user_id).distinct().order_by(Person.id)
    ):
        what = decided.get((program_id, timezone, country, window_start, window_end))
        if what is not None:
            due.append(Due(program_id, person_id, slack_user_id, what))
    return due
