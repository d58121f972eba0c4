"""What `tick` runs for KPIs: the weekly check-in DM, once per executive and week."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.kpis import blocks, service
from bot.models import Circle, CircleMember, Person, Role
from bot.programs.reach import reachable
from bot.slack import outbox, records


def enqueue_checkins(session: Session, *, now: dt.datetime) -> int:
    """Write today's check-ins to the outbox (skipping any already written for that week)."""
    due = service.due_checkins(session, now=now)
    if not due:
        return 0
    wanted = {records.kpi_checkin(d.program_id, d.person_id, d.week_start): d for d in due}
    sent = outbox.written(session, wanted)
    kpis_by_program: dict[int, list] = {}
    count = 0
    for record, d in wanted.items():
        if record in sent:
            continue
        kpis = kpis_by_program.setdefault(d.program_id, service.active_kpis(session, d.program_id))
        outbox.enqueue(
            session,
            record,
            method="chat.postMessage",
            payload={
                "channel": d.slack_user_id,
                "text": blocks.CHECKIN_TEXT,
                "blocks": [
                    b.to_dict() for b in blocks.checkin(kpis, week=d.week_start, answers={})
                ],
            },
            now=now,
            program_id=d.program_id,
            person_id=d.person_id,
        )
        count += 1
    return count


def enqueue_observations(session: Session, *, circle: Circle, now: dt.datetime) -> int:
    """When a circle closes, ask each of its mentors to rate its executives on the focus
    behaviour."""
    kpi = service.focus_kpi(session, circle.program_id)
    if kpi is None:
        return 0
    sheet = service.observation_sheet(session, kpi=kpi, circle=circle)
    if not sheet:
        return 0
    mentors = session.execute(
        select(Person.id, Person.slack_user_id)
        .join(CircleMember, CircleMember.person_id == Person.id)
        .where(
            CircleMember.circle_id == circle.id,
            CircleMember.role == Role.mentor,
            CircleMember.left_at.is_(None),
            *reachable(now),
        )
    ).all()
    for person_id, slack_user_id in mentors:
        outbox.enqueue(
            session,
            records.observation(circle.id, person_id),
            method="chat.postMessage",
            payload={
                "channel": slack_user_id,
                "text": blocks.OBSERVATION_TEXT,
                "blocks": [
                    b.to_dict()
                    for b in blocks.observation(
                        kpi, circle_id=circle.id, period=f"{circle.period_start:%B}", sheet=sheet
                    )
                ],
            },
            now=now,
            program_id=circle.program_id,
            person_id=person_id,
        )
    return len(mentors)
