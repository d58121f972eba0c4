"""The digest's chart: weekly completion and KPI trends as a PNG (matplotlib, no GUI, no pyplot
state)."""

from __future__ import annotations

import io

from matplotlib.figure import Figure as MplFigure

from bot.digest.model import Digest

MIN_POINTS = 2  # a trend needs two weeks to be a trend


def has_enough_data(digest: Digest) -> bool:
    """Whether a chart would show any trend at all (two or more weeks with a shown figure)."""
    series = [[f for _, f in digest.completion_trend]] + [
        [f for _, f in t.points] for t in digest.kpis if not t.observed_by_mentors
    ]
    return any(sum(f.shown for f in s) >= MIN_POINTS for s in series)


def render_png(digest: Digest) -> bytes:
    """Completion rate (left) and weekly KPI averages on each KPI's own scale (right)."""
    weeks = [f"{day:%-d %b}" for day, _ in digest.completion_trend]
    fig = MplFigure(figsize=(9, 3.6), dpi=110, layout="constrained")
    left, right = fig.subplots(1, 2)
    completion = [
        f.value * 100 if f.value is not None else None for _, f in digest.completion_trend
    ]
    left.plot(
        weeks,
        [float("nan") if v is None else v for v in completion],
        marker="o",
        color="#2f6f5e",
        linewidth=2,
    )
    left.set_ylim(0, 100)
    left.set_title("Module completion (%)", fontsize=10)
    right.set_title("KPIs, weekly average", fontsize=10)
    for trend in digest.kpis:
        if trend.observed_by_mentors:
            continue
        values = [float("nan") if f.value is None else f.value for _, f in trend.points]
        right.plot(
            [f"{d:%-d %b}" for d, _ in trend.points],
            values,
            marker="o",
            linewidth=2,
            label=trend.name,
        )
    if right.lines:
        right.legend(fontsize=7, loc="upper left", frameon=False)
    for axis in (left, right):
        axis.tick_params(labelsize=7)
        axis.grid(alpha=0.3)
        axis.spines[["top", "right"]].set_visible(False)
    fig.suptitle(f"{digest.program_name}: the last {len(weeks)} weeks", fontsize=11)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
