"""What `upward program show` reads: a program's settings with its roster counts."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from bot.content.loader import load_catalog
from bot.errors import UpwardError
from bot.models import Role
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
