"""A program with N enrolled executives, loaded in bulk and planned by Upward's own planner.

Used by the fan-out, idle-tick and worker-memory benchmarks. The program runs the `pilot` template
(modules on Tuesdays and Thursdays, 09:00-17:00, first sends spread over the first hour) in UTC from
Monday START, so:

- FAN_OUT_AT (Tuesday 10:00): every executive's first module is due: N module DMs in one tick;
- IDLE_AT (Wednesday 14:00), once the modules went out: nothing is due (no module on Wednesdays,
  reminders come two working days after a module, check-ins on Fridays, circles in week 2).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from bench.common import UTC, Loader, analyze, outbox_columns
from bot.content.loader import Catalog
from bot.learning.service import plan_deliveries
from bot.migrate import upgrade
from bot.models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Membership,
    OutboxMessage,
    OutboxStatus,
    Person,
    Program,
)
from bot.programs.service import create_program
from bot.slack import records

START = dt.date(2027, 3, 1)  # a Monday with no public holiday in Germany
TEMPLATE = "pilot"
FAN_OUT_AT = dt.datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
IDLE_AT = dt.datetime(2027, 3, 3, 14, 0, tzinfo=UTC)
CREATED = dt.datetime(2027, 2, 22, 9, 0, tzinfo=UTC)


def slack_user_id(n: int) -> str:
    """The Slack id of the n-th generated executive (the fan-out adds the same ids to the
    stand-in)."""
    return f"UBENCH{n:06d}"


def enroll(engine: Engine, catalog: Catalog, people: int) -> int:
    """Migrate, create the program, load `people` executives and plan their deliveries; the program
    id."""
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        program = create_program(
            session,
            catalog=catalog,
            name=f"Bench {people}",
            template_id=TEMPLATE,
            start=START,
            timezone="UTC",
            now=CREATED,
        )
    loader = Loader(engine)
    try:
        loader.load(
            Person,
            [
                dict(
                    id=n,
                    slack_user_id=slack_user_id(n),
                    email=f"exec{n}@example.com",
                    display_name=f"Executive {n}",
                    timezone=None,
                    country="DE",
                    department=f"dept-{n % 40:02d}",
                    status="active",
                    created_at=CREATED,
                    updated_at=CREATED,
                )
                for n in range(1, people + 1)
            ],
        )
        loader.load(
            Membership,
            [
                dict(
                    program_id=program.id,
                    person_id=n,
                    role="executive",
                    joined_at=CREATED,
                    left_at=None,
                )
                for n in range(1, people + 1)
            ],
        )
    finally:
        loader.close()
    if (
        engine.dialect.name == "postgresql"
    ):  # ids were given explicitly: move the sequence past them
        with engine.begin() as conn:
            conn.exec_driver_sql("SELECT setval('people_id_seq', (SELECT max(id) FROM people))")
    with Session(engine, expire_on_commit=False) as session, session.begin():
        program = session.get(Program, program.id)
        assert program is not None
        plan_deliveries(session, program=program, catalog=catalog, now=CREATED)
    with engine.begin() as conn:  # everyone did the baseline self-assessment on Monday
        conn.execute(
            update(Delivery)
            .where(Delivery.program_id == program.id, Delivery.kind == DeliveryKind.baseline)
            .values(
                status=DeliveryStatus.completed,
                sent_at=CREATED + dt.timedelta(days=7),
                completed_at=CREATED + dt.timedelta(days=7, hours=2),
                channel_id="DBENCH",
                message_ts="1.0",
            )
        )
    analyze(engine)
    return program.id


def first_modules_sent(engine: Engine, program_id: int) -> None:
    """The state after the FAN_OUT_AT tick, without sending: module 1 out and its outbox rows
    sent."""
    sent_at = FAN_OUT_AT - dt.timedelta(minutes=1)
    with Session(engine) as session, session.begin():
        deliveries = session.execute(
            select(Delivery.id, Delivery.person_id, Person.slack_user_id)
            .join(Person, Person.id == Delivery.person_id)
            .where(
                Delivery.program_id == program_id,
                Delivery.kind == DeliveryKind.module,
                Delivery.sequence == 1,
            )
        ).all()
        session.execute(
            update(Delivery)
            .where(
                Delivery.program_id == program_id,
                Delivery.kind == DeliveryKind.module,
                Delivery.sequence == 1,
            )
            .values(
                status=DeliveryStatus.sent, sent_at=sent_at, channel_id="DBENCH", message_ts="2.0"
            )
        )
    loader = Loader(engine)
    try:
        loader.load(
            OutboxMessage,
            [
                dict(
                    **outbox_columns(records.module(delivery_id)),
                    method="chat.postMessage",
                    payload={"channel": uid},
                    status=OutboxStatus.sent.value,
                    attempts=1,
                    next_attempt_at=sent_at,
                    claimed_by=None,
                    claimed_until=None,
                    error=None,
                    channel_id="DBENCH",
                    slack_ts="2.0",
                    program_id=program_id,
                    person_id=person_id,
                    created_at=sent_at,
                    sent_at=sent_at,
                )
                for delivery_id, person_id, uid in deliveries
            ],
        )
    finally:
        loader.close()
    analyze(engine)
