"""Peer-circle matching: who meets whom this month. Pure, deterministic, standard library only.

1. Shape: pick the number of circles and each one's executive and mentor-seat counts by arithmetic
   alone: everyone placed, sizes in bounds where the numbers allow, about (min + max) // 2 people.
2. Deal: executives, department after department in a seeded order, go round-robin over the
   circles, so colleagues meet only when a department outnumbers the circles. Mentors follow in a
   seeded cycle, so loads differ by at most one.
3. Improve: swap two executives (or two mentor seats) between circles whenever that lowers
   (repeat pairs, same-department pairs), in that order; once stuck, equal-cost swaps walk off the
   plateau. Per-person sets of who already met make a trial O(circle size), so 10,000 people take
   a fraction of a second.

Determinism: the search ends when nothing is left to fix, after PATIENCE passes without progress,
or after a number of trials set by the input size. `time_budget` is only a safety net for slow
machines: if it ends the search, the result depends on machine speed and a note says so.
"""

from __future__ import annotations

import itertools
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Literal

TRIES_PER_CONFLICT = 32  # random partners tried for one conflicted person before moving on
TRIALS_PER_PERSON = 10  # the deterministic work bound: swap trials per candidate...
TRIALS_FLOOR = 20_000  # ...but never fewer, so small, tight rosters get a thorough search
PATIENCE = 30  # passes in a row without a strict improvement before the search gives up
CLOCK_EVERY = 256  # trials between looks at the clock


@dataclass(frozen=True)
class Candidate:
    """Someone who can join a circle this month."""

    person_id: int
    role: Literal["executive", "mentor"]
    department: str | None


@dataclass(frozen=True)
class MatchConfig:
    """How circles are formed; the defaults suit a monthly program."""

    size_min: int = 4  # people per circle, mentors included
    size_max: int = 6
    mentors_per_circle: int = 1  # at least this many when there are enough mentors
    seed: int = 0
    time_budget: float = 1.0  # seconds of local search at most: a safety net, see above

    def __post_init__(self) -> None:
        if not 2 <= self.size_min <= self.size_max:
            raise ValueError(
                f"circle size {self.size_min}-{self.size_max}: size_min must be at least 2 "
                "and no more than size_max"
            )
        if self.mentors_per_circle < 1 or self.time_budget <= 0:
            raise ValueError(
                f"mentors_per_circle {self.mentors_per_circle}, time_budget {self.time_budget}: "
                "a circle needs 1 mentor or more, and the search a positive number of seconds"
            )


@dataclass(frozen=True)
class CircleScore:
    """One proposed circle and how it does on each constraint."""

    members: tuple[int, ...]  # person ids, mentors first then executives, each sorted
    mentors: int
    executives: int
    repeat_pairs: int  # pairs in this circle that already met in an earlier month
    departments: int  # distinct departments among its executives (None is not one)
    same_department_pairs: int  # executive pairs sharing a (non-None) department


@dataclass(frozen=True)
class MatchResult:
    """The month's circles, their totals, and remarks a program lead should read."""

    circles: tuple[CircleScore, ...]
    repeat_pairs: int
    same_department_pairs: int
    mentor_load: dict[int, int]  # every mentor candidate -> circles they are in (0: none)
    notes: tuple[str, ...]

    def pairs(self) -> set[frozenset[int]]:
        """Every pair of people who share a circle here: what next month's history adds."""
        return {frozenset(p) for c in self.circles for p in itertools.combinations(c.members, 2)}


def form_circles(
    candidates: Sequence[Candidate], history: Collection[frozenset[int]], config: MatchConfig
) -> MatchResult:
    """Group this month's candidates into circles; `history` holds the pairs who met before."""
    people = sorted(candidates, key=lambda c: c.person_id)  # input order must not matter
    _check(people)
    executives = [i for i, c in enumerate(people) if c.role == "executive"]
    mentors = [i for i, c in enumerate(people) if c.role == "mentor"]
    load = {people[i].person_id: 0 for i in mentors}
    reason = _why_no_circles(len(executives), len(mentors), config.size_min)
    if reason:
        return MatchResult((), 0, 0, load, (reason,))

    per_circle = min(config.mentors_per_circle, config.size_max // 2)  # k mentors need k executives
    shapes = _circle_shapes(len(executives), len(mentors), config, per_circle)
    rng = random.Random(config.seed)
    search = _Search(
        people,
        history,
        _deal_executives(people, executives, [e for e, _ in shapes], rng),
        _deal_mentors(mentors, [m for _, m in shapes], rng),
    )
    max_trials = max(TRIALS_FLOOR, TRIALS_PER_PERSON * len(people))
    clock_ended = search.improve(rng, max_trials, time.perf_counter() + config.time_budget)
    circles = tuple(sorted(map(search.score, range(len(shapes))), key=lambda s: s.members))
    for circle in circles:
        for pid in circle.members[: circle.mentors]:
            load[pid] += 1
    notes = _remarks(circles, load, config, per_circle)
    if clock_ended:
        notes.append(
            f"the search stopped at its {config.time_budget:g} s time budget after "
            f"{search.trials:,} swap trials, so a faster machine may give different circles"
        )
    return MatchResult(
        circles=circles,
        repeat_pairs=sum(c.repeat_pairs for c in circles),
        same_department_pairs=sum(c.same_department_pairs for c in circles),
        mentor_load=load,
        notes=tuple(notes),
    )


def _check(people: list[Candidate]) -> None:
    for earlier, later in itertools.pairwise(people):
        if earlier.person_id == later.person_id:
            raise ValueError(f"person {later.person_id} is a candidate twice; pass each one once")
    for c in people:
        if c.role not in ("executive", "mentor"):
            raise ValueError(f"person {c.person_id} has role {c.role!r}: use executive or mentor")


def _count(n: int, word: str, plural: str = "") -> str:
    return f"{n:,} {word if n == 1 else plural or word + 's'}"


def _why_no_circles(executives: int, mentors: int, size_min: int) -> str | None:
    if executives + mentors < size_min:
        return (
            f"{_count(executives + mentors, 'person', 'people')} "
            f"({_count(executives, 'executive')}, {_count(mentors, 'mentor')}), "
            f"fewer than the {size_min} a circle needs"
        )
    if mentors == 0:
        return f"no mentors among the {_count(executives, 'executive')}: a circle needs a mentor"
    if executives + min(executives, mentors) < size_min:
        return (
            f"{_count(executives, 'executive')}, too few for a circle of {size_min} "
            "(a circle never has more mentors than executives)"
        )
    return None


# Step 1: shapes. A group is [circles, executives each, mentor seats each], mutable while seats
# are handed out; a whole month is two to four groups, so any number of circles costs O(1).
Group = list[int]


def _circle_shapes(
    executives: int, mentors: int, config: MatchConfig, per_circle: int
) -> list[tuple[int, int]]:
    """(executives, mentor seats) for each circle, most executives first."""
    low, high = config.size_min, config.size_max
    placeable = min(mentors, executives)  # a circle never has more mentors than executives

    def people(circles: int) -> int:  # fewer mentors than circles: one each, shared
        return executives + max(circles, placeable)

    def cost(circles: int) -> tuple[int, int, int, int]:
        # Sizes first (squared, so two circles 1 over beat one 2 over), then mentors per circle,
        # then closeness to the middle size; fewer circles break ties.
        groups = _shapes_for(circles, executives, mentors, per_circle)
        misfit = sum(n * max(0, low - e - m, e + m - high) ** 2 for n, e, m in groups)
        short = sum(n * (per_circle - m) for n, _, m in groups if m < per_circle)
        return misfit, short, abs(people(circles) - circles * ((low + high) // 2)), circles

    # Only counts whose average size fits can fit; when none does, all are tried for the least bad.
    hopeful = [c for c in range(1, executives + 1) if c * low <= people(c) <= c * high]
    best = min(map(cost, hopeful), default=None)
    if best is None or best[0] > 0:
        best = min(map(cost, range(1, executives + 1)))
    groups = _shapes_for(best[-1], executives, mentors, per_circle)
    return [(e, m) for n, e, m in sorted(groups, key=lambda g: (-g[1], g[2])) for _ in range(n)]


def _shapes_for(circles: int, executives: int, mentors: int, per_circle: int) -> list[Group]:
    """Executives split evenly; a mentor each, then up to `per_circle`, then the rest by size."""
    q, r = divmod(executives, circles)
    groups = [[n, e, 1] for n, e in ((r, q + 1), (circles - r, q)) if n]
    if mentors > circles:
        spare = min(mentors, executives) - circles
        spare = _hand_out(groups, spare, lambda g: g[2], lambda g: min(per_circle, g[1]) - g[2])
        _hand_out(groups, spare, lambda g: g[1] + g[2], lambda g: g[1] - g[2])
    return groups


def _hand_out(
    groups: list[Group], seats: int, level: Callable[[Group], int], room: Callable[[Group], int]
) -> int:
    """Water-fill mentor seats, lowest `level` first, up to `room` per circle; returns the rest."""
    while seats > 0:
        open_ = [g for g in groups if room(g) > 0]
        if not open_:
            break
        lowest = min(map(level, open_))
        active = [g for g in open_ if level(g) == lowest]
        above = [level(g) - lowest for g in open_ if level(g) > lowest]
        step = min([room(g) for g in active] + above)
        width = sum(g[0] for g in active)
        if seats >= step * width:
            for g in active:
                g[2] += step
            seats -= step * width
            continue
        whole, extra = divmod(seats, width)
        for g in sorted(active, key=lambda g: g[1]):  # odd seats to circles with fewer executives
            take = min(extra, g[0])
            if 0 < take < g[0]:
                groups.append([g[0] - take, g[1], g[2] + whole])
                g[0] = take
            g[2] += whole + (1 if take else 0)
            extra -= take
        seats = 0
    return seats


# Step 2: the deal.


def _deal_executives(
    people: list[Candidate], executives: list[int], sizes: list[int], rng: random.Random
) -> list[list[int]]:
    """Round-robin over circles, department after department, so colleagues land apart."""
    by_department: defaultdict[str | None, list[int]] = defaultdict(list)
    for i in executives:
        by_department[people[i].department].append(i)
    groups = [by_department[d] for d in sorted(by_department, key=lambda d: (d is None, d or ""))]
    for group in groups:
        rng.shuffle(group)
    rng.shuffle(groups)  # a new department order each month varies which departments meet
    seats = [c for turn in range(max(sizes)) for c in range(len(sizes)) if sizes[c] > turn]
    rows: list[list[int]] = [[] for _ in sizes]
    for circle, person in zip(seats, itertools.chain.from_iterable(groups), strict=False):
        rows[circle].append(person)
    return rows


def _deal_mentors(mentors: list[int], seats: list[int], rng: random.Random) -> list[list[int]]:
    """A seeded cycle: each mentor once when there are enough, else loads within one of another."""
    order = mentors[:]
    rng.shuffle(order)
    starts = itertools.accumulate(seats, initial=0)
    return [
        [order[(start + j) % len(order)] for j in range(n)]
        for start, n in zip(starts, seats, strict=False)
    ]


# Step 3: the search.


class _Search:
    """Circles under improvement, with the indexes that make one swap trial O(circle size)."""

    def __init__(
        self,
        people: list[Candidate],
        history: Collection[frozenset[int]],
        execs: list[list[int]],
        mentors: list[list[int]],
    ) -> None:
        self.people, self.execs, self.mentors = people, execs, mentors
        index = {c.person_id: i for i, c in enumerate(people)}
        self.met: list[set[int]] = [set() for _ in people]
        for pair in history:
            if len(pair) == 2:
                first, second = pair
                a, b = index.get(first, -1), index.get(second, -1)
                if a >= 0 and b >= 0:  # pairs with someone not taking part are irrelevant
                    self.met[a].add(b)
                    self.met[b].add(a)
        names = sorted({c.department for c in people if c.role == "executive" and c.department})
        code = {name: i for i, name in enumerate(names)}
        self.dept = [code.get(c.department, -1) if c.role == "executive" else -1 for c in people]
        self.members = [set(e) | set(m) for e, m in zip(execs, mentors, strict=False)]
        self.dept_count = [Counter(self.dept[p] for p in row if self.dept[p] >= 0) for row in execs]
        self.repeats = sum(len(self.met[p] & s) for s in self.members for p in s) // 2
        self.same_department = sum(n * (n - 1) // 2 for c in self.dept_count for n in c.values())
        # One repeat must outweigh every same-department pair there could be.
        self.weight = sum(len(row) * (len(row) - 1) // 2 for row in execs) + 1
        # Same-department pairs no arrangement avoids: each department spread as evenly as it can.
        circles = len(execs)
        spread = [divmod(n, circles) for n in Counter(d for d in self.dept if d >= 0).values()]
        self.floor = sum(r * (q + 1) * q // 2 + (circles - r) * q * (q - 1) // 2 for q, r in spread)
        self.trials = 0

    def improve(self, rng: random.Random, max_trials: int, deadline: float) -> bool:
        """Swap until stuck or the trial bound is reached; True if the clock ended it instead."""
        count, stale = len(self.execs), 0
        while count > 1 and not self._optimal() and self.trials < max_trials and stale <= PATIENCE:
            # Once a pass improves nothing, equal-cost swaps are taken too, to walk off the plateau.
            sideways, improved = stale > 0, False
            queue = [
                (p, c, mentor)
                for c in range(count)
                for mentor, row in ((False, self.execs[c]), (True, self.mentors[c]))
                for p in row
                if self._conflicted(p, c)
            ]
            for p, x, mentor in queue:  # grows as we go: people a swap moved into trouble
                if self._optimal() or self.trials >= max_trials:
                    break
                if not self._conflicted(p, x):
                    continue
                rows = self.mentors if mentor else self.execs
                for _ in range(min(TRIES_PER_CONFLICT, max_trials - self.trials)):
                    y = rng.randrange(count - 1)
                    y += y >= x
                    q = rows[y][rng.randrange(len(rows[y]))]
                    self.trials += 1
                    if self.trials % CLOCK_EVERY == 0 and time.perf_counter() > deadline:
                        return True
                    change = self._try_swap(p, x, q, y, mentor, sideways)
                    if change is not None:
                        improved |= change < 0
                        moved = ((q, x, mentor), (p, y, mentor))
                        queue += [(w, c, m) for w, c, m in moved if self._conflicted(w, c)]
                        break
            stale = 0 if improved else stale + 1
        return False

    def score(self, c: int) -> CircleScore:
        """Circle `c` as the caller sees it: person ids and its count on each constraint."""
        members, people = self.members[c], self.people
        departments = Counter(people[p].department for p in self.execs[c])
        departments.pop(None, None)  # unknown is not a department
        return CircleScore(
            members=tuple(sorted(people[p].person_id for p in self.mentors[c]))
            + tuple(sorted(people[p].person_id for p in self.execs[c])),
            mentors=len(self.mentors[c]),
            executives=len(self.execs[c]),
            repeat_pairs=sum(len(self.met[p] & members) for p in members) // 2,
            departments=len(departments),
            same_department_pairs=sum(n * (n - 1) // 2 for n in departments.values()),
        )

    def _optimal(self) -> bool:
        return self.repeats == 0 and self.same_department == self.floor

    def _conflicted(self, p: int, c: int) -> bool:
        members = self.members[c]
        if p not in members:
            return False
        if not self.met[p].isdisjoint(members):
            return True
        # At the floor no swap can lower same-department pairs: colleagues alone are no conflict.
        d = self.dept[p]
        return d >= 0 and self.dept_count[c][d] > 1 and self.same_department > self.floor

    def _try_swap(self, a: int, x: int, b: int, y: int, mentor: bool, sideways: bool) -> int | None:
        """Trade a (in x) and b (in y) if the cost falls (or holds, sideways): the change, or
        None."""
        sx, sy = self.members[x], self.members[y]
        if a in sy or b in sx:  # a shared mentor may sit in both circles already
            return None
        da, db = self.dept[a], self.dept[b]  # -1 for mentors and unknown departments
        cx, cy = self.dept_count[x], self.dept_count[y]
        same = 0
        if da != db:
            same += cy[da] - cx[da] + 1 if da >= 0 else 0
            same += cx[db] - cy[db] + 1 if db >= 0 else 0
        met_a, met_b = self.met[a], self.met[b]
        repeats = 0
        if met_a or met_b:  # a pair between a and b is counted on both sides but never formed
            repeats = len(met_b & sx) + len(met_a & sy) - len(met_a & sx) - len(met_b & sy)
            repeats -= 2 * (b in met_a)
        change = repeats * self.weight + same
        if change > 0 or (change == 0 and not sideways):
            return None
        rows = self.mentors if mentor else self.execs
        rows[x][rows[x].index(a)] = b
        rows[y][rows[y].index(b)] = a
        sx ^= {a, b}  # a leaves x, b joins it
        sy ^= {a, b}
        for d, left, joined in ((da, cx, cy), (db, cy, cx)):
            if d >= 0:
                left[d] -= 1
                joined[d] += 1
        self.repeats += repeats
        self.same_department += same
        return change


def _remarks(
    circles: tuple[CircleScore, ...], load: dict[int, int], config: MatchConfig, k: int
) -> list[str]:
    """What a program lead should know about this month's circles, in plain words."""
    notes, sizes = [], [len(c.members) for c in circles]
    if k < config.mentors_per_circle:
        notes.append(
            f"{config.mentors_per_circle} mentors a circle would outnumber the executives in "
            f"circles of at most {config.size_max}; using {k}"
        )
    if idle := sum(1 for n in load.values() if n == 0):
        notes.append(f"{_count(idle, 'mentor')} not placed: more mentors than executives")
    if (busiest := max(load.values())) > 1:
        shared = sum(1 for n in load.values() if n == busiest)
        notes.append(
            f"not enough mentors: {len(load):,} for {len(circles):,} circles, so "
            f"{_count(shared, 'mentor')} serve{'s' * (shared == 1)} {busiest} circles"
        )
    if short := sum(1 for c in circles if c.mentors < k):
        notes.append(f"not enough mentors for {k} a circle: {_count(short, 'circle')} with fewer")
    if min(sizes) < config.size_min or max(sizes) > config.size_max:
        notes.append(
            f"circle sizes run {min(sizes)}-{max(sizes)}, outside "
            f"{config.size_min}-{config.size_max}: these numbers of people do not divide evenly"
        )
    if repeats := sum(c.repeat_pairs for c in circles):
        notes.append(f"{_count(repeats, 'pair')} meet again: no arrangement without repeats found")
    return notes
