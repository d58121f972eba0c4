"""What `upward tick` / `upward worker` run for microlearning: plan, enqueue modules and
reminders."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.content.loader import Catalog
from bot.db import session_scope
from bot.learning import service
from bot.learning.answers import message_state
from bot.learning.blocks import assessment_message, module_message, module_text, reminder_text
from bot.models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Membership,
    OutboxMessage,
    OutboxStatus,
    Program,
    ProgramStatus,
    Purpose,
    Role,
)
from bot.slack import outbox, records

log = logging.getLogger(__name__)


@dataclass
class LearningStats:
    planned: int = 0
    modules: int = 0
    reminders: int = 0


def run(sessions: sessionmaker[Session], *, catalog: Catalog, now: dt.datetime) -> LearningStats:
    """Plan new executives, enqueue what is due now, and record where sent modules landed."""
    stats = LearningStats()
    with session_scope(sessions) as session:
        program_ids = programs_needing_plans(session)
    for program_id in program_ids:
        try:
            with session_scope(sessions) as session:
                program = session.get(Program, program_id)
                if program is not None:
                    stats.planned += service.plan_deliveries(
                        session, program=program, catalog=catalog, now=now
                    )
        except (
            LookupError
        ) as exc:  # a template missing from the catalog must not stop other programs
            log.error("cannot plan program %s: %s", program_id, exc)
    with session_scope(sessions) as session:
        sync_sent(session)
        service.skip_after_end(session, now=now)
        stats.modules = enqueue_due(session, catalog=catalog, now=now)
        stats.reminders = enqueue_reminders(session, catalog=catalog, now=now)
    return stats


def programs_needing_plans(session: Session) -> list[int]:
    """Active programs with an executive who has no delivery yet (one query, whatever the size)."""
    # A probe of the person_id index per membership: PostgreSQL plans NOT EXISTS as a hash of every
    # delivery of every program instead (twice the time at 10,000 enrolled, on every tick).
    no_plan = (
        select(Delivery.id)
        .where(
            Delivery.program_id == Membership.program_id, Delivery.person_id == Membership.person_id
        )
        .limit(1)
        .scalar_subquery()
        .is_(None)
    )
    return list(
        session.scalars(
            select(Program.id)
            .join(Membership, Membership.program_id == Program.id)
            .where(
                Program.status == ProgramStatus.active,
                Membership.role == Role.executive,
                Membership.left_at.is_(None),
                no_plan,
            )
            .distinct()
        )
    )


def enqueue_due(session: Session, *, catalog: Catalog, now: dt.datetime) -> int:
    """Write an outbox row for each delivery due now and mark it sent."""
    count = 0
    for due in service.due_deliveries(session, catalog=catalog, now=now):
        delivery = session.get(Delivery, due.delivery_id)
        assert delivery is not None
        payload = render_delivery(session, delivery, catalog=catalog)
        if payload is None:
            log.error(
                "delivery %s names %s, which is not in the catalog; skipped",
                delivery.id,
                delivery.module_id,
            )
            delivery.status = DeliveryStatus.skipped
            continue
        outbox.enqueue(
            session,
            records.module(delivery.id),
            method="chat.postMessage",
            payload={
                "channel": due.slack_user_id,
                **payload,
                "unfurl_links": False,
                "unfurl_media": False,
            },
            now=now,
            program_id=due.program_id,
            person_id=due.person_id,
        )
        service.mark_sent(session, delivery_id=delivery.id, now=now)
        count += 1
    return count


def render_delivery(
    session: Session,
    delivery: Delivery,
    *,
    catalog: Catalog,
    retrying: frozenset[str] = frozenset(),
) -> dict | None:
    """`text` and `blocks` for a delivery's message in its current state; None if content is
    gone."""
    state = message_state(session, delivery)
    if delivery.kind == DeliveryKind.module:
        module = catalog.modules.get(delivery.module_id)
        if module is None:
            return None
        blocks = module_message(
            module,
            delivery_id=delivery.id,
            position=state.position,
            total=state.total,
            answers=state.answers,
            completed=state.completed,
            reflected=state.reflected,
            retrying=retrying,
        )
        text = module_text(module)
    else:
        program = session.get(Program, delivery.program_id)
        template = catalog.programs.get(program.template) if program else None
        if template is None:
            return None
        closing = delivery.kind == DeliveryKind.closing
        blocks = assessment_message(
            template.name,
            list(template.assessment),
            delivery_id=delivery.id,
            closing=closing,
            answers=state.answers,
        )
        text = f"{template.name}: a one-minute {'closing' if closing else 'starting'} check-in"
    return {"text": text, "blocks": [b.to_dict() for b in blocks]}


def enqueue_reminders(session: Session, *, catalog: Catalog, now: dt.datetime) -> int:
    """One threaded nudge under each module left unanswered for two working days."""
    count = 0
    for due in service.due_reminders(session, now=now):
        module = catalog.modules.get(due.module_id)
        delivery = session.get(Delivery, due.delivery_id)
        if module is None or delivery is None:
            continue
        outbox.enqueue(
            session,
            records.reminder(due.delivery_id),
            method="chat.postMessage",
            payload={
                "channel": due.channel_id,
                "thread_ts": due.message_ts,
                "text": reminder_text(module),
            },
            now=now,
            program_id=due.program_id,
            person_id=due.person_id,
        )
        delivery.reminded_at = now
        count += 1
    return count


def sync_sent(session: Session) -> int:
    """Copy where each module message landed onto its delivery (reminders reply in its thread), and
    mark deliveries whose message Slack refused for good as failed (the lead sees them)."""
    rows = session.execute(
        select(Delivery.id, OutboxMessage.status, OutboxMessage.channel_id, OutboxMessage.slack_ts)
        .join(
            OutboxMessage,
            (OutboxMessage.purpose == Purpose.module) & (OutboxMessage.subject_id == Delivery.id),
        )
        .where(
            Delivery.message_ts.is_(None),
            # Only deliveries that went to the outbox (pending and skipped ones never did): the
            # (status, due_at) index then skips the program's planned future, the bulk of the table.
            Delivery.status.in_(
                [DeliveryStatus.sent, DeliveryStatus.completed, DeliveryStatus.expired]
            ),
            OutboxMessage.status.in_([OutboxStatus.sent, OutboxStatus.failed]),
        )
    ).all()
    for delivery_id, status, channel_id, ts in rows:
        values = (
            {"channel_id": channel_id, "message_ts": ts}
            if status == OutboxStatus.sent
            else {"status": DeliveryStatus.failed}
        )
        session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values))
    return len(rows)
