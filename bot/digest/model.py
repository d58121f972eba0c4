"""What a weekly digest says, as plain data: the week, each figure with the people it covers, and
the digest itself (bot.digest.service computes it; bot.digest.blocks draws it)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from bot.core.calendar import at_local, local_day
from bot.digest.metrics import Completion, Mean, Window

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


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
    program_start: dt.date | None = None  # None: compare with last week whatever it was

    @property
    def started(self) -> bool:
        """Whether the program had started by the end of the reported week."""
        end = self.week.monday + dt.timedelta(days=6)
        return self.program_start is None or self.program_start <= end

    @property
    def has_last_week(self) -> bool:
        """Whether the week before was part of the program, so a change from it means something."""
        return self.program_start is None or self.program_start < self.week.monday

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
