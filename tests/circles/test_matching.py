"""Circle matching: everyone placed, size and mentor rules kept, old pairs and colleagues kept
apart, the same circles for the same seed."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Collection

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.circles.matching import Candidate, MatchConfig, MatchResult, form_circles

# Far above what any roster here needs, so the trial bound, never the clock, ends each search and
# results are the same on any machine.
GENEROUS = 60.0
History = Collection[frozenset[int]]


def roster(executives: int, mentors: int, departments: int = 5) -> list[Candidate]:
    """Executives 1..n spread over `departments` (0: none known), then the mentors."""
    people = [
        Candidate(1 + i, "executive", f"dept-{i % departments}" if departments else None)
        for i in range(executives)
    ]
    return people + [Candidate(1 + executives + i, "mentor", "it") for i in range(mentors)]


def config(**overrides: int) -> MatchConfig:
    return MatchConfig(time_budget=GENEROUS, **overrides)


def sizes_can_fit(executives: int, mentors: int, size_min: int, size_max: int) -> bool:
    """Whether some number of circles seats everyone within the size bounds.

    A reference independent of the matcher's arithmetic. With C circles there are
    max(C, min(mentors, executives)) mentor seats: mentors are shared only when fewer than circles,
    and never outnumber executives. A circle of s people with u more executives than mentors needs
    0 <= u <= s - 2 (one mentor at least) and u = s (mod 2); summed over circles, the seats work
    out exactly when the sizes can add up to everyone with no more odd sizes than executives
    outnumber seats.
    """
    odd_sizes = [s for s in range(size_min, size_max + 1) if s % 2]
    even_sizes = [s for s in range(size_min, size_max + 1) if not s % 2]
    for circles in range(1, executives + 1):
        seats = circles if mentors < circles else min(mentors, executives)
        total = executives + seats
        for odd in range(total % 2, circles + 1, 2):
            if (odd and not odd_sizes) or (circles - odd and not even_sizes):
                continue
            low = odd * min(odd_sizes, default=0) + (circles - odd) * min(even_sizes, default=0)
            high = odd * max(odd_sizes, default=0) + (circles - odd) * max(even_sizes, default=0)
            if low <= total <= high:
                if odd <= executives - seats:
                    return True
                break
    return False


def assert_keeps_the_rules(result: MatchResult, people: list[Candidate], history: History) -> None:
    """Every invariant a result must hold, recomputed from the candidates and history."""
    role = {c.person_id: c.role for c in people}
    department = {c.person_id: c.department for c in people}
    executives = sorted(p for p, r in role.items() if r == "executive")
    mentors = sorted(p for p, r in role.items() if r == "mentor")
    assert set(result.mentor_load) == set(mentors)
    if not result.circles:
        assert result.notes, "no circles needs a reason"
        assert result.repeat_pairs == result.same_department_pairs == 0
        return
    placed: list[int] = []
    load: Counter[int] = Counter()
    for circle in result.circles:
        ids = circle.members
        assert len(set(ids)) == len(ids), "nobody sits in one circle twice"
        its_mentors, its_executives = ids[: circle.mentors], ids[circle.mentors :]
        assert {role[p] for p in its_mentors} == {"mentor"}
        assert {role[p] for p in its_executives} == {"executive"}
        assert list(its_mentors) == sorted(its_mentors)
        assert list(its_executives) == sorted(its_executives)
        assert circle.executives == len(its_executives)
        assert 1 <= circle.mentors <= circle.executives, "a mentor at least, never outnumbering"
        pairs = [frozenset(pair) for pair in itertools.combinations(ids, 2)]
        assert circle.repeat_pairs == sum(pair in history for pair in pairs)
        known = Counter(department[p] for p in its_executives if department[p] is not None)
        assert circle.departments == len(known)
        assert circle.same_department_pairs == sum(n * (n - 1) // 2 for n in known.values())
        placed += its_executives
        load.update(its_mentors)
    assert sorted(placed) == executives, "every executive placed exactly once"
    assert result.mentor_load == {m: load[m] for m in mentors}
    loads = result.mentor_load.values()
    assert max(loads) - min(loads) <= 1, "mentor load even"
    if len(mentors) <= len(executives):
        assert min(loads) >= 1, "every mentor placed when mentors do not outnumber executives"
    assert result.repeat_pairs == sum(c.repeat_pairs for c in result.circles)
    assert result.same_department_pairs == sum(c.same_department_pairs for c in result.circles)
    circles = [c.members for c in result.circles]
    assert result.pairs() == {frozenset(p) for c in circles for p in itertools.combinations(c, 2)}


@pytest.mark.parametrize("executives", range(12, 40))
def test_sizes_stay_in_bounds_and_remainders_are_spread(executives: int) -> None:
    people = roster(executives, 8)
    result = form_circles(people, set(), config())
    assert_keeps_the_rules(result, people, set())
    assert all(4 <= len(c.members) <= 6 for c in result.circles), "nobody alone, nobody crowded"
    assert not any("sizes" in note for note in result.notes)


def test_circles_aim_for_the_middle_size() -> None:
    result = form_circles(roster(80, 20), set(), config())
    assert Counter(len(c.members) for c in result.circles) == {5: 20}


def test_scarce_mentors_serve_several_circles_with_even_load() -> None:
    people = roster(60, 4)
    result = form_circles(people, set(), config())
    assert_keeps_the_rules(result, people, set())
    assert len(result.circles) == 15
    assert sorted(result.mentor_load.values()) == [3, 4, 4, 4]
    assert "not enough mentors: 4 for 15 circles, so 3 mentors serve 4 circles" in result.notes


def test_spare_mentors_are_spread_and_never_outnumber_executives() -> None:
    people = roster(12, 10)
    result = form_circles(people, set(), config())
    assert_keeps_the_rules(result, people, set())
    assert set(result.mentor_load.values()) == {1}
    assert all(4 <= len(c.members) <= 6 for c in result.circles)


def test_two_mentors_per_circle_when_there_are_enough() -> None:
    people = roster(40, 20)
    result = form_circles(people, set(), config(mentors_per_circle=2, size_max=7))
    assert_keeps_the_rules(result, people, set())
    assert all(c.mentors >= 2 for c in result.circles)


def test_more_mentors_per_circle_than_circles_hold_is_reduced_with_a_note() -> None:
    people = roster(20, 20)
    result = form_circles(people, set(), config(mentors_per_circle=3, size_max=5))
    assert_keeps_the_rules(result, people, set())
    assert all(c.mentors == 2 for c in result.circles)
    assert any(note.endswith("using 2") for note in result.notes)


def test_same_seed_gives_the_same_circles_whatever_the_input_order() -> None:
    people = roster(47, 9)
    history = {frozenset((1, 2)), frozenset((3, 50)), frozenset((10, 20))}
    first = form_circles(people, history, config(seed=7))
    shuffled = people[:]
    random.Random(1).shuffle(shuffled)
    assert form_circles(shuffled, list(history), config(seed=7)) == first
    others = [form_circles(people, history, config(seed=s)).circles for s in range(8, 12)]
    assert any(circles != first.circles for circles in others), "the seed should vary circles"


def test_departments_are_mixed_when_they_can_be() -> None:
    # 4 departments x 6 executives and 6 mentors: six circles of 4 executives and a mentor,
    # so each circle can take one executive from every department.
    people = roster(24, 6, departments=4)
    result = form_circles(people, set(), config())
    assert_keeps_the_rules(result, people, set())
    assert result.same_department_pairs == 0
    assert all(c.departments == 4 for c in result.circles)


def test_a_department_outnumbering_the_circles_doubles_up_no_more_than_it_must() -> None:
    people = [Candidate(i, "executive", "sales" if i <= 12 else f"d{i}") for i in range(1, 21)]
    people += [Candidate(100 + i, "mentor", None) for i in range(5)]
    result = form_circles(people, set(), config())
    assert_keeps_the_rules(result, people, set())
    # 12 in sales over 5 circles: at best 3, 3, 2, 2, 2 of them, so 3 + 3 + 1 + 1 + 1 pairs.
    assert result.same_department_pairs == 9


def six_month_witness() -> list[list[tuple[int, ...]]]:
    """Six months of 12 circles (a mentor and 3 executives) in which no pair meets twice.

    Executive (x, y), x in 0..2 and y in Z12, has id 100 * (x + 1) + y; mentor j in Z12 has id
    1 + j. In month t circle i holds executives (0, i), (1, i + t), (2, i + 2t) and mentor
    i + c[t]. Each kind of pair meets at one offset a month: t for x=0/x=1 and for x=1/x=2, 2t for
    x=0/x=2, and c[t], c[t] - t, c[t] - 2t for the mentor with x=0, 1, 2. Over t = 0..5 each of
    these six offset lists is distinct mod 12, so no pair meets twice.
    """
    c = (0, 3, 1, 4, 2, 9)
    return [
        [
            (1 + (i + c[t]) % 12, 100 + i, 200 + (i + t) % 12, 300 + (i + 2 * t) % 12)
            for i in range(12)
        ]
        for t in range(6)
    ]


def test_nobody_meets_twice_over_six_months_when_that_is_feasible() -> None:
    # 36 executives in 6 departments (2x + y // 6, so the witness's circles mix departments too)
    # and 12 mentors; circles of exactly 4 are 3 executives and a mentor, 12 circles a month.
    people = [
        Candidate(100 * (x + 1) + y, "executive", f"dept-{2 * x + y // 6}")
        for x in range(3)
        for y in range(12)
    ]
    people += [Candidate(1 + j, "mentor", None) for j in range(12)]
    # Feasibility first: the witness (same ids) is a repeat-free six months.
    circles = [circle for month in six_month_witness() for circle in month]
    witness = [frozenset(p) for c in circles for p in itertools.combinations(c, 2)]
    assert len(set(witness)) == len(witness) == 6 * 12 * 6
    history: set[frozenset[int]] = set()
    for month in range(6):
        result = form_circles(people, history, config(size_min=4, size_max=4, seed=month))
        assert_keeps_the_rules(result, people, history)
        assert [(c.mentors, c.executives) for c in result.circles] == [(1, 3)] * 12
        assert result.repeat_pairs == 0, f"month {month + 1}: {result.notes}"
        history |= result.pairs()


def test_unavoidable_repeats_are_reported() -> None:
    people = roster(3, 1)
    history = {frozenset(p) for p in itertools.combinations(range(1, 5), 2)}
    result = form_circles(people, history, config())
    assert result.repeat_pairs == 6
    assert "6 pairs meet again: no arrangement without repeats found" in result.notes


def test_the_clock_only_ends_a_search_as_a_safety_net_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    people = roster(12, 3)  # everyone already met everyone: the search can only keep trying
    history = {frozenset(p) for p in itertools.combinations(range(1, 16), 2)}
    unhurried = form_circles(people, history, config())
    assert not any("time budget" in note for note in unhurried.notes)
    ticks = itertools.count(0.0, 100.0)  # every look at the clock finds 100 s gone
    monkeypatch.setattr("bot.circles.matching.time.perf_counter", lambda: next(ticks))
    hurried = form_circles(people, history, config())
    assert_keeps_the_rules(hurried, people, history)
    stopped = "the search stopped at its 60 s time budget after 256 swap trials"
    assert any(note.startswith(stopped) for note in hurried.notes)


def test_no_mentors_means_no_circles() -> None:
    result = form_circles(roster(10, 0), set(), config())
    assert result.circles == () and result.mentor_load == {}
    assert result.notes == ("no mentors among the 10 executives: a circle needs a mentor",)


def test_too_few_people_means_no_circles() -> None:
    result = form_circles(roster(2, 1), set(), config())
    assert result.circles == () and result.mentor_load == {3: 0}
    assert result.notes == ("3 people (2 executives, 1 mentor), fewer than the 4 a circle needs",)


def test_too_few_executives_for_a_circle_means_no_circles() -> None:
    result = form_circles(roster(1, 5), set(), config())
    assert result.circles == ()
    assert result.notes == (
        "1 executive, too few for a circle of 4 (a circle never has more mentors than executives)",
    )


def test_exactly_size_min_people_make_one_circle() -> None:
    people = roster(3, 1)
    result = form_circles(people, set(), config())
    assert_keeps_the_rules(result, people, set())
    assert [c.members for c in result.circles] == [(4, 1, 2, 3)]
    assert result.notes == ()


def test_more_mentors_than_executives_leaves_the_extra_mentors_out_with_a_note() -> None:
    people = roster(5, 8)
    result = form_circles(people, set(), config())
    assert_keeps_the_rules(result, people, set())
    assert sorted(result.mentor_load.values()) == [0, 0, 0] + [1] * 5
    assert "3 mentors not placed: more mentors than executives" in result.notes


def test_unknown_departments_are_not_a_department() -> None:
    people = roster(8, 2, departments=0)
    result = form_circles(people, set(), config())
    assert_keeps_the_rules(result, people, set())
    assert all(c.departments == 0 and c.same_department_pairs == 0 for c in result.circles)


def test_history_about_people_not_taking_part_is_ignored() -> None:
    people = roster(8, 2)
    history = {frozenset((1, 999)), frozenset((998, 999)), frozenset({5})}
    assert form_circles(people, history, config()) == form_circles(people, set(), config())


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"size_min": 1}, "circle size 1-6: size_min must be at least 2"),
        ({"size_min": 5, "size_max": 4}, "circle size 5-4: .* no more than size_max"),
        ({"mentors_per_circle": 0}, "mentors_per_circle 0"),
        ({"time_budget": 0}, "time_budget 0"),
    ],
)
def test_bad_config_says_what_to_change(overrides: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MatchConfig(**overrides)  # type: ignore[arg-type]


def test_a_person_listed_twice_is_refused() -> None:
    twice = [Candidate(1, "executive", None), Candidate(1, "mentor", None)]
    with pytest.raises(ValueError, match="person 1 is a candidate twice"):
        form_circles(twice, set(), config())


@st.composite
def programs(draw: st.DrawFn) -> tuple[list[Candidate], set[frozenset[int]], MatchConfig]:
    """Small rosters with random departments (some unknown), history and size bounds."""
    executives, mentors = draw(st.integers(0, 60)), draw(st.integers(0, 15))
    departments = st.one_of(st.none(), st.sampled_from("ABCDEFG"))
    people = [Candidate(i, "executive", draw(departments)) for i in range(executives)]
    people += [Candidate(executives + i, "mentor", draw(departments)) for i in range(mentors)]
    history: set[frozenset[int]] = set()
    if len(people) >= 2:
        pair = st.lists(st.integers(0, len(people) - 1), min_size=2, max_size=2, unique=True)
        history = {frozenset(p) for p in draw(st.lists(pair, max_size=80))}
    size_min = draw(st.integers(2, 7))
    match_config = config(
        size_min=size_min,
        size_max=draw(st.integers(size_min, 8)),
        mentors_per_circle=draw(st.integers(1, 2)),
        seed=draw(st.integers(0, 2**32)),
    )
    return draw(st.permutations(people)), history, match_config


@settings(max_examples=100, deadline=None)
@given(programs(), st.randoms(use_true_random=False))
def test_random_programs_keep_every_rule(
    program: tuple[list[Candidate], set[frozenset[int]], MatchConfig], shuffler: random.Random
) -> None:
    people, history, match_config = program
    result = form_circles(people, history, match_config)
    assert_keeps_the_rules(result, people, history)

    executives = sum(c.role == "executive" for c in people)
    mentors = len(people) - executives
    low, high = match_config.size_min, match_config.size_max
    if not result.circles:
        assert mentors == 0 or executives + min(executives, mentors) < low
    elif sizes_can_fit(executives, mentors, low, high):
        assert all(low <= len(c.members) <= high for c in result.circles)

    shuffled = people[:]
    shuffler.shuffle(shuffled)
    assert form_circles(shuffled, history, match_config) == result
