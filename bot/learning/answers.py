"""What a click on a module message means: answers, attempts, completion, pause, snooze, opt-out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.content.loader import Catalog
from bot.core.values import number, row_id
from bot.errors import InvalidInput, Refusal
from bot.learning.blocks import QuestionState
from bot.learning.service import answer_window_closed
from bot.models import (
    Answer,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Person,
    PersonStatus,
    Program,
    ProgramStatus,
)

REFLECTION_ID = "reflection"
REFLECTION_MAX = 2000
SNOOZE = dt.timedelta(days=7)
MAX_ATTEMPT = 1000  # far more retries than anyone clicks; keeps the number a small integer
MAX_PAUSE = dt.timedelta(days=365)


@dataclass(frozen=True)
class ButtonValue:
    delivery_id: int
    question_id: str
    option_id: str
    attempt: int


def parse_value(raw: str | None) -> ButtonValue:
    """Parse `delivery|question|option|attempt`; InvalidInput when it is not one of ours."""
    parts = (raw or "").split("|")
    delivery_id = row_id(parts[0]) if len(parts) == 4 else None
    attempt = number(parts[3] or "0", low=0, high=MAX_ATTEMPT) if len(parts) == 4 else None
    if delivery_id is None or attempt is None:
        raise InvalidInput(
            "Sorry, that button is not one Upward understands. Nothing was recorded."
        )
    return ButtonValue(delivery_id, parts[1][:64], parts[2][:64], attempt)


@dataclass(frozen=True)
class MessageState:
    """What a module message should show now."""

    delivery: Delivery
    answers: dict[str, QuestionState]
    completed: bool
    reflected: bool
    position: int
    total: int


def owned_delivery(
    session: Session, *, delivery_id: int, slack_user_id: str, now: dt.datetime
) -> tuple[Delivery, Person]:
    """The delivery if it is the clicker's own and still open; Refusal otherwise (records
    nothing).

    The delivery stays locked until the click's transaction ends: two clicks on one message (two
    questions answered at once, a double click) take turns, so the second one's redrawn message
    shows the first one's answer too.
    """
    row = session.execute(
        select(Delivery, Person, Program)
        .join(Person, Person.id == Delivery.person_id)
        .join(Program, Program.id == Delivery.program_id)
        .where(Delivery.id == delivery_id)
        .with_for_update(of=Delivery)
    ).one_or_none()
    if row is None or row.Person.slack_user_id != slack_user_id:
        raise Refusal("This module was sent to someone else, so your click was not recorded.")
    delivery, person, program = row
    if delivery.status in (DeliveryStatus.pending, DeliveryStatus.skipped, DeliveryStatus.failed):
        raise Refusal("This module has not been sent to you, so there is nothing to answer yet.")
    if delivery.status == DeliveryStatus.expired or _closed(program, delivery, now):
        raise Refusal(
            "This module has closed, so answers are no longer recorded. Your next module will"
            " arrive soon."
        )
    if person.status == PersonStatus.opted_out:
        raise Refusal(
            "You have stopped Upward's messages. Resume from Upward's Home tab to answer again."
        )
    return delivery, person


def _closed(program: Program, delivery: Delivery, now: dt.datetime) -> bool:
    return program.status == ProgramStatus.finished or answer_window_closed(program, delivery, now)


def record_answer(
    session: Session, *, value: ButtonValue, slack_user_id: str, catalog: Catalog, now: dt.datetime
) -> bool:
    """Record one click on an option (or a 1–5 rating); False when it repeats a recorded attempt."""
    delivery, _ = owned_delivery(
        session, delivery_id=value.delivery_id, slack_user_id=slack_user_id, now=now
    )
    correct = _check_option(session, delivery, value, catalog)
    attempts = (
        session.scalar(
            select(func.count())
            .select_from(Answer)
            .where(Answer.delivery_id == delivery.id, Answer.question_id == value.question_id)
        )
        or 0
    )
    if value.attempt <= attempts or value.attempt > attempts + 1:
        return False  # a double click, a retried request, or a stale message: already counted
    try:
        with session.begin_nested():
            session.add(
                Answer(
                    delivery_id=delivery.id,
                    question_id=value.question_id,
                    attempt=value.attempt,
                    value=value.option_id,
                    correct=correct,
                    answered_at=now,
                )
            )
    except IntegrityError:
        return False  # the same attempt arrived twice at once; the first one counts
    _complete_if_all_answered(session, delivery, catalog, now)
    return True


def _check_option(
    session: Session, delivery: Delivery, value: ButtonValue, catalog: Catalog
) -> bool | None:
    if delivery.kind == DeliveryKind.module:
        module = catalog.modules.get(delivery.module_id)
        question = (
            next((q for q in module.questions if q.id == value.question_id), None)
            if module
            else None
        )
        if question is None or value.option_id not in {o.id for o in question.options}:
            raise Refusal(
                "That answer does not belong to this module any more. Nothing was recorded."
            )
        return value.option_id == question.correct
    program = session.get(Program, delivery.program_id)
    template = catalog.programs.get(program.template) if program else None
    question = (
        next((q for q in template.assessment if q.id == value.question_id), None)
        if template
        else None
    )
    if (
        question is None
        or not value.option_id.isdigit()
        or not question.scale.min <= int(value.option_id) <= question.scale.max
    ):
        raise Refusal(
            "That rating does not belong to this check-in any more. Nothing was recorded."
        )
    return None


def _question_ids(session: Session, delivery: Delivery, catalog: Catalog) -> list[str]:
    if delivery.kind == DeliveryKind.module:
        module = catalog.modules.get(delivery.module_id)
        return [q.id for q in module.questions] if module else []
    program = session.get(Program, delivery.program_id)
    template = catalog.programs.get(program.template) if program else None
    return [q.id for q in template.assessment] if template else []


def _complete_if_all_answered(
    session: Session, delivery: Delivery, catalog: Catalog, now: dt.datetime
) -> None:
    answered = set(
        session.scalars(
            select(Answer.question_id).where(Answer.delivery_id == delivery.id).distinct()
        )
    )
    needed = set(_question_ids(session, delivery, catalog))
    if needed and needed <= answered and delivery.status != DeliveryStatus.completed:
        delivery.status = DeliveryStatus.completed
        delivery.completed_at = now


def mark_done(session: Session, *, delivery_id: int, slack_user_id: str, now: dt.datetime) -> bool:
    """The executive says they finished the module; False when it already was."""
    delivery, _ = owned_delivery(
        session, delivery_id=delivery_id, slack_user_id=slack_user_id, now=now
    )
    if delivery.status == DeliveryStatus.completed:
        return False
    delivery.status = DeliveryStatus.completed
    delivery.completed_at = now
    return True


def save_reflection(
    session: Session, *, delivery_id: int, slack_user_id: str, text: str, now: dt.datetime
) -> None:
    """Store a reflection (each edit is a new attempt; the newest is the current one)."""
    delivery, _ = owned_delivery(
        session, delivery_id=delivery_id, slack_user_id=slack_user_id, now=now
    )
    text = text.strip()
    if not text:
        raise Refusal("Your reflection was empty, so nothing was saved.")
    if len(text) > REFLECTION_MAX:
        raise Refusal(
            f"Reflections can be up to {REFLECTION_MAX:,} characters; yours is {len(text):,}, so it"
            " was not saved. Shorten it and save it again."
        )
    attempts = (
        session.scalar(
            select(func.count())
            .select_from(Answer)
            .where(Answer.delivery_id == delivery.id, Answer.question_id == REFLECTION_ID)
        )
        or 0
    )
    session.add(
        Answer(
            delivery_id=delivery.id,
            question_id=REFLECTION_ID,
            attempt=attempts + 1,
            value=text,
            correct=None,
            answered_at=now,
        )
    )


def current_reflection(session: Session, delivery_id: int) -> str | None:
    return session.scalar(
        select(Answer.value)
        .where(Answer.delivery_id == delivery_id, Answer.question_id == REFLECTION_ID)
        .order_by(Answer.attempt.desc())
        .limit(1)
    )


def message_state(session: Session, delivery: Delivery) -> MessageState:
    """Answers so far (first and latest attempt per question) and the module's position."""
    states: dict[str, QuestionState] = {}
    reflected = False
    for question_id, attempt, value in session.execute(
        select(Answer.question_id, Answer.attempt, Answer.value)
        .where(Answer.delivery_id == delivery.id)
        .order_by(Answer.question_id, Answer.attempt)
    ):
        if question_id == REFLECTION_ID:
            reflected = True
            continue
        prior = states.get(question_id)
        states[question_id] = QuestionState(
            first_option=prior.first_option if prior else value, last_option=value, attempts=attempt
        )
    position, total = session.execute(
        select(
            func.count().filter(Delivery.sequence <= delivery.sequence),
            func.count(),
        ).where(
            Delivery.program_id == delivery.program_id,
            Delivery.person_id == delivery.person_id,
            Delivery.kind == DeliveryKind.module,
        )
    ).one()
    return MessageState(
        delivery=delivery,
        answers=states,
        completed=delivery.status == DeliveryStatus.completed,
        reflected=reflected,
        position=position,
        total=total,
    )


def known_person(session: Session, slack_user_id: str) -> Person | None:
    """The person with this Slack id, unless Upward never knew them or forgot them."""
    person = session.scalars(
        select(Person).where(Person.slack_user_id == slack_user_id)
    ).one_or_none()
    return person if person is not None and person.forgotten_at is None else None


def find_person(session: Session, slack_user_id: str) -> Person:
    """The clicker; Refusal for someone Upward does not know."""
    person = known_person(session, slack_user_id)
    if person is None:
        raise Refusal(
            "Upward does not know you yet: ask your program lead to add you to a program."
        )
    return person


def snooze(session: Session, *, slack_user_id: str, now: dt.datetime) -> dt.datetime:
    """No messages for a week from now; returns when they resume."""
    person = find_person(session, slack_user_id)
    person.paused_until = now + SNOOZE
    if person.status == PersonStatus.opted_out:
        person.status = PersonStatus.active
    person.updated_at = now
    return person.paused_until


def pause_until(
    session: Session, *, slack_user_id: str, until: dt.date, now: dt.datetime
) -> dt.datetime:
    """No messages until the start of `until` in the person's zone; Refusal for past or far
    dates."""
    from bot.core.calendar import at_local

    person = find_person(session, slack_user_id)
    resume = at_local(until, dt.time(0, 0), person.timezone or "UTC")
    if resume <= now:
        raise Refusal("Please pick a date in the future to pause until.")
    if resume - now > MAX_PAUSE:
        raise Refusal(
            "You can pause for up to a year. To stop altogether, use *Stop these messages*."
        )
    person.paused_until = resume
    person.status = (
        PersonStatus.active if person.status == PersonStatus.opted_out else person.status
    )
    person.updated_at = now
    return resume


def opt_out(session: Session, *, slack_user_id: str, now: dt.datetime) -> bool:
    """Stop every message at once; False when the person had already opted out."""
    person = find_person(session, slack_user_id)
    if person.status == PersonStatus.opted_out:
        return False
    person.status = PersonStatus.opted_out
    person.updated_at = now
    return True


def resume(session: Session, *, slack_user_id: str, now: dt.datetime) -> bool:
    """Undo an opt-out, pause or snooze; False when there was nothing to undo."""
    person = find_person(session, slack_user_id)
    changed = person.status != PersonStatus.active or person.paused_until is not None
    person.status = PersonStatus.active
    person.paused_until = None
    person.updated_at = now
    return changed
