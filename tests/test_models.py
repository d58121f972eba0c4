"""Model behaviour that the database itself enforces: UTC, uniqueness, cascades, isolation."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from bot.models import (
    Answer,
    Delivery,
    Membership,
    OutboxMessage,
    Person,
    PersonStatus,
    Program,
    Purpose,
    Role,
)


def _program(session: Session, name: str = "Pilot 2026") -> Program:
    program = Program(
        name=name, template="pilot", start_date=dt.date(2026, 12, 1), timezone="Europe/Berlin"
    )
    session.add(program)
    session.flush()
    return program


def _person(session: Session, user_id: str = "U001", tz: str = "America/Los_Angeles") -> Person:
    person = Person(slack_user_id=user_id, display_name="Dana", timezone=tz, country="US")
    session.add(person)
    session.flush()
    return person


def test_timestamps_are_stored_as_utc_and_read_back_aware(session: Session) -> None:
    berlin = dt.datetime(2026, 12, 1, 9, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    person = _person(session)
    person.paused_until = berlin
    session.flush()
    session.expire_all()
    loaded = session.scalars(select(Person)).one()
    assert loaded.paused_until == berlin
    assert loaded.paused_until.tzinfo == dt.UTC
    assert loaded.paused_until.hour == 8


def test_naive_timestamps_are_refused(session: Session) -> None:
    person = _person(session)
    person.paused_until = dt.datetime(2026, 12, 1, 9, 30)
    with pytest.raises(Exception, match="naive datetime"):
        session.flush()


def test_a_slack_user_is_one_person(session: Session) -> None:
    _person(session, "U042")
    session.add(Person(slack_user_id="U042", display_name="Twin"))
    with pytest.raises(IntegrityError):
        session.flush()


def test_outbox_idempotency_key_is_unique(session: Session) -> None:
    session.add(
        OutboxMessage(
            idempotency_key="module:1",
            purpose=Purpose.module,
            method="chat.postMessage",
            payload={"text": "hi"},
        )
    )
    session.flush()
    session.add(
        OutboxMessage(
            idempotency_key="module:1",
            purpose=Purpose.module,
            method="chat.postMessage",
            payload={"text": "hi"},
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()


def test_one_scored_attempt_per_question(session: Session) -> None:
    program, person = _program(session), _person(session)
    delivery = Delivery(
        program_id=program.id, person_id=person.id, module_id="psychological-safety", sequence=1
    )
    session.add(delivery)
    session.flush()
    session.add(
        Answer(delivery_id=delivery.id, question_id="q1", attempt=1, value="a", correct=True)
    )
    session.flush()
    session.add(
        Answer(delivery_id=delivery.id, question_id="q1", attempt=1, value="b", correct=False)
    )
    with pytest.raises(IntegrityError):
        session.flush()


def test_deleting_a_program_removes_its_roster_and_deliveries(session: Session) -> None:
    program, person = _program(session), _person(session)
    session.add(Membership(program_id=program.id, person_id=person.id, role=Role.executive))
    session.add(Delivery(program_id=program.id, person_id=person.id, module_id="m", sequence=1))
    session.flush()
    session.delete(program)
    session.flush()
    session.expire_all()
    assert session.scalars(select(Membership)).all() == []
    assert session.scalars(select(Delivery)).all() == []
    assert session.scalars(select(Person)).one().status == PersonStatus.active


def test_enum_columns_refuse_unknown_values(session: Session) -> None:
    person = _person(session)
    with pytest.raises(StatementError, match="not among the defined enum values"):
        person.status = "asleep"  # type: ignore[assignment]
        session.flush()


@pytest.mark.parametrize("attempt", [1, 2])
def test_each_test_starts_from_an_empty_database(session: Session, attempt: int) -> None:
    # Both runs insert the same unique row; the second would fail if the first leaked.
    assert session.scalars(select(Program)).all() == []
    _program(session, name="Isolation")
    session.commit()
    assert session.scalars(select(Program.name)).all() == ["Isolation"]
