"""A program's live events (the opening workshop, shadowing days), announced in each member's DM.

An event with `week: N` is announced in the program's week N; one with `every_weeks: N` in weeks
N, 2N, 3N... Executives and mentors get the announcement on the first working day of that week
(from the program's start), inside their working window; the lead sends the calendar invitation.
"""

from __future__ import annotations

import datetime as dt

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.content.loader import Catalog
from bot.content.schema import Event, ProgramTemplate
from bot.core.calendar import Window, is_working_day, local_day, may_deliver, week_start
from bot.models import Program, Role
from bot.programs.audience import due_by_rules
from bot.slack import outbox, records

KINDS = {"workshop": "Workshop", "shadowing": "Shadowing day"}


def events_in_week(template: ProgramTemplate, week: int) -> list[tuple[int, Event]]:
    """The template's events (with their index) that fall in the program's week `week` (1 =
    first)."""
    return [
        (i, e)
        for i, e in enumerate(template.events)
        if e.week == week or (e.every_weeks is not None and week % e.every_weeks == 0)
    ]


def announcement_day(monday: dt.date, *, start: dt.date, country: str | None) -> dt.date | None:
    """The first working day of that week on or after the program's start; None if there is none."""
    day = max(monday, start)
    while day < monday + dt.timedelta(days=5):
        if is_working_day(day, country):
            return day
        day += dt.timedelta(days=1)
    return None


def announcement(event: Event, *, program: str, week: int) -> list[Block]:
    """The DM announcing one event."""
    return [
        HeaderBlock(text=event.title),
        SectionBlock(text=MarkdownTextObject(text=event.description)),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=(
                        f"{KINDS[event.kind]} · week {week} of *{program}* · your program lead"
                        " sends the invitation with the time and place"
                    )
                )
            ]
        ),
    ]


def enqueue_announcements(session: Session, *, catalog: Catalog, now: dt.datetime) -> int:
    """Write today's event announcements to the outbox (once per person, event and week)."""
    with_events = [template_id for template_id, t in catalog.programs.items() if t.events]
    if not with_events:
        return 0

    def due(
        program: Program, tz: str, country: str | None, window: Window
    ) -> tuple[int, list[tuple[int, Event]]] | None:
        template = catalog.programs.get(program.template)
        today = local_day(now, tz)
        if (
            template is None
            or today < program.start_date
            or (program.end_date and today > program.end_date)
        ):
            return None
        monday = week_start(today)
        week = (monday - week_start(program.start_date)).days // 7 + 1
        events = events_in_week(template, week)
        if (
            not events
            or announcement_day(monday, start=program.start_date, country=country) != today
        ):
            return None
        return (week, events) if may_deliver(now, tz=tz, country=country, window=window) else None

    rows = due_by_rules(
        session,
        roles=[Role.executive, Role.mentor],
        now=now,
        decide=due,
        where=(Program.template.in_(with_events),),
    )
    wanted = {
        records.event(r.program_id, index, r.what[0], r.person_id): (r, event)
        for r in rows
        for index, event in r.what[1]
    }
    if not wanted:
        return 0
    sent = outbox.written(session, wanted)
    names = dict(
        session.execute(
            select(Program.id, Program.name).where(
                Program.id.in_({r.program_id for r, _ in wanted.values()})
            )
        ).all()
    )
    count = 0
    for record, (r, event) in wanted.items():
        if record in sent:
            continue
        outbox.enqueue(
            session,
            record,
            method="chat.postMessage",
            payload={
                "channel": r.slack_user_id,
                "text": f"{event.title} (week {r.what[0]} of {names[r.program_id]})",
                "blocks": [
                    b.to_dict()
                    for b in announcement(event, program=names[r.program_id], week=r.what[0])
                ],
            },
            now=now,
            program_id=r.program_id,
            person_id=r.person_id,
        )
        count += 1
    return count
