"""Pydantic specs for the content catalog: modules, circle prompts and program templates.

Field limits mirror what the module message can carry in Slack (see shared/SLACK_FACTS.md), so a
file that validates here renders without Slack refusing it.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from bot.core.words import count

# Ids appear inside Slack action values and block ids (255 chars max) next to other parts.
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
# Short single-line texts (button labels are capped at 75 characters by Slack).
ButtonLabel = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=75)]
# Anything rendered in one section block: Slack caps section text at 3,000 characters.
SectionText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=3000)
]
# Header blocks take plain text up to 150 characters.
HeaderText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=150)]

# The whole module body must fit in one message next to the title, actions and questions.
MODULE_BODY_MAX = 2800


class SkillArea(StrEnum):
    """The three skill areas reverse mentoring works on; before/after is reported per area."""

    digital = "digital"
    cultural = "cultural"
    inclusive = "inclusive"


class Weekday(StrEnum):
    mon = "mon"
    tue = "tue"
    wed = "wed"
    thu = "thu"
    fri = "fri"

    @property
    def index(self) -> int:
        """Monday is 0, as in `datetime.weekday()`."""
        return list(Weekday).index(self)


class Strict(BaseModel):
    """Base for content specs: unknown keys are typos, so they are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(Strict):
    """One answer choice of a multiple-choice question."""

    id: Slug
    label: ButtonLabel


class Question(Strict):
    """A micro-assessment question: multiple choice with exactly one correct option."""

    id: Slug
    prompt: SectionText
    options: list[Option] = Field(min_length=2, max_length=5)
    correct: Slug
    explanation: SectionText

    @model_validator(mode="after")
    def _correct_option_exists(self) -> Question:
        ids = [o.id for o in self.options]
        if len(set(ids)) != len(ids):
            raise ValueError(f"option ids repeat: {', '.join(sorted(ids))}")
        if self.correct not in ids:
            raise ValueError(
                f"correct option '{self.correct}' is not one of the options ({', '.join(ids)})"
            )
        return self


class Module(Strict):
    """A 3–10 minute microlearning module sent as one DM."""

    id: Slug
    title: HeaderText
    skill_area: SkillArea
    minutes: int = Field(ge=3, le=10)
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    body: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MODULE_BODY_MAX)
    ]
    try_this_week: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)
    ]
    questions: list[Question] = Field(min_length=2, max_length=4)
    reflection: SectionText | None = None

    @model_validator(mode="after")
    def _question_ids_unique(self) -> Module:
        ids = [q.id for q in self.questions]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"question ids repeat: {', '.join(dupes)}")
        return self


class Prompt(Strict):
    """A discussion prompt for a peer circle."""

    id: Slug
    skill_area: SkillArea
    text: SectionText


class PromptFile(Strict):
    prompts: list[Prompt] = Field(min_length=1)


class Scale(Strict):
    """A 1–5 (or similar) rating scale with labels for its two ends."""

    min: int = Field(default=1, ge=0, le=10)
    max: int = Field(default=5, ge=1, le=10)
    low_label: ButtonLabel
    high_label: ButtonLabel

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if self.max <= self.min:
            raise ValueError(f"max ({self.max}) must be greater than min ({self.min})")
        if self.max - self.min + 1 > 11:
            raise ValueError("a scale has at most 11 points")
        return self


class Kpi(Strict):
    """A KPI executives report on weekly, e.g. meetings where they asked a junior view first."""

    key: Slug
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=75)]
    question: SectionText
    kind: Literal["count", "rating"]
    scale: Scale


class FocusBehaviour(Strict):
    """The behaviour mentors rate each executive in their circle on, once a circle (1–5)."""

    key: Slug = "focus-behaviour"
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=75)] = (
        "Asks for and acts on junior views"
    )
    question: SectionText = (
        "In this circle, how consistently did they ask for junior colleagues'"
        " views and act on them?"
    )
    scale: Scale = Scale(min=1, max=5, low_label="Not yet", high_label="Consistently")


class AssessmentQuestion(Strict):
    """A self-rating asked at baseline and again at closing, so change can be shown per area."""

    id: Slug
    skill_area: SkillArea
    prompt: SectionText
    scale: Scale


class Cadence(Strict):
    modules_per_week: int = Field(ge=1, le=5)
    weekdays: list[Weekday] = Field(min_length=1, max_length=5)

    @model_validator(mode="after")
    def _enough_days(self) -> Cadence:
        if len(set(self.weekdays)) != len(self.weekdays):
            raise ValueError("weekdays repeat")
        if self.modules_per_week > len(self.weekdays):
            raise ValueError(
                f"{self.modules_per_week} modules a week need at least as many weekdays "
                f"(got {len(self.weekdays)}): at most one module a day"
            )
        return self


class DeliveryWindow(Strict):
    """Local working hours in which a module may arrive (in each person's own time zone)."""

    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(17, 0)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _quoted(cls, v: object) -> object:
        # YAML 1.1 reads an unquoted 17:00 as the base-60 number 1020 (but 09:00 as a string).
        if isinstance(v, int):
            raise ValueError(
                'put the time in quotes, e.g. "17:00": unquoted, YAML reads it as a number'
            )
        return v

    @model_validator(mode="after")
    def _ordered(self) -> DeliveryWindow:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end:%H:%M}) must be after start ({self.start:%H:%M})")
        return self


class CircleSchedule(Strict):
    """When peer circles form: every month, or in given program weeks (the pilot's two sessions)."""

    frequency: Literal["monthly", "weeks"]
    weeks: list[int] = Field(default_factory=list)
    size_min: int = Field(default=4, ge=2, le=12)
    size_max: int = Field(default=6, ge=2, le=12)
    mentors_per_circle: int = Field(default=1, ge=1, le=3)

    @model_validator(mode="after")
    def _consistent(self) -> CircleSchedule:
        if self.size_max < self.size_min:
            raise ValueError(f"size_max ({self.size_max}) is below size_min ({self.size_min})")
        if self.frequency == "weeks" and not self.weeks:
            raise ValueError("frequency 'weeks' needs a list of program weeks")
        if self.frequency == "monthly" and self.weeks:
            raise ValueError("weeks is only for frequency 'weeks'")
        if any(w < 1 for w in self.weeks):
            raise ValueError("program weeks count from 1")
        return self


class Event(Strict):
    """A live element of the program (workshop, job-shadowing day) announced in Slack."""

    kind: Literal["workshop", "shadowing"]
    title: HeaderText
    week: int | None = Field(default=None, ge=1)
    every_weeks: int | None = Field(default=None, ge=1)
    description: SectionText

    @model_validator(mode="after")
    def _when(self) -> Event:
        if (self.week is None) == (self.every_weeks is None):
            raise ValueError("give exactly one of week (a one-off) or every_weeks (recurring)")
        return self


class ProgramTemplate(Strict):
    """A program from the reverse-mentoring playbook: pilot, quarter or enterprise."""

    id: Slug
    name: HeaderText
    description: SectionText
    weeks: int | None = Field(default=None, ge=1, le=104, description="None means ongoing")
    cadence: Cadence
    delivery_window: DeliveryWindow = DeliveryWindow()
    modules: list[Slug] = Field(min_length=1)
    circles: CircleSchedule
    events: list[Event] = Field(default_factory=list)
    kpis: list[Kpi] = Field(min_length=2, max_length=3)
    focus_behaviour: FocusBehaviour = FocusBehaviour()
    assessment: list[AssessmentQuestion] = Field(min_length=1, max_length=10)

    @field_validator("modules")
    @classmethod
    def _modules_unique(cls, v: list[str]) -> list[str]:
        dupes = sorted({m for m in v if v.count(m) > 1})
        if dupes:
            raise ValueError(f"modules listed twice: {', '.join(dupes)}")
        return v

    @model_validator(mode="after")
    def _fits(self) -> ProgramTemplate:
        keys = [k.key for k in self.kpis] + [self.focus_behaviour.key]
        if len(set(keys)) != len(keys):
            raise ValueError("KPI keys repeat (the focus behaviour's key counts too)")
        if self.weeks is not None:
            late = [w for w in self.circles.weeks if w > self.weeks]
            if late:
                raise ValueError(
                    f"circle weeks {late} fall after the program's {count(self.weeks, 'week')}"
                )
            late_events = [e.title for e in self.events if e.week and e.week > self.weeks]
            if late_events:
                raise ValueError(f"events after the program ends: {', '.join(late_events)}")
        return self
