"""Programs: created from a playbook template, listed, paused and resumed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.content.loader import Catalog
from bot.content.schema import DeliveryWindow, ProgramTemplate
from bot.core.calendar import Window, place_zone, planned_days
from bot.core.words import count
from bot.errors import UpwardError
from bot.models import (
    OBSERVED,
    Kpi,
    KpiStatus,
    Membership,
    Person,
    Program,
    ProgramStatus,
    Role,
)


class ProgramError(UpwardError):
    """A program request that cannot be done as asked; the message says why and what to do."""


class ProgramSettings(BaseModel):
    """Per-program knobs, stored as JSON on the program; defaults come from the template."""

    model_config = ConfigDict(extra="ignore")

    delivery_window: DeliveryWindow = DeliveryWindow()
    circle_size_min: int = Field(default=4, ge=2, le=12)
    circle_size_max: int = Field(default=6, ge=2, le=12)
    # Averages, trends and excerpts covering fewer people than this are suppressed in digests.
    min_group_size: int = Field(default=3, ge=3, le=50)
    digest_weekday: int = Field(default=0, ge=0, le=6)  # Monday
    digest_time: dt.time = dt.time(9, 0)
    digest_channel: str | None = None

    @model_validator(mode="after")
    def _sizes_ordered(self) -> ProgramSettings:
        if self.circle_size_max < self.circle_size_min:
            raise ValueError(
                f"circle_size_max ({self.circle_size_max}) is below circle_size_min"
                f" ({self.circle_size_min})"
            )
        return self


@dataclass(frozen=True)
class ProgramSummary:
    name: str
    template: str
    status: ProgramStatus
    start_date: dt.date
    end_date: dt.date | None
    timezone: str
    executives: int
    mentors: int
    leads: int


def program_settings(program: Program) -> ProgramSettings:
    """The program's settings, validated (bad stored JSON falls back to defaults field by field)."""
    try:
        return ProgramSettings.model_validate(program.settings or {})
    except ValidationError:
        return ProgramSettings()


def create_program(
    session: Session,
    *,
    catalog: Catalog,
    name: str,
    template_id: str,
    start: dt.date,
    timezone: str,
    now: dt.datetime,
    window: DeliveryWindow | None = None,
    team_id: str | None = None,
) -> Program:
    """A new program from a template, with the template's KPIs; ProgramError when it can't be.

    `team_id` is the Slack workspace it runs in (None: the one workspace of SLACK_BOT_TOKEN).
    """
    name = " ".join(name.split())
    if not name or len(name) > 80:
        raise ProgramError("a program name is 1–80 characters")
    template = catalog.programs.get(template_id)
    if template is None:
        raise ProgramError(
            f"no program template '{template_id}': choose one of"
            f" {', '.join(t.id for t in catalog.templates())}"
        )
    try:
        place_zone(timezone)
    except ValueError as exc:
        raise ProgramError(str(exc)) from None
    if (
        session.scalar(select(Program.id).where(func.lower(Program.name) == name.lower()))
        is not None
    ):
        raise ProgramError(f"a program named '{name}' already exists: pick another name or use it")
    program = Program(
        name=name,
        template=template.id,
        start_date=start,
        end_date=(
            start + dt.timedelta(weeks=template.weeks) - dt.timedelta(days=1)
            if template.weeks
            else None
        ),
        timezone=timezone,
        status=ProgramStatus.active,
        team_id=team_id,
        settings=_settings_from(template, window).model_dump(mode="json"),
        created_at=now,
        updated_at=now,
    )
    session.add(program)
    session.flush()
    focus = template.focus_behaviour
    for kpi, kind in [(k, k.kind) for k in template.kpis] + [(focus, OBSERVED)]:
        session.add(
            Kpi(
                program_id=program.id,
                key=kpi.key,
                name=kpi.name,
                question=kpi.question,
                kind=kind,
                scale_min=kpi.scale.min,
                scale_max=kpi.scale.max,
                low_label=kpi.scale.low_label,
                high_label=kpi.scale.high_label,
                status=KpiStatus.active,
                created_at=now,
            )
        )
    session.flush()
    return program


def _settings_from(template: ProgramTemplate, window: DeliveryWindow | None) -> ProgramSettings:
    return ProgramSettings(
        delivery_window=window or template.delivery_window,
        circle_size_min=template.circles.size_min,
        circle_size_max=template.circles.size_max,
    )


def parse_window(text: str) -> DeliveryWindow:
    """'08:30-16:00' -> a DeliveryWindow; ValueError with a usable message otherwise."""
    parts = text.replace("–", "-").split("-")
    try:
        start, end = (dt.time.fromisoformat(part.strip()) for part in parts)
    except ValueError:
        raise ValueError(f"window '{text}' is not HH:MM-HH:MM, e.g. 08:30-16:00") from None
    if end <= start:
        raise ValueError(f"window '{text}' ends before it starts; windows cannot cross midnight")
    return DeliveryWindow(start=start, end=end)


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def configure(
    session: Session,
    *,
    name: str,
    digest_at: str | None,
    digest_channel: str | None,
    min_group: int | None,
    now: dt.datetime,
) -> str:
    """Change digest day/time, digest channel or the privacy threshold; says what is now set."""
    program = find_program(session, name)
    current = program_settings(program)
    changes: dict[str, Any] = {}
    if digest_at is not None:
        day, _, time = digest_at.strip().lower().partition(" ")
        try:
            changes["digest_weekday"], changes["digest_time"] = (
                DAYS.index(day[:3]),
                dt.time.fromisoformat(time.strip()),
            )
        except ValueError:
            raise ProgramError(
                f"--digest-at '{digest_at}' is not a day and a time, e.g. 'mon 09:00'"
            ) from None
    if digest_channel is not None:
        channel = digest_channel.strip().lstrip("#")
        if channel.lower() == "none":
            changes["digest_channel"] = None
        elif channel[:1] not in ("C", "G") or not channel.isalnum() or not channel.isupper():
            raise ProgramError(
                f"--digest-channel '{digest_channel}' is not a channel ID like C0123ABCD (in Slack:"
                " channel details, at the bottom)"
            )
        else:
            changes["digest_channel"] = channel
    if min_group is not None:
        if not 3 <= min_group <= 50:
            raise ProgramError(
                "--min-group is 3 to 50: figures about fewer than 3 people are never shown"
            )
        changes["min_group_size"] = min_group
    updated = current.model_copy(update=changes)
    program.settings = updated.model_dump(mode="json")
    program.updated_at = now
    channel_text = updated.digest_channel or "none"
    return (
        f"'{program.name}': digest {DAYS[updated.digest_weekday]} {updated.digest_time:%H:%M} in"
        f" each lead's time zone, channel {channel_text}, figures need {updated.min_group_size}+"
        " people."
    )


def assign_team(session: Session, *, name: str, team_id: str, now: dt.datetime) -> Program:
    """Put a program that has no workspace yet into one (after moving from one workspace to
    several)."""
    program = find_program(session, name)
    if program.team_id not in (None, team_id):
        raise ProgramError(
            f"'{program.name}' already belongs to workspace {program.team_id}: its people and"
            " channels live there, so it cannot move; create a new program in the other workspace"
        )
    program.team_id = team_id
    program.updated_at = now
    return program


def find_program(session: Session, name: str) -> Program:
    """The program called `name` (case-insensitive), or ProgramError listing the ones there are."""
    program = session.scalars(
        select(Program).where(func.lower(Program.name) == " ".join(name.split()).lower())
    ).one_or_none()
    if program is None:
        names = session.scalars(select(Program.name).order_by(Program.name)).all()
        hint = (
            f"programs: {', '.join(names)}"
            if names
            else "there are no programs yet: create one with `upward program create`"
        )
        raise ProgramError(f"no program named '{name}' ({hint})")
    return program


def check_start(program: Program, catalog: Catalog, *, today: dt.date) -> str | None:
    """Refuse a new program's start that nobody would see as planned (ProgramError): a weekend, or
    a program already over by `today`, its local date. A start in the past gets a note to show."""
    start = program.start_date
    if start.weekday() >= 5:
        monday = start + dt.timedelta(days=7 - start.weekday())
        raise ProgramError(
            f"{start} is a {start:%A}, so executives would get the program's first message at the"
            f" weekend: start on a working day, such as Monday {monday}"
        )
    template = catalog.programs[program.template]
    weekdays = [w.index for w in template.cadence.weekdays]
    last = program.end_date or max(
        planned_days(start, weekdays, template.cadence.modules_per_week, len(template.modules))
    )
    if last < today:
        raise ProgramError(
            f"starting on {start}, this {template.id} program would have"
            f" {'ended' if program.end_date else 'sent its last module'} on {last}, before today"
            f" ({today}), so Upward would send it nothing: give a --start from today on"
        )
    if start < today:
        return (
            f"'{program.name}' started {count((today - start).days, 'day')} ago, on {start}:"
            " executives catch up at one module a day"
        )
    return None


def list_programs(session: Session) -> list[ProgramSummary]:
    """Every program with its roster counts, oldest first."""
    counts: dict[tuple[int, Role], int] = {
        (pid, role): n
        for pid, role, n in session.execute(
            select(Membership.program_id, Membership.role, func.count())
            .where(Membership.left_at.is_(None))
            .group_by(Membership.program_id, Membership.role)
        )
    }
    return [
        ProgramSummary(
            name=p.name,
            template=p.template,
            status=p.status,
            start_date=p.start_date,
            end_date=p.end_date,
            timezone=p.timezone,
            executives=counts.get((p.id, Role.executive), 0),
            mentors=counts.get((p.id, Role.mentor), 0),
            leads=counts.get((p.id, Role.lead), 0),
        )
        for p in session.scalars(select(Program).order_by(Program.start_date, Program.name))
    ]


def set_status(
    session: Session, *, name: str, status: ProgramStatus, now: dt.datetime
) -> tuple[Program, bool]:
    """Pause or resume a program; returns it and whether anything changed."""
    program = find_program(session, name)
    if program.status == ProgramStatus.finished:
        raise ProgramError(f"'{program.name}' has finished; it cannot be paused or resumed")
    changed = program.status != status
    program.status = status
    program.updated_at = now
    return program, changed


def undeliverable(
    session: Session, program: Program, *, limit: int = 10
) -> list[tuple[str, str, int]]:
    """Messages Slack refused for good, per person and error: (who, error, how many)."""
    from bot.models import OutboxMessage, OutboxStatus

    rows = session.execute(
        select(Person.display_name, Person.slack_user_id, OutboxMessage.error, func.count())
        .join(Person, Person.id == OutboxMessage.person_id)
        .where(OutboxMessage.program_id == program.id, OutboxMessage.status == OutboxStatus.failed)
        .group_by(Person.display_name, Person.slack_user_id, OutboxMessage.error)
        .order_by(func.count().desc(), Person.slack_user_id)
        .limit(limit)
    ).all()
    return [(f"{name or uid} ({uid})", error or "unknown error", n) for name, uid, error, n in rows]


def describe(program: Program) -> dict[str, Any]:
    """Plain fields for `upward program show`."""
    s = program_settings(program)
    return {
        "name": program.name,
        "template": program.template,
        "status": program.status.value,
        "start": program.start_date.isoformat(),
        "end": program.end_date.isoformat() if program.end_date else "ongoing",
        "timezone": program.timezone,
        **({"workspace": program.team_id} if program.team_id else {}),
        "delivery window": (
            f"{s.delivery_window.start:%H:%M}–{s.delivery_window.end:%H:%M} local, weekdays"
        ),
        "circle size": f"{s.circle_size_min}–{s.circle_size_max}",
        "digest": (
            f"{DAYS[s.digest_weekday]} {s.digest_time:%H:%M} in each lead's zone"
            + (f", also in channel {s.digest_channel}" if s.digest_channel else "")
        ),
        "privacy": f"figures about fewer than {s.min_group_size} people are hidden",
    }


def person_window(person: Person, default: Window) -> Window:
    if person.window_start and person.window_end and person.window_start < person.window_end:
        return Window(person.window_start, person.window_end)
    return default


def local_rules(person: Person, program: Program) -> tuple[str, Window]:
    """The person's zone (else the program's) and delivery window (theirs, else the program's)."""
    settings = program_settings(program)
    default = Window(settings.delivery_window.start, settings.delivery_window.end)
    return person.timezone or program.timezone, person_window(person, default)


def show_program(session: Session, name: str) -> tuple[dict[str, Any], list[tuple[str, str, int]]]:
    """What `upward program show` prints: the settings with a roster line, and what Slack
    refused."""
    prog = find_program(session, name)
    info = describe(prog)
    summary = next(p for p in list_programs(session) if p.name == info["name"])
    info["roster"] = (
        f"{count(summary.executives, 'executive')}, {count(summary.mentors, 'mentor')},"
        f" {count(summary.leads, 'lead')}"
    )
    return info, undeliverable(session, prog)
