"""What the demo prints at the end: a short summary of the pilot and the final weekly digest."""

from __future__ import annotations

from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session

from bot.demo.cast import Cast
from bot.demo.pilot import DemoWorld
from bot.demo.scenario import END
from bot.digest.blocks import digest_text
from bot.digest.service import Week, compute
from bot.models import (
    Answer,
    Circle,
    CircleMember,
    Delivery,
    DeliveryKind,
    KpiObservation,
    MentorNote,
    ObservationSource,
    OutboxMessage,
    Program,
    Purpose,
)
from bot.sandbox import Workspace


def summary(world: DemoWorld, cast: Cast, *, ticks: int) -> list[tuple[str, str]]:
    """(label, figures) rows about the whole run, from the database and the stand-in."""
    ws = world.slack.workspace
    with world.session() as s:
        program = s.scalars(select(Program)).one()
        modules, checkins, circles = _modules(s, program), _checkins(s), _circles(s)
        start, end = program.start_date, program.end_date
    people = [u for u in ws.seed.users if not u.deleted]
    return [
        (
            "Workspace",
            (
                f"{ws.seed.team_name}: 1 program lead, 3 mentors, 8 executives in "
                f"{len({u.tz for u in people})} time zones"
            ),
        ),
        (
            "Pilot",
            (
                f"{program.name}, {start:%a %-d %b} – {end:%a %-d %b %Y}; simulated until"
                f" {END:%a %-d %b %H:%M} UTC in {ticks} ticks"
            ),
        ),
        ("Modules", modules),
        ("Weekly check-ins", checkins),
        ("Peer circles", circles),
        ("What people did", _actions(cast)),
        ("Slack traffic", _traffic(ws)),
    ]


def _modules(s: Session, program: Program) -> str:
    """Modules sent and completed, and how many first answers were right."""
    modules = select(Delivery).where(
        Delivery.program_id == program.id, Delivery.kind == DeliveryKind.module
    )
    sent = (
        s.scalar(
            select(func.count()).select_from(
                modules.where(Delivery.sent_at.is_not(None)).subquery()
            )
        )
        or 0
    )
    done = (
        s.scalar(
            select(func.count()).select_from(
                modules.where(Delivery.completed_at.is_not(None)).subquery()
            )
        )
        or 0
    )
    firsts = s.execute(
        select(func.count(), func.sum(case((Answer.correct.is_(True), 1), else_=0)))
        .join(Delivery)
        .where(
            Delivery.kind == DeliveryKind.module,
            Answer.attempt == 1,
            Answer.correct.is_not(None),
        )
    ).one()
    right = f"; {firsts[1] / firsts[0]:.0%} of first answers right" if firsts[0] else ""
    return f"{sent} sent, {done} completed ({done / sent:.0%}){right}" if sent else "none sent"


def _checkins(s: Session) -> str:
    """Weekly check-ins asked, and the person-weeks that answered."""
    asked = s.scalar(select(func.count()).where(OutboxMessage.purpose == Purpose.kpi_checkin)) or 0
    weeks = (
        select(KpiObservation.person_id, KpiObservation.period_start)
        .where(KpiObservation.source == ObservationSource.self_report)
        .distinct()
        .subquery()
    )
    answered = s.scalar(select(func.count()).select_from(weeks)) or 0
    return f"{answered} of {asked} answered"


def _circles(s: Session) -> str:
    """Circles formed, those whose members said they met, and the mentors' notes."""
    circles = s.scalar(select(func.count()).select_from(Circle)) or 0
    met = (
        s.scalar(
            select(func.count(distinct(CircleMember.circle_id))).where(
                CircleMember.met_response == "yes"
            )
        )
        or 0
    )
    notes = s.scalar(select(func.count()).select_from(MentorNote)) or 0
    return f"{circles} formed, {met} met; {notes} mentor notes"


def _actions(cast: Cast) -> str:
    notes = [a.text for a in cast.journal]
    commands = sum(1 for n in notes if n.startswith("ran `/circle"))
    modals = sum(1 for a in cast.journal if a.view is not None)
    pauses = sum(1 for n in notes if "Pause until" in n)
    nudges = sum(1 for n in notes if "friendly nudge" in n)
    clicks = (
        len(notes) - commands - modals - pauses - sum(1 for n in notes if n.startswith("opened"))
    )
    return (
        f"{clicks} clicks, {modals} reflections written in a modal, {commands} /circle commands,"
        f" {pauses} pause{'s' if pauses != 1 else ''}, {nudges} nudge{'s' if nudges != 1 else ''}"
        " from the lead"
    )


def _traffic(ws: Workspace) -> str:
    calls = ws.calls
    posted = sum(1 for c in calls if c.method == "chat.postMessage" and c.ok)
    updated = sum(1 for c in calls if c.method == "chat.update" and c.ok)
    files = sum(1 for c in calls if c.method == "files.completeUploadExternal" and c.ok)
    return (
        f"{posted} messages posted, {updated} updated in place, {len(ws.responses)} replies to"
        f" clicks and commands, {files} charts uploaded; {len(calls)} Web API calls in all"
    )


def final_digest(world: DemoWorld) -> tuple[str, Week]:
    """The last digest the lead got, as `upward digest preview` prints it."""
    with world.session() as s:
        program = s.scalars(select(Program)).one()
        week = Week.last_complete(END, program.timezone)
        return digest_text(compute(s, program=program, catalog=world.catalog, week=week)), week
