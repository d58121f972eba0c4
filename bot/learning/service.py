"""Microlearning rules: plan each executive's modules, and decide what is due at an instant.

Plain functions over a Session; no Slack objects and no commits (the caller's boundary commits).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from bot.content.loader import Catalog
from bot.content.schema import ProgramTemplate
from bot.core.calendar import (
    Window,
    add_working_days,
    at_local,
    local_day,
    may_deliver,
    planned_days,
)
from bot.models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Membership,
    Person,
    PersonStatus,
    Program,
    ProgramStatus,
    Role,
)
from bot.programs.reach import quiet, reachable
from bot.programs.service import local_rules, person_window, program_settings

BASELINE_ID = "baseline"
CLOSING_ID = "closing"
REMINDER_AFTER_WORKING_DAYS = 2
AT_RISK_STREAK = 3
# A module can be answered until this long after its program ends (or after it was sent, if
# ongoing).
ANSWERABLE_FOR = dt.timedelta(days=60)
# Spread first sends over the first hour of each window so a large program does not hit Slack at
# once.
SPREAD_MINUTES = 60


@dataclass(frozen=True)
class DueDelivery:
    """A delivery that may be sent now, with what the message needs."""

    delivery_id: int
    program_id: int
    person_id: int
    slack_user_id: str
    kind: DeliveryKind
    module_id: str
    sequence: int
    total_modules: int


@dataclass(frozen=True)
class DueReminder:
    delivery_id: int
    person_id: int
    program_id: int
    channel_id: str
    message_ts: str
    module_id: str


def template_of(catalog: Catalog, program: Program) -> ProgramTemplate:
    template = catalog.programs.get(program.template)
    if template is None:
        raise LookupError(
            f"program '{program.name}' uses template '{program.template}', which is not in the"
            " catalog"
        )
    return template


def _spread(person_id: int) -> dt.timedelta:
    digest = hashlib.sha256(str(person_id).encode()).digest()
    return dt.timedelta(minutes=digest[0] % SPREAD_MINUTES)


def plan_deliveries(
    session: Session, *, program: Program, catalog: Catalog, now: dt.datetime
) -> int:
    """Create missing delivery rows (baseline, modules, closing) for every executive; returns how
    many."""
    template = template_of(catalog, program)
    settings = program_settings(program)
    weekdays = [w.index for w in template.cadence.weekdays]
    per_week = template.cadence.modules_per_week
    module_ids = list(template.modules)
    if template.weeks:
        module_ids = module_ids[: template.weeks * per_week]
    days = planned_days(program.start_date, weekdays, per_week, len(module_ids))

    executives = session.scalars(
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Membership.program_id == program.id,
            Membership.role == Role.executive,
            Membership.left_at.is_(None),
        )
    ).all()
    existing: dict[int, set[str]] = defaultdict(set)
    for person_id, module_id in session.execute(
        select(Delivery.person_id, Delivery.module_id).where(Delivery.program_id == program.id)
    ):
        existing[person_id].add(module_id)

    created = 0
    for person in executives:
        tz = person.timezone or program.timezone
        start_at = person_window(
            person, Window(settings.delivery_window.start, settings.delivery_window.end)
        ).start
        plan: list[tuple[DeliveryKind, str, int, dt.date]] = []
        if template.assessment:
            plan.append((DeliveryKind.baseline, BASELINE_ID, 0, program.start_date))
        plan.extend(
            (DeliveryKind.module, m, i + 1, d)
            for i, (m, d) in enumerate(zip(module_ids, days, strict=False))
        )
        if template.assessment and program.end_date:
            plan.append((DeliveryKind.closing, CLOSING_ID, len(module_ids) + 1, program.end_date))
        for kind, module_id, sequence, day in plan:
            if module_id in existing[person.id]:
                continue
            session.add(
                Delivery(
                    program_id=program.id,
                    person_id=person.id,
                    kind=kind,
                    module_id=module_id,
                    sequence=sequence,
                    status=DeliveryStatus.pending,
                    due_at=at_local(day, start_at, tz) + _spread(person.id),
                    created_at=now,
                )
            )
            created += 1
    session.flush()
    return created


def due_deliveries(session: Session, *, catalog: Catalog, now: dt.datetime) -> list[DueDelivery]:
    """For each deliverable executive, the one next delivery that may go out now.

    At most one per person (the lowest pending sequence already due): after downtime this sends the
    one module now due, not the backlog. Window, weekend, holiday, pause and once-a-day rules apply.
    """
    # The earliest pending due time is the first entry of the (status, due_at) index: a tick when
    # nothing is due stops here, reading nothing of the planned deliveries however many there are.
    earliest = session.scalar(
        select(func.min(Delivery.due_at)).where(Delivery.status == DeliveryStatus.pending)
    )
    if earliest is None or earliest > now:
        return []
    due_now = (Delivery.status == DeliveryStatus.pending) & (Delivery.due_at <= now)
    first_pending = (
        select(
            Delivery.person_id, Delivery.program_id, func.min(Delivery.sequence).label("sequence")
        )
        .where(Delivery.status == DeliveryStatus.pending)
        .group_by(Delivery.person_id, Delivery.program_id)
        .subquery()
    )
    rows = session.execute(
        select(Delivery, Person, Program)
        .join(
            first_pending,
            and_(
                first_pending.c.person_id == Delivery.person_id,
                first_pending.c.program_id == Delivery.program_id,
                first_pending.c.sequence == Delivery.sequence,
            ),
        )
        .join(Person, Person.id == Delivery.person_id)
        .join(Program, Program.id == Delivery.program_id)
        .where(
            due_now,
            Program.status == ProgramStatus.active,
            Person.status != PersonStatus.opted_out,
            Person.forgotten_at.is_(None),
        )
        .order_by(Delivery.due_at, Delivery.id)
    ).all()
    if not rows:
        return []
    person_ids = {person.id for _, person, _ in rows}
    # Anything sent in the last 24 h might be "today" in the person's zone: check those exactly.
    recent: dict[int, list[dt.datetime]] = defaultdict(list)
    for person_id, sent_at in session.execute(
        select(Delivery.person_id, Delivery.sent_at).where(
            Delivery.person_id.in_(person_ids), Delivery.sent_at >= now - dt.timedelta(hours=24)
        )
    ):
        recent[person_id].append(sent_at)
    totals = _module_totals(session, {program.id for _, _, program in rows})

    due: list[DueDelivery] = []
    chosen: set[int] = set()
    for delivery, person, program in rows:
        if answer_window_closed(program, delivery, now):  # e.g. a closing check-in after downtime
            delivery.status = DeliveryStatus.expired  # nobody could answer it any more
            continue
        if person.id in chosen or quiet(person, now) is not None:
            continue
        tz, window = local_rules(person, program)
        if not may_deliver(now, tz=tz, country=person.country, window=window):
            continue
        today = local_day(now, tz)
        if any(local_day(sent, tz) == today for sent in recent[person.id]):
            continue
        chosen.add(person.id)
        due.append(
            DueDelivery(
                delivery_id=delivery.id,
                program_id=program.id,
                person_id=person.id,
                slack_user_id=person.slack_user_id,
                kind=delivery.kind,
                module_id=delivery.module_id,
                sequence=delivery.sequence,
                total_modules=totals.get(program.id, 0),
            )
        )
    return due


def answer_window_closed(program: Program, delivery: Delivery, now: dt.datetime) -> bool:
    """Whether the delivery can no longer be answered: ANSWERABLE_FOR after its program's end (or
    after it was sent, in a program without an end)."""
    if program.end_date is not None:
        end = dt.datetime.combine(program.end_date, dt.time(23, 59), tzinfo=dt.UTC)
        return now > end + ANSWERABLE_FOR
    return delivery.sent_at is not None and now > delivery.sent_at + ANSWERABLE_FOR


def _module_totals(session: Session, program_ids: set[int]) -> dict[int, int]:
    """Modules per executive in each program (the 'of N' in 'module 3 of N')."""
    counts = session.execute(
        select(Delivery.program_id, Delivery.person_id, func.count())
        .where(Delivery.program_id.in_(program_ids), Delivery.kind == DeliveryKind.module)
        .group_by(Delivery.program_id, Delivery.person_id)
    ).all()
    totals: dict[int, int] = {}
    for program_id, _, n in counts:
        totals[program_id] = max(totals.get(program_id, 0), n)
    return totals


def skip_after_end(session: Session, *, now: dt.datetime) -> int:
    """Once a program's last day has passed (in its zone), unsent modules and baselines are skipped
    so the closing check-in is next; sent ones stay answerable for a while (see
    ANSWERABLE_FOR).
    """
    ended = [
        program.id
        for program in session.scalars(
            select(Program).where(
                Program.end_date.is_not(None), Program.status == ProgramStatus.active
            )
        )
        if program.end_date is not None and local_day(now, program.timezone) > program.end_date
    ]
    if not ended:
        return 0
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.program_id.in_(ended),
            Delivery.kind.in_(
                [DeliveryKind.module, DeliveryKind.baseline]
            ),  # a late "before" is no baseline
            Delivery.status == DeliveryStatus.pending,
        )
        .values(status=DeliveryStatus.skipped)
    )
    return result.rowcount or 0


def mark_sent(session: Session, *, delivery_id: int, now: dt.datetime) -> None:
    """The delivery's message is in the outbox: from now on it counts as sent."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is not None and delivery.status == DeliveryStatus.pending:
        delivery.status = DeliveryStatus.sent
        delivery.sent_at = now


def due_reminders(session: Session, *, now: dt.datetime) -> list[DueReminder]:
    """Sent, unfinished modules two working days old that have had no reminder, for people not at
    risk."""
    rows = session.execute(
        select(Delivery, Person, Program)
        .join(Person, Person.id == Delivery.person_id)
        .join(Program, Program.id == Delivery.program_id)
        .where(
            Delivery.status == DeliveryStatus.sent,
            Delivery.kind == DeliveryKind.module,
            Delivery.reminded_at.is_(None),
            Delivery.message_ts.is_not(None),
            Delivery.sent_at <= now - dt.timedelta(days=REMINDER_AFTER_WORKING_DAYS),
            Program.status == ProgramStatus.active,
            *reachable(now),  # paused, snoozed, stopped or forgotten: no reminder either
        )
    ).all()
    if not rows:
        return []
    at_risk = at_risk_people(session, person_ids={p.id for _, p, _ in rows})
    out = []
    for delivery, person, program in rows:
        if person.id in at_risk or delivery.sent_at is None or delivery.channel_id is None:
            continue
        tz, window = local_rules(person, program)
        remind_on = add_working_days(
            local_day(delivery.sent_at, tz), REMINDER_AFTER_WORKING_DAYS, person.country
        )
        if local_day(now, tz) < remind_on or not may_deliver(
            now, tz=tz, country=person.country, window=window
        ):
            continue
        out.append(
            DueReminder(
                delivery_id=delivery.id,
                person_id=person.id,
                program_id=program.id,
                channel_id=delivery.channel_id,
                message_ts=delivery.message_ts or "",
                module_id=delivery.module_id,
            )
        )
    return out


def at_risk_people(session: Session, *, person_ids: set[int] | None = None) -> set[int]:
    """People whose last AT_RISK_STREAK sent modules are all unfinished (a reminder did not
    help)."""
    query = select(Delivery.person_id, Delivery.status).where(
        Delivery.kind == DeliveryKind.module,
        Delivery.status.in_(
            [DeliveryStatus.sent, DeliveryStatus.completed, DeliveryStatus.expired]
        ),
    )
    if person_ids is not None:
        query = query.where(Delivery.person_id.in_(person_ids))
    history: dict[int, list[DeliveryStatus]] = defaultdict(list)
    for person_id, status in session.execute(
        query.order_by(Delivery.person_id, Delivery.sequence.desc())
    ):
        history[person_id].append(status)
    return {
        pid
        for pid, statuses in history.items()
        if len(statuses) >= AT_RISK_STREAK
        and all(s != DeliveryStatus.completed for s in statuses[:AT_RISK_STREAK])
    }
