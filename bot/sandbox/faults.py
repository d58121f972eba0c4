"""Fault injection: 5xx answers, slow answers, dropped connections and one-off errors.

Random faults draw from one seeded ``random.Random`` (three draws per eligible call), so the same
sequence of calls meets the same faults on every run. A fault normally strikes *before* the
method runs (the call did nothing); ``after_commit`` strikes after it (the message was posted but
the client saw a failure), which is the case crash-safety code must survive.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

# The error strings Slack's edge answers with alongside each status.
STATUS_ERRORS = {
    500: "internal_error",
    502: "fatal_error",
    503: "service_unavailable",
    504: "request_timeout",
}


@dataclass
class FaultPlan:
    """Random faults; all rates are shares of eligible calls between 0 and 1."""

    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 503)
    drop_rate: float = 0.0
    slow_rate: float = 0.0
    slow_seconds: float = 0.0
    methods: frozenset[str] | None = None  # None: every method is eligible
    after_commit: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("error_rate", "drop_rate", "slow_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {getattr(self, name)}")
        self.error_statuses = tuple(self.error_statuses)
        if self.methods is not None:
            self.methods = frozenset(self.methods)


@dataclass
class Fault:
    """What happens to one call: an error answer or a dropped connection, maybe late, maybe slow."""

    kind: Literal["error", "drop", "slow"]
    status: int = 200
    error: str = ""
    after_commit: bool = False
    delay: float = 0.0

    @property
    def label(self) -> str:
        """Short description for the call log."""
        when = " after commit" if self.after_commit else ""
        if self.kind == "error":
            return f"error {self.status} {self.error}{when}"
        return f"drop{when}" if self.kind == "drop" else f"slow {self.delay}s"


@dataclass
class _OneOff:
    method: str
    error: str
    status: int
    remaining: int
    after_commit: bool
    drop: bool


@dataclass
class Faults:
    """The live fault settings of a stand-in; safe to change from any thread."""

    plan: FaultPlan = field(default_factory=FaultPlan)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(self.plan.seed)
        self._one_offs: list[_OneOff] = []

    def configure(self, plan: FaultPlan | None = None, **changes: Any) -> FaultPlan:
        """Replace the plan (or change some fields); a new seed restarts the random sequence."""
        with self._lock:
            new = replace(plan or self.plan, **changes)
            if plan is not None or "seed" in changes:
                self._rng = random.Random(new.seed)
            self.plan = new
            return new

    def fail_next(
        self,
        method: str,
        *,
        error: str | None = None,
        status: int = 500,
        times: int = 1,
        after_commit: bool = False,
        drop: bool = False,
    ) -> None:
        """Make the next ``times`` calls of ``method`` ("*" for any) fail this way.

        ``status=200`` with a Slack error string (``account_inactive``) answers like Slack's own
        refusals; a 5xx status answers like its edge; ``drop=True`` closes the connection.
        """
        if error is None:
            error = STATUS_ERRORS.get(status, "internal_error")
        with self._lock:
            self._one_offs.append(_OneOff(method, error, status, times, after_commit, drop))

    def clear(self) -> None:
        """No faults at all from now on (the random sequence is kept)."""
        with self._lock:
            self._one_offs.clear()
            self.plan = replace(self.plan, error_rate=0.0, drop_rate=0.0, slow_rate=0.0)

    def decide(self, method: str) -> Fault | None:
        """The fault, if any, for one call of ``method``."""
        with self._lock:
            for one_off in self._one_offs:
                if one_off.method in (method, "*"):
                    one_off.remaining -= 1
                    if one_off.remaining <= 0:
                        self._one_offs.remove(one_off)
                    kind: Literal["error", "drop"] = "drop" if one_off.drop else "error"
                    return Fault(kind, one_off.status, one_off.error, one_off.after_commit)
            plan = self.plan
            if plan.methods is not None and method not in plan.methods:
                return None
            if not (plan.error_rate or plan.drop_rate or plan.slow_rate):
                return None
            # Always three draws, so the sequence does not depend on which rates are set.
            error_draw, drop_draw, slow_draw = (self._rng.random() for _ in range(3))
            status = self._rng.choice(plan.error_statuses) if plan.error_statuses else 500
            delay = plan.slow_seconds if slow_draw < plan.slow_rate else 0.0
            if error_draw < plan.error_rate:
                return Fault(
                    "error",
                    status,
                    STATUS_ERRORS.get(status, "internal_error"),
                    plan.after_commit,
                    delay,
                )
            if drop_draw < plan.drop_rate:
                return Fault("drop", 0, "", plan.after_commit, delay)
            return Fault("slow", delay=delay) if delay else None

    def describe(self) -> dict[str, Any]:
        """JSON-ready view of the plan and pending one-off faults."""
        with self._lock:
            plan = asdict(self.plan)
            plan["methods"] = sorted(self.plan.methods) if self.plan.methods is not None else None
            plan["error_statuses"] = list(self.plan.error_statuses)
            return {"plan": plan, "pending": [asdict(o) for o in self._one_offs]}


def plan_from_json(data: Mapping[str, Any], base: FaultPlan) -> FaultPlan:
    """A FaultPlan from a JSON object of FaultPlan fields (unknown keys are an error)."""
    known = set(FaultPlan.__dataclass_fields__)
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown fault settings {sorted(unknown)}; known: {sorted(known)}")
    changes = dict(data)
    if "methods" in changes and changes["methods"] is not None:
        changes["methods"] = frozenset(changes["methods"])
    if "error_statuses" in changes:
        changes["error_statuses"] = tuple(changes["error_statuses"])
    return replace(base, **changes)
