"""What `upward program show` reads: a program's settings with its roster counts."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from bot.content.loader import load_catalog
from bot.errors import UpwardError
from bot.models import Program, Role
from bot.programs import service
from tests import factories


def test_show_program_adds_the_roster_counts_to_the_settings(session: Session) -> None:
    prog = factories.program(session, factories.catalog())
    for uid, role in (("U_E1", Role.executive), ("U_E2", Role.executive), ("U_M", Role.mentor)):
        factories.person(session, prog, uid, tz="Europe/Berlin", country="DE", role=role)

    info, refused = service.show_program(session, "mini")  # names match case-insensitively

    assert info["name"] == "Mini"
    assert info["roster"] == "2 executives, 1 mentor, 0 leads"
    assert refused == []


def test_show_program_of_an_unknown_name_is_an_error_told_as_it_is(session: Session) -> None:
    with pytest.raises(UpwardError):
        service.show_program(session, "Nope")


def test_an_unknown_template_lists_the_templates_shortest_first(session: Session) -> None:
    catalog = load_catalog()
    with pytest.raises(service.ProgramError) as refused:
        service.create_program(
            session,
            catalog=catalog,
            name="X",
            template_id="semester",
            start=dt.date(2026, 12, 1),
            timezone="UTC",
            now=dt.datetime(2026, 11, 30, tzinfo=dt.UTC),
        )
    assert str(refused.value) == (
        "no program template 'semester': choose one of pilot, quarter, enterprise"
    )


def _created(session: Session, start: dt.date, *, weeks: int | None = 2) -> Program:
    return factories.program(session, factories.catalog(weeks=weeks), start=start)


def test_check_start_refuses_a_weekend_start_and_names_the_next_monday(session: Session) -> None:
    saturday = dt.date(2026, 12, 5)
    with pytest.raises(service.ProgramError) as refused:
        service.check_start(
            _created(session, saturday), factories.catalog(), today=dt.date(2026, 12, 1)
        )
    assert str(refused.value) == (
        "2026-12-05 is a Saturday, so executives would get the program's first message at the"
        " weekend: start on a working day, such as Monday 2026-12-07"
    )


@pytest.mark.parametrize(("weeks", "over"), [(2, "ended on 2020-01-19"), (None, "sent its last")])
def test_check_start_refuses_a_program_over_before_today(
    session: Session, weeks: int | None, over: str
) -> None:
    catalog = factories.catalog(weeks=weeks)
    program = factories.program(session, catalog, start=dt.date(2020, 1, 6))
    with pytest.raises(service.ProgramError) as refused:
        service.check_start(program, catalog, today=dt.date(2026, 12, 7))
    message = str(refused.value)
    assert message.startswith(f"starting on 2020-01-06, this mini program would have {over}")
    assert message.endswith(
        "before today (2026-12-07), so Upward would send it nothing: give a --start from today on"
    )


def test_check_start_notes_a_start_in_the_past_and_passes_a_future_one(session: Session) -> None:
    catalog = factories.catalog()
    program = factories.program(session, catalog, start=dt.date(2026, 12, 1))

    assert service.check_start(program, catalog, today=dt.date(2026, 12, 2)) == (
        "'Mini' started 1 day ago, on 2026-12-01: executives catch up at one module a day"
    )
    assert service.check_start(program, catalog, today=dt.date(2026, 12, 1)) is None
    assert service.check_start(program, catalog, today=dt.date(2026, 11, 20)) is None


def test_an_abbreviated_time_zone_is_refused(session: Session) -> None:
    with pytest.raises(service.ProgramError, match="'EST' is not an Area/City name"):
        factories.program(session, factories.catalog(), tz="EST")
