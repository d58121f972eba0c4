"""The digest's rendering: sparklines, hidden figures, Slack's limits whatever the program's
size."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

from slack_sdk.models.blocks import ActionsBlock

from bot.digest import blocks
from bot.digest.chart import has_enough_data, render_png
from bot.digest.metrics import Window
from bot.digest.model import AtRisk, CircleHealth, Digest, Figure, KpiTrend, SkillChange, Week
from bot.sandbox.validation import check_message_blocks

MONDAY = dt.date(2026, 11, 30)


def trend(values: list[float | None], *, lo: int = 0, hi: int = 5) -> KpiTrend:
    points = [
        (MONDAY - dt.timedelta(weeks=len(values) - 1 - i), Figure(v, 5 if v is not None else 2))
        for i, v in enumerate(values)
    ]
    shown = [(d, f) for d, f in points if f.shown]
    return KpiTrend(
        key="k",
        name="Junior views asked first",
        kind="count",
        scale_min=lo,
        scale_max=hi,
        observed_by_mentors=False,
        points=points,
        baseline=shown[0] if shown else None,
        latest=shown[-1] if shown else None,
    )


def digest(
    *,
    at_risk: int = 0,
    kpis: list[KpiTrend] | None = None,
    note: str | None = "We spoke about async habits.",
) -> Digest:
    week = Week.of(MONDAY, "Europe/London")
    people = [
        AtRisk(
            i,
            f"U{i:08d}",
            f"Person {i}",
            ["missed 4 modules in a row", "pulse down 1.5", "skipped this month's circle"],
            "UMENTOR01" if i % 2 else None,
        )
        for i in range(at_risk)
    ]
    return Digest(
        program_id=1,
        program_name="Pilot",
        week=week,
        min_group=3,
        enrolled=40,
        active=(30, 33),
        completion=(Figure(0.75, 30), Figure(0.8, 31)),
        score=(Figure(0.5, 20), Figure(None, 2)),
        completion_trend=[
            (MONDAY - dt.timedelta(weeks=5 - i), Figure(0.5 + i / 20, 30)) for i in range(6)
        ],
        kpis=kpis if kpis is not None else [trend([1, 2, None, 3, 4, 5])],
        skills=[
            SkillChange("digital", Figure(2.5, 40), Figure(2.4, 30), Figure(3.6, 30)),
            SkillChange("cultural", Figure(3.0, 40), Figure(None, 2), Figure(None, 2)),
        ],
        circles=CircleHealth(
            MONDAY, MONDAY + dt.timedelta(days=30), 8, 7, Figure(0.85, 40), Figure(4.2, 44), 5, note
        ),
        hardest=None,
        most_completed=None,
        least_completed=None,
        at_risk=people[:10],
        at_risk_total=at_risk,
    )


def test_a_sparkline_has_a_bar_per_week_on_the_kpi_scale_and_a_dot_where_hidden() -> None:
    assert blocks.sparkline(trend([0, 1, None, 2.5, 4, 5])) == "▁▂·▅▇█"
    line = blocks.kpi_line(trend([1, 2, None, 3, 4, 5]))
    assert "*5.0* in week of 30 Nov (5 people), +4.0 since 26 Oct" in line


def test_hidden_figures_say_so_and_changes_compare_only_shown_figures() -> None:
    d = digest(kpis=[trend([None, None])])
    fields = dict(blocks.headline_fields(d))
    assert fields["Active executives"] == "30 of 40 (-3 from last week)"
    assert fields["Module completion"] == "75% (-5 pts from last week)"
    assert fields["First-attempt score"] == "50%", "last week's score was hidden: no change shown"
    assert blocks.kpi_line(d.kpis[0]).endswith("not enough responses yet")
    skills = blocks.skill_lines(d)
    assert skills[0] == "*Digital*: 2.4 → 3.6 (+1.2, 30 people, same people before and after)"
    assert skills[1].startswith("*Cultural*: 3.0 at the start (40 people)")


def test_a_big_program_s_digest_stays_within_slack_s_limits() -> None:
    built = blocks.digest_blocks(digest(at_risk=500, note="x" * 5000))
    assert len(built) <= 50
    assert sum(isinstance(b, ActionsBlock) for b in built) == 10, (
        "ten at-risk people with buttons, then a count"
    )
    check_message_blocks(
        [b.to_dict() for b in built], random.Random(0)
    )  # the stand-in's Block Kit checks (Slack's limits)
    assert "…and 490 more" in str([b.to_dict() for b in built])


def test_the_terminal_text_has_no_slack_markup() -> None:
    text = blocks.digest_text(digest(at_risk=2))
    assert text.startswith("Weekly digest · Pilot · week of 30 Nov 2026")
    assert "*" not in text and "`" not in text and "<@" not in text
    assert (
        "Person 1 (U00000001): missed 4 modules in a row; pulse down 1.5; skipped this month's"
        " circle" in text
    )
    assert "“We spoke about async habits.”" in text


def test_the_chart_is_a_png_when_there_are_two_weeks_to_draw() -> None:
    d = digest()
    assert has_enough_data(d)
    assert render_png(d).startswith(b"\x89PNG\r\n\x1a\n")
    bare = digest(kpis=[])
    bare.completion_trend = [(MONDAY, Figure(0.5, 30))]
    assert not has_enough_data(bare)


def test_a_week_parses_from_iso_text_and_spans_local_midnights() -> None:
    week = Week.parse("2026-W49", "America/New_York")
    assert week.monday == MONDAY and week.label == "2026-W49"
    assert week.window == Window(
        dt.datetime(2026, 11, 30, 5, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 7, 5, tzinfo=dt.UTC),
    )
    assert Week.parse("2026-W53", "UTC").monday == dt.date(2026, 12, 28)  # 2026 has 53 ISO weeks
    for bad in ("2026-49", "2025-W53", "W49", ""):
        try:
            Week.parse(bad, "UTC")
        except ValueError as exc:
            assert "is not an ISO week like 2026-W49" in str(exc)
        else:
            raise AssertionError(f"{bad!r} parsed")


def test_the_first_week_compares_with_no_last_week_and_says_so() -> None:
    first = dataclasses.replace(digest(), program_start=MONDAY + dt.timedelta(days=1))
    fields = dict(blocks.headline_fields(first))
    assert fields["Active executives"] == "30 of 40"
    assert fields["Module completion"] == "75%"
    text = blocks.digest_text(first)
    assert "last week)" not in text
    assert text.splitlines()[1] == (
        "2026-W49; the program's first week, so no change from last week; figures covering fewer"
        " than 3 people are hidden"
    )
    context = blocks.digest_blocks(first)[1].to_dict()["elements"][0]["text"]
    assert "the program's first week, so no change from last week" in context
    second = dataclasses.replace(digest(), program_start=MONDAY - dt.timedelta(days=1))
    assert dict(blocks.headline_fields(second))["Active executives"].endswith("from last week)")


def test_a_week_before_the_start_says_when_the_program_starts() -> None:
    early = dataclasses.replace(
        digest(), active=(0, 0), program_start=MONDAY + dt.timedelta(days=8)
    )
    text = blocks.digest_text(early)
    assert "the program starts on Tue 8 Dec: nothing to report yet" in text
    assert "same as last week" not in text and "0 of 40" in text
