"""A small program with every kind of record the governance commands touch."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import (
    Answer,
    Circle,
    CircleMember,
    CircleStatus,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Kpi,
    KpiObservation,
    MentorNote,
    ObservationSource,
    OutboxMessage,
    OutboxStatus,
    Person,
    Program,
    Purpose,
    Role,
)
from tests import factories

UTC = dt.UTC


def at(day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=UTC)


@dataclass
class Scenario:
    program: Program
    ada: Person  # executive, Sales: answers, a reflection, KPIs, messages
    bob: Person  # executive, Ops: the bystander whose data must stay as it was
    mia: Person  # mentor: observes both, writes a note


def build(session: Session) -> Scenario:
    """Ada and Bob (executives) and Mia (their mentor) in program 'Mini', with a bit of
    everything."""
    prog = factories.program(session, factories.catalog())
    ada = factories.person(
        session, prog, "UADA0001", tz="Europe/Berlin", country="DE", name="Ada Lovelace"
    )
    bob = factories.person(
        session, prog, "UBOB0002", tz="Europe/London", country="GB", name="Bob Byrne"
    )
    mia = factories.person(
        session,
        prog,
        "UMIA0003",
        tz="Europe/Paris",
        country="FR",
        role=Role.mentor,
        name="Mia Moreau",
    )
    ada.email, ada.department, ada.window_start = "ada@example.com", "Sales", dt.time(8, 30)
    bob.email, bob.department = "bob@example.com", "Ops"
    mia.department = "Engineering"

    baseline = Delivery(
        program_id=prog.id,
        person_id=ada.id,
        kind=DeliveryKind.baseline,
        module_id="baseline",
        sequence=0,
        status=DeliveryStatus.completed,
        due_at=at(1),
        sent_at=at(1, 9, 5),
        completed_at=at(1, 9, 20),
        channel_id="DADA",
        message_ts="1.1",
    )
    ada_m1 = Delivery(
        program_id=prog.id,
        person_id=ada.id,
        module_id="m1",
        sequence=1,
        status=DeliveryStatus.completed,
        due_at=at(2),
        sent_at=at(2, 9, 1),
        reminded_at=at(3),
        completed_at=at(3, 10),
        channel_id="DADA",
        message_ts="1.2",
    )
    bob_m1 = Delivery(
        program_id=prog.id,
        person_id=bob.id,
        module_id="m1",
        sequence=1,
        status=DeliveryStatus.sent,
        due_at=at(2),
        sent_at=at(2, 9, 2),
        channel_id="DBOB",
        message_ts="2.1",
    )
    session.add_all([baseline, ada_m1, bob_m1])
    session.flush()
    session.add_all(
        [
            Answer(
                delivery_id=baseline.id,
                question_id="self-digital",
                value="3",
                correct=None,
                answered_at=at(1, 9, 10),
            ),
            Answer(
                delivery_id=ada_m1.id,
                question_id="m1-q1",
                value="b",
                correct=True,
                answered_at=at(3, 9, 50),
            ),
            Answer(
                delivery_id=ada_m1.id,
                question_id="m1-q2",
                value="a",
                correct=False,
                answered_at=at(3, 9, 51),
            ),
            Answer(
                delivery_id=ada_m1.id,
                question_id="reflection",
                value="Ada's private thoughts",
                answered_at=at(3, 9, 55),
            ),
            Answer(
                delivery_id=bob_m1.id,
                question_id="m1-q1",
                value="c",
                correct=False,
                answered_at=at(2, 11),
            ),
            Answer(
                delivery_id=bob_m1.id,
                question_id="reflection",
                value="Bob's private thoughts",
                answered_at=at(2, 11, 5),
            ),
        ]
    )

    kpis = {k.key: k for k in session.scalars(select(Kpi).where(Kpi.program_id == prog.id))}
    session.add_all(
        [
            KpiObservation(
                kpi_id=kpis["asked-first"].id,
                person_id=ada.id,
                source=ObservationSource.self_report,
                period_start=dt.date(2026, 12, 7),
                value=2,
                recorded_at=at(8, 17),
            ),
            KpiObservation(
                kpi_id=kpis["confidence"].id,
                person_id=ada.id,
                source=ObservationSource.mentor,
                observer_id=mia.id,
                period_start=dt.date(2026, 12, 1),
                value=4,
                recorded_at=at(20, 12),
            ),
            KpiObservation(
                kpi_id=kpis["asked-first"].id,
                person_id=bob.id,
                source=ObservationSource.self_report,
                period_start=dt.date(2026, 12, 7),
                value=3,
                recorded_at=at(8, 18),
            ),
            KpiObservation(
                kpi_id=kpis["confidence"].id,
                person_id=bob.id,
                source=ObservationSource.mentor,
                observer_id=mia.id,
                period_start=dt.date(2026, 12, 1),
                value=5,
                recorded_at=at(20, 12, 5),
            ),
        ]
    )

    circle = Circle(
        program_id=prog.id,
        period_start=dt.date(2026, 12, 1),
        period_end=dt.date(2026, 12, 31),
        number=1,
        channel_name="upward-mini-dec-1",
        status=CircleStatus.active,
        meeting_at=at(10, 15),
    )
    session.add(circle)
    session.flush()
    session.add_all(
        [
            CircleMember(
                circle_id=circle.id,
                person_id=mia.id,
                role=Role.mentor,
                attended=True,
                met_response="yes",
                pulse=5,
            ),
            CircleMember(
                circle_id=circle.id,
                person_id=ada.id,
                role=Role.executive,
                attended=True,
                met_response="yes",
                pulse=4,
            ),
            CircleMember(
                circle_id=circle.id,
                person_id=bob.id,
                role=Role.executive,
                attended=None,
                met_response=None,
                pulse=None,
            ),
            MentorNote(
                circle_id=circle.id, author_id=mia.id, text="Ada dominated the talk; Bob was quiet."
            ),
        ]
    )

    session.add_all(
        [
            OutboxMessage(
                idempotency_key="module:ada:2",
                purpose=Purpose.module,
                method="chat.postMessage",
                payload={"text": "Module 2, Ada"},
                person_id=ada.id,
                program_id=prog.id,
            ),
            OutboxMessage(
                idempotency_key="remind:ada:1",
                purpose=Purpose.reminder,
                method="chat.postMessage",
                payload={"text": "Reminder, Ada"},
                status=OutboxStatus.sending,
                person_id=ada.id,
                program_id=prog.id,
            ),
            OutboxMessage(
                idempotency_key="module:ada:1",
                purpose=Purpose.module,
                method="chat.postMessage",
                payload={"text": "Hi Ada"},
                status=OutboxStatus.sent,
                person_id=ada.id,
                program_id=prog.id,
                channel_id="DADA",
                sent_at=at(2, 9, 1),
            ),
            OutboxMessage(
                idempotency_key="module:bob:2",
                purpose=Purpose.module,
                method="chat.postMessage",
                payload={"text": "Module 2, Bob"},
                person_id=bob.id,
                program_id=prog.id,
            ),
        ]
    )
    session.flush()
    return Scenario(program=prog, ada=ada, bob=bob, mia=mia)
