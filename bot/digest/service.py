"""The weekly digest for a program's leads: what it says, computed for one program and ISO week."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bot.content.loader import Catalog
from bot.core.calendar import at_local, local_day
from bot.digest import metrics
from bot.digest.metrics import Completion, Mean, Window
from bot.models import (
    OBSERVED,
    Circle,
    CircleMember,
    Kpi,
    KpiStatus,
    Membership,
    ObservationSource,
    Person,
    PersonStatus,
    Program,
    Role,
)
from bot.programs.service import program_settings, undeliverable

TREND_WEEKS = 6
AT_RISK_STREAK = 3
STREAK_LOOKBACK = dt.timedelta(weeks=8)
PULSE_DROP = 1.0
AT_RISK_SHOWN = 10
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
# Slack's markup in a person's text: <!channel>, <@U123|sam>, <#C123|general>, <https://x|label>.
SLACK_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


@dataclass(frozen=True)
class Week:
    """An ISO week in a program's time zone, with its bounds in UTC."""

    year: int
    number: int
    monday: dt.date
    window: Window

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @classmethod
    def of(cls, day: dt.date, tz: str) -> Week:
        monday = day - dt.timedelta(days=day.weekday())
        year, number, _ = monday.isocalendar()
        start = at_local(monday, dt.time(0, 0), tz)
        end = at_local(monday + dt.timedelta(days=7), dt.time(0, 0), tz)
        return cls(year, number, monday, Window(start, end))

    @classmethod
    def parse(cls, text: str, tz: str) -> Week:
        """'2026-W49' -> that week; ValueError saying what to type otherwise."""
        match = WEEK.match(text.strip())
        try:
            assert match is not None
            monday = dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except (AssertionError, ValueError):
            raise ValueError(f"week '{text}' is not an ISO week like 2026-W49") from None
        return cls.of(monday, tz)

    @classmethod
    def last_complete(cls, now: dt.datetime, tz: str) -> Week:
        """The newest week that has ended in the zone."""
        return cls.of(local_day(now, tz) - dt.timedelta(days=7), tz)

    def shift(self, weeks: int, tz: str) -> Week:
        return Week.of(self.monday + dt.timedelta(weeks=weeks), tz)


@dataclass(frozen=True)
class Figure:
    """A number the digest shows, or None when it covers too few people to show."""

    value: float | None
    people: int

    @property
    def shown(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class KpiTrend:
    key: str
    name: str
    kind: str
    scale_min: int
    scale_max: int
    observed_by_mentors: bool
    points: list[tuple[dt.date, Figure]]  # oldest first
    baseline: tuple[dt.date, Figure] | None
    latest: tuple[dt.date, Figure] | None

    @property
    def change(self) -> float | None:
        if self.baseline is None or self.latest is None or self.latest[0] <= self.baseline[0]:
            return None
        return round(self.latest[1].value - self.baseline[1].value, 2)  # type: ignore[operator]


@dataclass(frozen=True)
class SkillChange:
    area: str
    baseline: Figure  # everyone who rated themselves at the start
    before: Figure  # the same people as `after`
    after: Figure


@dataclass(frozen=True)
class CircleHealth:
    period_start: dt.date
    period_end: dt.date
    circles: int
    met: int
    attendance: Figure
    pulse: Figure
    notes: int
    excerpt: str | None


@dataclass(frozen=True)
class ModuleFigure:
    module_id: str
    title: str
    completion: Figure


@dataclass(frozen=True)
class HardQuestion:
    module_title: str
    prompt: str
    right_first_time: Figure


@dataclass(frozen=True)
class AtRisk:
    person_id: int
    slack_user_id: str
    name: str
    reasons: list[str]
    mentor_slack_id: str | None


@dataclass
class Digest:
    program_id: int
    program_name: str
    week: Week
    min_group: int
    enrolled: int
    active: tuple[int, int]  # this week, last week
    completion: tuple[Figure, Figure]
    score: tuple[Figure, Figure]
    completion_trend: list[tuple[dt.date, Figure]]
    kpis: list[KpiTrend]
    skills: list[SkillChange]
    circles: CircleHealth | None
    hardest: HardQuestion | None
    most_completed: ModuleFigure | None
    least_completed: ModuleFigure | None
    at_risk: list[AtRisk]
    at_risk_total: int
    undeliverable: list[tuple[str, str, int]] = field(default_factory=list)

    def headline(self) -> dict[str, float | int | None]:
        """The headline numbers as plain data (stored on the digest run, compared in tests)."""
        return {
            "enrolled": self.enrolled,
            "active": self.active[0],
            "completion": self.completion[0].value,
            "score": self.score[0].value,
            "at_risk": self.at_risk_total,
        }


def figure(mean: Mean, min_group: int) -> Figure:
    """Suppress an average that covers fewer than `min_group` people."""
    return Figure(
        mean.value if mean.people >= min_group and mean.value is not None else None, mean.people
    )


def completion_figure(c: Completion, min_group: int) -> Figure:
    return figure(Mean(c.completed / c.sent if c.sent else None, c.people), min_group)


def compute(session: Session, *, program: Program, catalog: Catalog, week: Week) -> Digest:
    """Everything the digest for `week` says, as of the end of that week."""
    if session.get_bind().dialect.name == "postgresql":
        # A digest is a few dozen short aggregate queries: PostgreSQL's JIT compiler, which kicks in
        # on their cost estimates, spends longer compiling than the queries take to run.
        session.execute(text("SET LOCAL jit = off"))
    k = program_settings(program).min_group_size
    cutoff = week.window.end
    weeks = [week.shift(-i, program.timezone) for i in range(TREND_WEEKS - 1, -1, -1)]
    completions = metrics.completion_by_window(session, program.id, [w.window for w in weeks])
    previous = weeks[-2].window
    modules = metrics.module_completion(session, program.id, week.window, min_people=k)
    circles = _circle_health(session, program, cutoff=cutoff, min_group=k)
    template = catalog.programs.get(program.template)
    circle_word = (
        "the last circle"
        if template and template.circles.frequency == "weeks"
        else "this month's circle"
    )
    at_risk, total = _at_risk(
        session,
        program,
        week=week,
        circle_period=circles.period_start if circles else None,
        circle_word=circle_word,
    )
    return Digest(
        program_id=program.id,
        program_name=program.name,
        week=week,
        min_group=k,
        enrolled=metrics.enrolled_executives(session, program.id),
        active=tuple(
            reversed(metrics.active_executives(session, program.id, [previous, week.window]))
        ),  # type: ignore[arg-type]
        completion=(completion_figure(completions[-1], k), completion_figure(completions[-2], k)),
        score=(
            figure(metrics.first_attempt_score(session, program.id, week.window), k),
            figure(metrics.first_attempt_score(session, program.id, previous), k),
        ),
        completion_trend=[
            (w.monday, completion_figure(c, k)) for w, c in zip(weeks, completions, strict=False)
        ],
        kpis=_kpi_trends(session, program, weeks=weeks, min_group=k),
        skills=_skills(session, program, catalog, cutoff=cutoff, min_group=k),
        circles=circles,
        hardest=_hardest(session, program, catalog, week=week, min_group=k),
        most_completed=_module_figure(catalog, modules[0], k) if modules else None,
        least_completed=_module_figure(catalog, modules[-1], k) if len(modules) > 1 else None,
        at_risk=at_risk,
        at_risk_total=total,
        undeliverable=undeliverable(session, program),
    )


def _kpi_trends(
    session: Session, program: Program, *, weeks: list[Week], min_group: int
) -> list[KpiTrend]:
    last_monday = weeks[-1].monday
    kpis = session.scalars(
        select(Kpi).where(Kpi.program_id == program.id).order_by(Kpi.kind == OBSERVED, Kpi.id)
    ).all()
    trends = []
    for kpi in kpis:
        mentor = kpi.kind == OBSERVED
        source = ObservationSource.mentor if mentor else ObservationSource.self_report
        periods = (
            metrics.mentor_periods(
                session, kpi.id, before=last_monday + dt.timedelta(days=6), limit=TREND_WEEKS
            )
            if mentor
            else [w.monday for w in weeks]
        )
        found = metrics.kpi_points(session, kpi.id, source, periods=periods)
        if kpi.status == KpiStatus.retired and not found:
            continue  # retired before this stretch: nothing to show
        points = [(p, figure(found.get(p, Mean(None, 0)), min_group)) for p in periods]
        base = metrics.kpi_baseline(
            session,
            kpi.id,
            source,
            before=periods[-1] if periods else last_monday,
            min_people=min_group,
        )
        shown = [(p, f) for p, f in points if f.shown]
        trends.append(
            KpiTrend(
                key=kpi.key,
                name=kpi.name,
                kind=kpi.kind,
                scale_min=kpi.scale_min,
                scale_max=kpi.scale_max,
                observed_by_mentors=mentor,
                points=points,
                baseline=(base[0], figure(base[1], min_group)) if base else None,
                latest=shown[-1] if shown else None,
            )
        )
    return trends


def _skills(
    session: Session, program: Program, catalog: Catalog, *, cutoff: dt.datetime, min_group: int
) -> list[SkillChange]:
    template = catalog.programs.get(program.template)
    if template is None:
        return []
    areas = {q.id: q.skill_area.value for q in template.assessment}
    changes = metrics.skill_change(session, program.id, areas, cutoff=cutoff)
    return [
        SkillChange(
            area, figure(everyone, min_group), figure(before, min_group), figure(after, min_group)
        )
        for area, (everyone, before, after) in changes.items()
    ]


def _circle_health(
    session: Session, program: Program, *, cutoff: dt.datetime, min_group: int
) -> CircleHealth | None:
    period = metrics.latest_circle_period(session, program.id, cutoff=cutoff)
    if period is None:
        return None
    excerpt = None
    if period.newest_note and period.newest_note_circle_size >= min_group:
        text = " ".join(as_words(period.newest_note).split())
        excerpt = text if len(text) <= 200 else text[:199].rsplit(" ", 1)[0] + "…"
    attendance = Mean(
        period.attended / period.executives if period.executives else None, period.executives
    )
    return CircleHealth(
        period_start=period.start,
        period_end=period.end,
        circles=period.circles,
        met=period.met,
        attendance=figure(attendance, min_group),
        pulse=figure(period.pulse, min_group),
        notes=period.notes,
        excerpt=excerpt,
    )


def as_words(text: str) -> str:
    """A person's text with Slack's markup turned into plain words, for quoting it to others.

    A mentor's note arrives with `@channel` as `<!channel>` and a name as `<@U123>`; quoted as they
    are in the digest (a lead's DM, perhaps a channel), they would notify the channel or the person
    the private note is about, and a link could hide behind any label.
    """

    def word(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith(("http", "mailto", "!date")):
            return label or target
        sigil = "@" if target[:1] in ("!", "@") else "#" if target[:1] == "#" else ""
        if not sigil:
            return label or target
        return sigil + (label or target[1:].split("^")[0]).lstrip("@#")

    return SLACK_MARKUP.sub(word, text)


def _hardest(
    session: Session, program: Program, catalog: Catalog, *, week: Week, min_group: int
) -> HardQuestion | None:
    found = metrics.hardest_question(session, program.id, week.window, min_people=min_group)
    if found is None:
        return None
    module_id, question_id, mean = found
    module = catalog.modules.get(module_id)
    question = next((q for q in module.questions if q.id == question_id), None) if module else None
    return HardQuestion(
        module_title=module.title if module else module_id,
        prompt=question.prompt if question else question_id,
        right_first_time=figure(mean, min_group),
    )


def _module_figure(catalog: Catalog, item: tuple[str, Completion], min_group: int) -> ModuleFigure:
    module_id, completion = item
    module = catalog.modules.get(module_id)
    return ModuleFigure(
        module_id, module.title if module else module_id, completion_figure(completion, min_group)
    )


def _at_risk(
    session: Session,
    program: Program,
    *,
    week: Week,
    circle_period: dt.date | None,
    circle_word: str,
) -> tuple[list[AtRisk], int]:
    """Executives to look at, with plain-language reasons; the worst first, at most
    AT_RISK_SHOWN."""
    cutoff = week.window.end
    streaks = metrics.missed_streaks(
        session, program.id, cutoff=cutoff, lookback=STREAK_LOOKBACK, at_least=AT_RISK_STREAK
    )
    drops = metrics.pulse_drops(session, program.id, cutoff=cutoff, at_least=PULSE_DROP)
    skipped = (
        metrics.skipped_circle(session, program.id, period_start=circle_period)
        if circle_period
        else set()
    )
    silent = metrics.silent_checkins(
        session,
        program.id,
        weeks=[week.shift(-1, program.timezone).monday, week.monday],
        cutoff=cutoff,
    )
    flagged = set(streaks) | set(drops) | skipped | silent
    if not flagged:
        return [], 0
    current = set(
        session.scalars(
            select(Person.id)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                *metrics.current_executive(program.id),
                Person.status
                == PersonStatus.active,  # not paused (nor opted out): they chose a break
                (Person.paused_until.is_(None)) | (Person.paused_until <= cutoff),
            )
            # A short list is looked up by id; a long one is checked against every executive.
            .where(Person.id.in_(flagged) if len(flagged) <= 5000 else Person.id.is_not(None))
        )
    )
    severity = {
        pid: (streaks.get(pid, 0), drops.get(pid, 0.0), pid in skipped, pid in silent)
        for pid in flagged & current
    }
    worst = sorted(
        severity,
        key=lambda pid: (-sum(map(bool, severity[pid])), -severity[pid][0], -severity[pid][1], pid),
    )
    shown = worst[:AT_RISK_SHOWN]
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(shown)))}
    mentors = latest_mentors(session, program.id, shown)
    out = []
    for pid in shown:
        streak, drop, skip, quiet = severity[pid]
        reasons = []
        if streak:
            reasons.append(f"missed {streak} modules in a row")
        if drop:
            reasons.append(f"pulse down {drop:.1f}")
        if skip:
            reasons.append(f"skipped {circle_word}")
        if quiet:
            reasons.append("no check-in for 2 weeks")
        person = people[pid]
        out.append(
            AtRisk(
                pid,
                person.slack_user_id,
                person.display_name or person.slack_user_id,
                reasons,
                mentors.get(pid),
            )
        )
    return out, len(severity)


def latest_mentors(session: Session, program_id: int, person_ids: list[int]) -> dict[int, str]:
    """Person id -> Slack id of the mentor of their newest circle."""
    if not person_ids:
        return {}
    mine = (
        select(CircleMember.circle_id, CircleMember.person_id)
        .where(CircleMember.person_id.in_(person_ids), CircleMember.role == Role.executive)
        .subquery()
    )
    mentor = CircleMember.__table__.alias("mentor")
    rows = session.execute(
        select(mine.c.person_id, Person.slack_user_id, Circle.period_start)
        .join(Circle, Circle.id == mine.c.circle_id)
        .join(mentor, (mentor.c.circle_id == Circle.id) & (mentor.c.role == Role.mentor.value))
        .join(Person, Person.id == mentor.c.person_id)
        .where(Circle.program_id == program_id)
        .order_by(Circle.period_start)
    ).all()
    return {pid: uid for pid, uid, _ in rows}  # the newest period wins
