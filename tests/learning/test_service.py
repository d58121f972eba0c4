"""Delivery rules: order, cadence, local windows, weekends, holidays, one a day, pauses,
catch-up."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.learning import service
from bot.models import Delivery, DeliveryKind, DeliveryStatus, PersonStatus, ProgramStatus
from tests import factories

UTC = dt.UTC


def send_everything_due(session: Session, cat, now: dt.datetime) -> list[service.DueDelivery]:
    due = service.due_deliveries(session, catalog=cat, now=now)
    for d in due:
        service.mark_sent(session, delivery_id=d.delivery_id, now=now)
    session.flush()
    return due


def run_hourly(
    session: Session, cat, start: dt.datetime, days: int
) -> list[tuple[dt.datetime, service.DueDelivery]]:
    sent = []
    for hour in range(days * 24):
        now = start + dt.timedelta(hours=hour)
        sent.extend((now, d) for d in send_everything_due(session, cat, now))
    return sent


def test_plan_creates_baseline_modules_and_closing_once(session: Session) -> None:
    cat = factories.catalog()
    prog = factories.program(session, cat)
    factories.person(session, prog, "U1", tz="Europe/Berlin", country="DE")
    assert (
        service.plan_deliveries(
            session, program=prog, catalog=cat, now=dt.datetime(2026, 11, 2, tzinfo=UTC)
        )
        == 6
    )
    assert (
        service.plan_deliveries(
            session, program=prog, catalog=cat, now=dt.datetime(2026, 11, 2, tzinfo=UTC)
        )
        == 0
    )
    kinds = session.scalars(select(Delivery.kind).order_by(Delivery.sequence)).all()
    assert kinds == [DeliveryKind.baseline] + [DeliveryKind.module] * 4 + [DeliveryKind.closing]


def test_each_module_lands_in_the_persons_window_never_on_weekend_or_holiday(
    session: Session,
) -> None:
    cat = factories.catalog(weeks=4, modules=8)
    # Starts Tuesday 22 Dec 2026: Christmas (DE, US) and Boxing Day fall inside.
    prog = factories.program(session, cat, start=dt.date(2026, 12, 22))
    people = {
        "U_LA": ("America/Los_Angeles", "US"),
        "U_BER": ("Europe/Berlin", "DE"),
        "U_KOL": ("Asia/Kolkata", "IN"),
    }
    for uid, (tz, country) in people.items():
        factories.person(session, prog, uid, tz=tz, country=country)
    service.plan_deliveries(
        session, program=prog, catalog=cat, now=dt.datetime(2026, 12, 1, tzinfo=UTC)
    )
    sent = run_hourly(session, cat, dt.datetime(2026, 12, 21, tzinfo=UTC), days=40)

    from bot.core.calendar import is_working_day, zone

    per_person_days: dict[str, list[dt.date]] = {}
    for now, d in sent:
        tz, country = people[d.slack_user_id]
        local = now.astimezone(zone(tz))
        assert dt.time(9) <= local.time() < dt.time(17), (d, local)
        assert is_working_day(local.date(), country), (d, local)
        per_person_days.setdefault(d.slack_user_id, []).append(local.date())
    for uid, days in per_person_days.items():
        assert len(days) == len(set(days)) == 10, f"{uid}: one delivery a day, all 10 sent"
    sequences = [d.sequence for _, d in sent if d.slack_user_id == "U_BER"]
    assert sequences == sorted(sequences)
    # Nobody in Germany gets anything on 24–26 Dec? 24 Dec is a working day in DE; 25/26 are not.
    assert dt.date(2026, 12, 25) not in per_person_days["U_BER"]


def test_downtime_catch_up_sends_one_module_not_the_backlog(session: Session) -> None:
    cat = factories.catalog()
    prog = factories.program(session, cat)
    factories.person(session, prog, "U1", tz="Europe/Berlin", country="DE")
    service.plan_deliveries(
        session, program=prog, catalog=cat, now=dt.datetime(2026, 11, 2, tzinfo=UTC)
    )
    # The worker was down for ten days; it comes back on Friday 11 Dec, 10:00 Berlin.
    now = dt.datetime(2026, 12, 11, 9, 0, tzinfo=UTC)
    first = send_everything_due(session, cat, now)
    assert [d.kind for d in first] == [DeliveryKind.baseline]
    assert send_everything_due(session, cat, now + dt.timedelta(hours=2)) == []


def test_paused_snoozed_and_opted_out_people_get_nothing(session: Session) -> None:
    cat = factories.catalog()
    prog = factories.program(session, cat)
    active = factories.person(session, prog, "U1", tz="Europe/Berlin", country="DE")
    snoozed = factories.person(session, prog, "U2", tz="Europe/Berlin", country="DE")
    paused = factories.person(session, prog, "U3", tz="Europe/Berlin", country="DE")
    gone = factories.person(session, prog, "U4", tz="Europe/Berlin", country="DE")
    now = dt.datetime(2026, 12, 1, 10, 30, tzinfo=UTC)
    snoozed.paused_until = now + dt.timedelta(days=7)
    paused.status = PersonStatus.paused
    gone.status = PersonStatus.opted_out
    service.plan_deliveries(session, program=prog, catalog=cat, now=now)
    assert {d.slack_user_id for d in service.due_deliveries(session, catalog=cat, now=now)} == {
        active.slack_user_id
    }
    # A snooze ends by itself.
    later = dt.datetime(2026, 12, 8, 10, 30, tzinfo=UTC)
    assert snoozed.slack_user_id in {
        d.slack_user_id for d in service.due_deliveries(session, catalog=cat, now=later)
    }


def test_a_paused_program_sends_nothing(session: Session) -> None:
    cat = factories.catalog()
    prog = factories.program(session, cat)
    factories.person(session, prog, "U1", tz="Europe/Berlin", country="DE")
    service.plan_deliveries(
        session, program=prog, catalog=cat, now=dt.datetime(2026, 11, 2, tzinfo=UTC)
    )
    prog.status = ProgramStatus.paused
    session.flush()
    assert (
        service.due_deliveries(
            session, catalog=cat, now=dt.datetime(2026, 12, 1, 10, 30, tzinfo=UTC)
        )
        == []
    )


def test_at_risk_after_three_unfinished_modules_in_a_row(session: Session) -> None:
    cat = factories.catalog(weeks=4, modules=8)
    prog = factories.program(session, cat)
    p = factories.person(session, prog, "U1", tz="Europe/Berlin", country="DE")
    service.plan_deliveries(
        session, program=prog, catalog=cat, now=dt.datetime(2026, 11, 2, tzinfo=UTC)
    )
    modules = session.scalars(
        select(Delivery).where(Delivery.kind == DeliveryKind.module).order_by(Delivery.sequence)
    ).all()
    statuses = [DeliveryStatus.completed, DeliveryStatus.sent, DeliveryStatus.sent]
    for d, status in zip(modules, statuses, strict=False):
        d.status = status
    session.flush()
    assert service.at_risk_people(session) == set()
    modules[3].status = DeliveryStatus.sent
    session.flush()
    assert service.at_risk_people(session) == {p.id}


def test_after_the_last_day_unsent_modules_and_baseline_are_skipped_and_the_closing_is_next(
    session: Session,
) -> None:
    cat = factories.catalog()  # two weeks from Tue 1 Dec: last day Mon 14 Dec
    prog = factories.program(session, cat)
    p = factories.person(session, prog, "U1", tz="Europe/Berlin", country="DE")
    p.paused_until = dt.datetime(2026, 12, 20, tzinfo=UTC)  # paused through the end
    service.plan_deliveries(
        session, program=prog, catalog=cat, now=dt.datetime(2026, 11, 2, tzinfo=UTC)
    )
    now = dt.datetime(2026, 12, 21, 10, 30, tzinfo=UTC)
    assert service.skip_after_end(session, now=now) == 5  # four modules and the baseline
    assert [d.kind for d in service.due_deliveries(session, catalog=cat, now=now)] == [
        DeliveryKind.closing
    ]


def test_a_personal_window_overrides_the_programs(session: Session) -> None:
    cat = factories.catalog()
    prog = factories.program(session, cat)
    early = factories.person(session, prog, "U1", tz="Europe/Berlin", country="DE")
    early.window_start, early.window_end = dt.time(7, 0), dt.time(8, 0)
    service.plan_deliveries(
        session, program=prog, catalog=cat, now=dt.datetime(2026, 11, 2, tzinfo=UTC)
    )
    sent = run_hourly(session, cat, dt.datetime(2026, 12, 1, tzinfo=UTC), days=3)
    assert sent and all(now.astimezone(ZoneInfo("Europe/Berlin")).hour == 7 for now, _ in sent)


def test_a_delivery_nobody_could_answer_any_more_is_never_sent(session: Session) -> None:
    """After downtime past the answer window (ANSWERABLE_FOR after the program's end), a closing
    check-in still due was sent, and every click on it was refused; now it expires unsent."""
    cat = factories.catalog(weeks=4, modules=4)
    prog = factories.program(session, cat, start=dt.date(2026, 11, 2))
    factories.person(session, prog, "U1", tz="Europe/Berlin", country="DE")
    service.plan_deliveries(
        session, program=prog, catalog=cat, now=dt.datetime(2026, 11, 2, tzinfo=UTC)
    )
    assert prog.end_date is not None
    end = dt.datetime.combine(prog.end_date, dt.time(23, 59), tzinfo=UTC)
    late = end + service.ANSWERABLE_FOR + dt.timedelta(days=1)
    late = late.replace(hour=10) + dt.timedelta(days=(7 - late.weekday()) % 7)  # a Monday, 10:00

    service.skip_after_end(session, now=late)  # as the tick does: the closing check-in is next
    assert service.due_deliveries(session, catalog=cat, now=late) == []
    closing = session.scalars(select(Delivery).where(Delivery.kind == DeliveryKind.closing)).one()
    assert closing.status == DeliveryStatus.expired and closing.sent_at is None
