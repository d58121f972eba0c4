"""Action, block and callback ids: the one place a listener and the block that triggers it meet."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    """`action_id`s of interactive elements (an option's id is appended after a colon)."""

    answer = "learning.answer"
    retry = "learning.retry"
    mark_done = "learning.done"
    snooze = "learning.snooze"
    pause_until = "learning.pause_until"
    opt_out = "learning.opt_out"
    resume = "learning.resume"
    reflect = "learning.reflect"
    rate = "learning.rate"
    kpi_value = "kpis.value"
    kpi_observe = "kpis.observe"
    circle_met = "circles.met"
    circle_pulse = "circles.pulse"
    digest_nudge = "digest.nudge"
    digest_pause = "digest.pause"
    digest_ping_mentor = "digest.ping_mentor"

    def with_suffix(self, suffix: str) -> str:
        """An action id for one of several buttons in a block (ids must be unique per block)."""
        return f"{self.value}:{suffix}"


class Callback(StrEnum):
    """`callback_id`s of modals."""

    reflection = "learning.reflection"


class Block(StrEnum):
    """`block_id` prefixes; a question's blocks end with its id."""

    question = "q"
    reflection_input = "reflection"
