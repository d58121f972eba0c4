"""The weekly check-in as Block Kit: its count of clicks agrees with the number of KPIs."""

from __future__ import annotations

import datetime as dt

from bot.kpis.blocks import checkin
from bot.models import Kpi


def kpi(n: int) -> Kpi:
    return Kpi(
        id=n,
        key=f"k{n}",
        name=f"KPI {n}",
        question="How often?",
        kind="count",
        scale_min=0,
        scale_max=5,
        low_label="none",
        high_label="5+",
    )


def test_one_kpi_is_one_quick_click() -> None:
    def context(kpis: list[Kpi]) -> str:
        blocks = checkin(kpis, week=dt.date(2026, 11, 30), answers={})
        return blocks[1].to_dict()["elements"][0]["text"]

    assert context([kpi(1)]) == "Week of 30 November · 1 quick click, under a minute"
    assert context([kpi(1), kpi(2)]) == "Week of 30 November · 2 quick clicks, under a minute"
