"""The line `upward tick` prints for one instant."""

from __future__ import annotations

import datetime as dt

from bot.tick import TickReport

AT = dt.datetime(2026, 12, 1, 10, 30, tzinfo=dt.UTC)


def test_the_line_counts_one_of_each_as_one() -> None:
    report = TickReport(at=AT, modules=1, reminders=1, circles_formed=1, digests=1, sent=4)

    assert report.line() == (
        "2026-12-01T10:30+00:00: 1 module queued, 1 reminder queued, 1 circle formed,"
        " 1 digest queued, 4 sent"
    )
    assert (
        TickReport(at=AT, modules=2, checkins=3)
        .line()
        .endswith(": 2 modules queued, 3 check-ins queued")
    )
    assert TickReport(at=AT).line().endswith(": nothing due")
