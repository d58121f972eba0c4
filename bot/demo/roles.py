"""The people of a pilot: executives, mentors and a lead, each acting on Upward's messages by habit.

The only thing a simulated person reads from the database is which module a message carries (a
real person reads the module; a simulation needs its right answers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.circles.blocks import MET_CHOICES
from bot.demo.cast import Actor, Cast, SimulationError, Timing
from bot.kpis.blocks import CHECKIN_TEXT, OBSERVATION_TEXT
from bot.models import Delivery, DeliveryKind, Purpose
from bot.sandbox import payloads

MET_QUESTION = "Did your peer circle meet?"
CLOSING_QUESTION = "How useful was this circle?"
CIRCLE_WELCOME = "Welcome to your peer circle"


@dataclass(frozen=True)
class Pause:
    """Pausing Upward with the date picker under a module, e.g. before two weeks of travel."""

    after_module: int  # picks the date right after answering this module (1 = the first)
    until: dt.date


@dataclass(frozen=True)
class Habits:
    """How an executive treats what Upward sends; the defaults describe an engaged one."""

    modules: int | None = None  # answers only the first N modules (None: every one)
    wrong_first: float = (
        0.0  # share of questions where they pick a wrong option, "Try again", then the right one
    )
    reflects: bool = False  # writes a reflection in the modal when a module asks for one
    checkins: int | None = None  # answers only the first N weekly check-ins
    checkin_value: Callable[[int], int] = lambda n: min(n, 5)  # the value given at the nth check-in
    checkin_spread: tuple[
        int, ...
    ] = ()  # added to that value for the 1st, 2nd, ... KPI of the check-in
    ratings: tuple[int, int | None] = (
        2,
        4,
    )  # self-assessment at the start and at the end (None: skipped)
    meets: Callable[[int], bool] = lambda n: True  # says their nth circle met
    pulse: Callable[[int], int] = lambda n: 5  # rates their nth circle
    pause: Pause | None = None
    absent: bool = False  # never answers anything
    timing: Timing = Timing()


@dataclass(frozen=True)
class MentorHabits:
    """How a mentor runs their circles."""

    meeting: dt.time = dt.time(13, 0)  # local time of the meeting they schedule
    days_ahead: int = 2  # schedule the meeting this many days after the channel opens
    note_at_scheduling: bool = (
        True  # write the session note when scheduling (else after the meeting)
    )
    takes_attendance: bool = False  # `/circle attended` the people who came, after the meeting
    notes: tuple[str, ...] = (
        "Circle {n} talked about async habits and who speaks first in meetings.",
    )
    rating: Callable[[str], int] = lambda user_id: 4  # focus-behaviour rating per executive
    pulse: Callable[[int], int] = lambda n: 4
    timing: Timing = Timing()


@dataclass(frozen=True)
class LeadHabits:
    """What the program lead does with the digest."""

    nudges_at_risk: bool = False  # sends each newly at-risk executive one friendly nudge
    timing: Timing = Timing()


class Executive(Actor):
    """An executive in the program, acting on modules, check-ins and circles as their habits say."""

    def __init__(self, cast: Cast, user_id: str, habits: Habits):
        super().__init__(cast, user_id, habits.timing)
        self.habits = habits
        self.modules = self.checkins = self.circles = 0

    def reaction(self, channel_id: str, message: dict[str, Any]) -> Callable[[], None] | None:
        if self.habits.absent:
            return None
        ts, text = message["ts"], message.get("text") or ""
        about = (message.get("metadata") or {}).get("event_payload") or {}
        if about.get("purpose") == Purpose.module and isinstance(about.get("subject_id"), int):
            return self._delivery(channel_id, ts, about["subject_id"])
        if text == CHECKIN_TEXT:
            self.checkins += 1
            if self.habits.checkins is not None and self.checkins > self.habits.checkins:
                return None
            value = self.habits.checkin_value(self.checkins)
            return lambda: self._checkin(channel_id, ts, value)
        if text == MET_QUESTION:
            self.circles += 1
            met = self.habits.meets(self.circles)
            label = dict(MET_CHOICES)["yes" if met else "couldnt"]
            return lambda: self.click(channel_id, ts, text=label)
        if text == CLOSING_QUESTION:
            pulse = str(self.habits.pulse(self.circles))
            return lambda: self.click(channel_id, ts, text=pulse)
        return None

    def _delivery(self, channel_id: str, ts: str, delivery_id: int) -> Callable[[], None] | None:
        with self.cast.world.session() as session:
            delivery = session.get(Delivery, delivery_id)
            if delivery is None:
                return None
            kind, module_id = delivery.kind, delivery.module_id
        if kind != DeliveryKind.module:
            rating = self.habits.ratings[kind == DeliveryKind.closing]
            return None if rating is None else lambda: self._rate(channel_id, ts, str(rating))
        self.modules += 1
        number = self.modules
        if self.habits.modules is not None and number > self.habits.modules:
            return None
        return lambda: self._module(channel_id, ts, module_id, number)

    def _module(self, channel_id: str, ts: str, module_id: str, number: int) -> None:
        module = self.cast.world.catalog.modules[module_id]
        for question in module.questions:
            right = next(o for o in question.options if o.id == question.correct)
            if self.habits.wrong_first and self.cast.rng.random() < self.habits.wrong_first:
                wrong = next(o for o in question.options if o.id != question.correct)
                self.click(channel_id, ts, text=wrong.label)
                self.click(channel_id, ts, text="Try again")
            self.click(channel_id, ts, text=right.label)
        if self.habits.reflects and module.reflection:
            self._reflect(channel_id, ts)
        pause = self.habits.pause
        if pause is not None and pause.after_module == number:
            self._pause(channel_id, ts, pause.until)

    def _reflect(self, channel_id: str, ts: str) -> None:
        self.click(channel_id, ts, text="Write a reflection")
        view = self.person.current_view()
        if view is None:
            raise SimulationError(
                f"{self.user_id} clicked “Write a reflection” and no modal opened"
            )
        text = self.cast.rng.choice(REFLECTIONS)
        response = self.person.submit_view({"text": text})
        for block in view["blocks"]:  # the modal as they submitted it
            if block.get("type") == "input":
                block["element"]["initial_value"] = text
        self._after(
            response.status,
            "submitted a reflection",
            channel_id,
            "wrote a reflection and pressed Save",
            view,
        )

    def _pause(self, channel_id: str, ts: str, until: dt.date) -> None:
        message = self.current(channel_id, ts)
        for block, element in payloads.interactive_elements(message.get("blocks") or []):
            if element.get("type") == "datepicker":
                self.use(
                    channel_id,
                    ts,
                    block,
                    element,
                    picked=until.isoformat(),
                    note=f"picked {until:%a %-d %b} in “Pause until…”",
                )
                return
        raise SimulationError(f"{self.user_id} found no date picker to pause with")

    def _rate(self, channel_id: str, ts: str, rating: str) -> None:
        """A self-assessment: the same rating on every question, one row at a time."""
        for _ in range(20):
            try:
                self.click(channel_id, ts, text=rating)
            except LookupError:
                return

    def _checkin(self, channel_id: str, ts: str, value: int) -> None:
        rows = [
            b
            for b in self.current(channel_id, ts).get("blocks") or []
            if b.get("block_id", "").startswith("kpi-")
        ]
        for index, block in enumerate(rows):
            spread = (
                self.habits.checkin_spread[index] if index < len(self.habits.checkin_spread) else 0
            )
            values = [int(e["value"].rsplit("|", 1)[1]) for e in block["elements"]]
            wanted = min(max(value + spread, min(values)), max(values))
            button = next(e for e in block["elements"] if e["value"].endswith(f"|{wanted}"))
            self.use(channel_id, ts, block, button, note=f"clicked “{button['text']['text']}”")


class Mentor(Actor):
    """A mentor: schedules each circle, records the session, rates the executives, rates the
    circle."""

    def __init__(self, cast: Cast, user_id: str, habits: MentorHabits):
        super().__init__(cast, user_id, habits.timing)
        self.habits = habits
        self.circles = 0

    def reaction(self, channel_id: str, message: dict[str, Any]) -> Callable[[], None] | None:
        ts, text = message["ts"], message.get("text") or ""
        if text.startswith(CIRCLE_WELCOME):
            self.circles += 1
            number = self.circles
            return lambda: self._schedule(channel_id, number)
        if text == MET_QUESTION:
            return lambda: self._after_meeting(channel_id, ts)
        if text == OBSERVATION_TEXT:
            return lambda: self._observe(channel_id, ts)
        if text == CLOSING_QUESTION:
            return lambda: self.click(channel_id, ts, text=str(self.habits.pulse(self.circles)))
        return None

    def _schedule(self, channel_id: str, number: int) -> None:
        """Set the meeting time, unless another mentor of the circle already has."""
        if any(
            "set the circle's meeting" in (m.get("text") or "")
            for m in self.cast.ws.channel_messages(channel_id)
        ):
            return
        day = self.cast.world.clock.now + dt.timedelta(days=self.habits.days_ahead)
        self.command(channel_id, f"schedule {day:%Y-%m-%d} {self.habits.meeting:%H:%M}")
        if self.habits.note_at_scheduling:
            self.command(channel_id, f"note {self._note(number)}")

    def _note(self, number: int) -> str:
        return self.habits.notes[(number - 1) % len(self.habits.notes)].format(n=number)

    def _after_meeting(self, dm: str, ts: str) -> None:
        """Say the circle met; then, in the circle's channel, record who came and a note."""
        circle = self._circle_of(self.current(dm, ts))
        self.click(dm, ts, text=dict(MET_CHOICES)["yes"])
        if circle is None:
            return
        if self.habits.takes_attendance:
            came = [
                uid for uid in self.cast.ws.channel_info(circle)["members"] if _came(self.cast, uid)
            ]
            self.command(circle, "attended " + " ".join(f"<@{uid}>" for uid in came))
        if not self.habits.note_at_scheduling:
            self.command(circle, f"note {self._note(self.circles)}")

    @staticmethod
    def _circle_of(message: dict[str, Any]) -> str | None:
        """The circle channel a "did you meet?" message names (`<#C123>`), if any."""
        text = " ".join(
            b.get("text", {}).get("text", "") for b in message.get("blocks") or [] if b.get("text")
        )
        start = text.find("<#")
        return text[start + 2 : text.find(">", start)].split("|")[0] if start >= 0 else None

    def _observe(self, channel_id: str, ts: str) -> None:
        for block in self.current(channel_id, ts).get("blocks") or []:
            if not block.get("block_id", "").startswith("observe-"):
                continue
            section = self._row_label(channel_id, ts, block["block_id"])
            rating = self.habits.rating(section)
            button = next(e for e in block["elements"] if e["value"].endswith(f"|{rating}"))
            self.use(channel_id, ts, block, button, note=f"rated <@{section}> {rating} of 5")

    def _row_label(self, channel_id: str, ts: str, block_id: str) -> str:
        """The executive a row of rating buttons is about (the mention in the section above it)."""
        blocks = self.current(channel_id, ts).get("blocks") or []
        index = next(i for i, b in enumerate(blocks) if b.get("block_id") == block_id)
        text = blocks[index - 1].get("text", {}).get("text", "")
        return text[2 : text.find(">")] if text.startswith("<@") else ""


class Lead(Actor):
    """The program lead: reads each digest and, if their habits say so, nudges who is at risk."""

    def __init__(self, cast: Cast, user_id: str, habits: LeadHabits):
        super().__init__(cast, user_id, habits.timing)
        self.habits = habits
        self.nudged: set[str] = set()

    def reaction(self, channel_id: str, message: dict[str, Any]) -> Callable[[], None] | None:
        if not self.habits.nudges_at_risk or not (message.get("text") or "").startswith(
            "Weekly digest"
        ):
            return None
        return lambda: self._nudge(channel_id, message["ts"])

    def _nudge(self, channel_id: str, ts: str) -> None:
        blocks = self.current(channel_id, ts).get("blocks") or []
        for index, block in enumerate(blocks):
            if not block.get("block_id", "").startswith("at-risk-"):
                continue
            who = blocks[index - 1]["text"]["text"].split(">")[0].removeprefix("<@")
            if who in self.nudged:
                continue
            self.nudged.add(who)
            button = next(
                e for e in block["elements"] if e["text"]["text"] == "Send a friendly nudge"
            )
            self.use(
                channel_id, ts, block, button, note=f"clicked “Send a friendly nudge” for <@{who}>"
            )


def _came(cast: Cast, user_id: str) -> bool:
    """Whether an executive came to the circle meeting just held (their own habits say)."""
    actor = next((a for a in cast.actors if a.user_id == user_id), None)
    return (
        isinstance(actor, Executive)
        and not actor.habits.absent
        and actor.habits.meets(actor.circles)
    )


REFLECTIONS = (
    (
        "I asked two people on my team for their view before giving mine. The quietest one had the"
        " best idea."
    ),
    (
        "I realised I default to email for everything; I tried a thread instead and got answers in"
        " an hour."
    ),
    (
        "Hard to admit, but I rarely credit people by name outside their own team. Changing that"
        " this week."
    ),
    (
        "My mentor showed me how she reads the dashboard; I had been looking at the wrong number"
        " for months."
    ),
)
