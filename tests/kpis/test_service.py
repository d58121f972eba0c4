"""Who is asked for the weekly check-in, decided per zone, country and window, not per person."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from bot.kpis import service
from bot.models import PersonStatus, Role
from tests import factories

UTC = dt.UTC
MONDAY = dt.date(2026, 11, 30)


def test_check_ins_are_due_on_each_persons_friday_inside_their_window_and_never_while_paused(
    session: Session,
) -> None:
    cat = factories.catalog()
    prog = factories.program(session, cat, start=dt.date(2026, 11, 24))
    due_here = [
        factories.person(session, prog, uid, tz="Europe/Berlin", country="DE")
        for uid in ("U_BER1", "U_BER2")
    ]
    kolkata = factories.person(session, prog, "U_KOL", tz="Asia/Kolkata", country="IN")
    factories.person(
        session, prog, "U_LA", tz="America/Los_Angeles", country="US"
    )  # 01:00 there: before the window
    factories.person(session, prog, "U_MENTOR", tz="Europe/Berlin", country="DE", role=Role.mentor)
    early = factories.person(session, prog, "U_EARLY", tz="Europe/Berlin", country="DE")
    early.window_start, early.window_end = (
        dt.time(7, 0),
        dt.time(9, 30),
    )  # their window closed at 09:30
    paused = factories.person(session, prog, "U_PAUSED", tz="Europe/Berlin", country="DE")
    paused.paused_until = dt.datetime(2026, 12, 10, tzinfo=UTC)
    stopped = factories.person(session, prog, "U_STOPPED", tz="Europe/Berlin", country="DE")
    stopped.status = PersonStatus.paused
    gone = factories.person(session, prog, "U_OPTED_OUT", tz="Europe/Berlin", country="DE")
    gone.status = PersonStatus.opted_out
    resumed = factories.person(session, prog, "U_RESUMED", tz="Europe/Berlin", country="DE")
    resumed.paused_until = dt.datetime(2026, 12, 1, tzinfo=UTC)  # a dated pause that has ended
    session.flush()

    friday_10_berlin = dt.datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    due = service.due_checkins(session, now=friday_10_berlin)

    assert {(d.slack_user_id, d.week_start) for d in due} == {
        (p.slack_user_id, MONDAY) for p in (*due_here, kolkata, resumed)
    }
    assert all(d.program_id == prog.id for d in due)
    assert (
        service.due_checkins(session, now=friday_10_berlin - dt.timedelta(days=1)) == []
    )  # Thursday


def test_a_friday_holiday_moves_the_check_in_to_thursday_for_that_country_only(
    session: Session,
) -> None:
    cat = factories.catalog()
    prog = factories.program(
        session, cat, start=dt.date(2026, 12, 15)
    )  # two weeks: it ends on Boxing Day
    berlin = factories.person(session, prog, "U_BER", tz="Europe/Berlin", country="DE")
    factories.person(
        session, prog, "U_NONE", tz="Europe/Berlin", country=None
    )  # no holidays known: Friday as usual
    session.flush()

    thursday_24th = dt.datetime(2026, 12, 24, 10, 0, tzinfo=UTC)  # Christmas Day is a Friday
    due = service.due_checkins(session, now=thursday_24th)

    assert [(d.slack_user_id, d.week_start) for d in due] == [
        (berlin.slack_user_id, dt.date(2026, 12, 21))
    ]
