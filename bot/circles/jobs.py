"""What `tick` runs for circles: form, provision channels, ask "did you meet?", close, archive."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.circles import blocks, service
from bot.content.loader import Catalog
from bot.core.calendar import local_day
from bot.db import session_scope
from bot.kpis import jobs as kpi_jobs
from bot.models import Circle, CircleMember, CircleStatus, Person, Program, Role
from bot.programs.reach import reachable
from bot.slack import outbox, records
from bot.slack.installations import NoWorkspace, WorkspaceClients, as_clients

log = logging.getLogger(__name__)

ARCHIVE_AFTER = dt.timedelta(days=3)
MET_QUESTION_AFTER = dt.timedelta(hours=1)  # a meeting lasts about that long
PURPOSE_TAG = "upward-circle:"


@dataclass
class CircleStats:
    formed: int = 0
    provisioned: int = 0
    closed: int = 0
    archived: int = 0


def run(
    sessions: sessionmaker[Session],
    client: WebClient | WorkspaceClients,
    *,
    catalog: Catalog,
    now: dt.datetime,
) -> CircleStats:
    """Every circle duty due at `now`; one program's failure does not stop the others."""
    stats = CircleStats()
    with session_scope(sessions) as session:
        due = service.formations_due(session, catalog=catalog, now=now)
    for program_id, period in due:
        try:
            with session_scope(sessions) as session:
                stats.formed += form(
                    session, program_id=program_id, period=period, catalog=catalog, now=now
                )
        except Exception:
            log.exception(
                "forming circles for program %s failed; the next tick retries", program_id
            )
    with session_scope(sessions) as session:
        pending = list(
            session.scalars(
                select(Circle.id).where(Circle.status == CircleStatus.forming).order_by(Circle.id)
            )
        )
    for circle_id in pending:
        try:
            stats.provisioned += provision(
                sessions, client, circle_id=circle_id, catalog=catalog, now=now
            )
        except SlackApiError as exc:
            log.warning(
                "circle %s: Slack said %s; the next tick retries",
                circle_id,
                exc.response.get("error"),
            )
        except NoWorkspace as exc:
            log.warning("circle %s: %s", circle_id, exc)
    with session_scope(sessions) as session:
        ask_did_you_meet(session, now=now)
        stats.closed = close_finished(session, now=now)
    stats.archived = archive_closed(sessions, client, now=now)
    return stats


def form(
    session: Session, *, program_id: int, period: service.Period, catalog: Catalog, now: dt.datetime
) -> int:
    """Form and record one program's circles for a period, and tell anyone left out why.

    The program's row is locked first (on SQLite the write transaction already serialises), so
    when several workers find the same formation due, one forms it and the others find it done.
    """
    program = session.get(Program, program_id, with_for_update=True)
    assert program is not None
    if session.scalar(
        select(Circle.id)
        .where(Circle.program_id == program_id, Circle.period_start == period.start)
        .limit(1)
    ):
        return 0
    formation = service.plan_formation(
        session, program=program, period=period, catalog=catalog, now=now
    )
    ids = service.create_circles(session, formation, catalog=catalog, now=now)
    month = f"{period.start:%B %Y}"
    for left in formation.left_out:
        if not left.tell:
            continue
        outbox.enqueue(
            session,
            records.circle_left_out(program.id, period.start, left.person_id),
            method="chat.postMessage",
            payload={
                "channel": left.slack_user_id,
                "text": blocks.left_out(program=program.name, month=month, reason=left.reason),
            },
            now=now,
            program_id=program.id,
            person_id=left.person_id,
        )
    log.info(
        "formed %d circles for %s (%s); %d left out",
        len(ids),
        program.name,
        period.label,
        len(formation.left_out),
    )
    return len(ids)


def provision(
    sessions: sessionmaker[Session],
    client: WebClient | WorkspaceClients,
    *,
    circle_id: int,
    catalog: Catalog,
    now: dt.datetime,
) -> int:
    """Create the circle's private channel, invite its members, set topic and purpose, welcome them.

    Every step is safe to repeat, so a crash or a Slack error part-way is finished by the next tick.
    """
    with session_scope(sessions) as session:
        circle = session.get(Circle, circle_id)
        if circle is None or circle.status != CircleStatus.forming:
            return 0
        program = session.get(Program, circle.program_id)
        members = _members(session, circle.id)
        channel_id, name, number = circle.slack_channel_id, circle.channel_name, circle.number
        prompt = catalog.prompts.get(circle.prompt_id or "")
        program_name, period_start = program.name if program else "", circle.period_start
        team_id = program.team_id if program else None
    slack = as_clients(client).for_team(
        team_id
    )  # the program's workspace's bot creates its channel
    if channel_id is None:
        channel_id, name = _create_channel(
            slack,
            circle_id=circle_id,
            name=name,
            program=program_name,
            period_start=period_start,
            number=number,
        )
        with session_scope(sessions) as session:
            circle = session.get(Circle, circle_id)
            assert circle is not None
            circle.slack_channel_id, circle.channel_name = channel_id, name
    _invite(slack, channel_id, [uid for uid, _ in members])
    slack.conversations_setTopic(
        channel=channel_id, topic=f"Peer circle · {period_start:%B %Y} · meeting time to be agreed"
    )
    with session_scope(sessions) as session:
        outbox.enqueue(
            session,
            records.circle_welcome(circle_id),
            method="chat.postMessage",
            payload={
                "channel": channel_id,
                "text": f"Welcome to your peer circle for {period_start:%B %Y}",
                "blocks": [
                    b.to_dict()
                    for b in blocks.welcome(
                        program=program_name,
                        month=f"{period_start:%B %Y}",
                        members=members,
                        prompt=prompt.text if prompt else None,
                    )
                ],
            },
            now=now,
            program_id=None,
            team_id=team_id,
        )
        circle = session.get(Circle, circle_id)
        assert circle is not None
        circle.status = CircleStatus.active
    return 1


def _members(session: Session, circle_id: int) -> list[tuple[str, Role]]:
    return [
        (uid, role)
        for uid, role in session.execute(
            select(Person.slack_user_id, CircleMember.role)
            .join(Person, Person.id == CircleMember.person_id)
            .where(CircleMember.circle_id == circle_id, CircleMember.left_at.is_(None))
            .order_by(CircleMember.role.desc(), Person.slack_user_id)
        )
    ]


def _create_channel(
    client: WebClient,
    *,
    circle_id: int,
    name: str,
    program: str,
    period_start: dt.date,
    number: int,
) -> tuple[str, str]:
    """conversations.create, adopting our own channel after a crash and skipping names others
    hold."""
    purpose = f"Upward peer circle for {program}, {period_start:%B %Y}. {PURPOSE_TAG}{circle_id}"
    ours = _our_channels(client)
    for attempt in range(20):
        candidate = (
            name if attempt == 0 else service.channel_name(program, period_start, number, attempt)
        )
        existing = ours.get(candidate)
        if existing is not None and PURPOSE_TAG + str(circle_id) in existing.get("purpose", {}).get(
            "value", ""
        ):
            return existing["id"], candidate  # created by an earlier attempt that did not record it
        try:
            channel = client.conversations_create(name=candidate, is_private=True)["channel"]
        except SlackApiError as exc:
            if exc.response.get("error") == "name_taken":
                continue
            raise
        client.conversations_setPurpose(channel=channel["id"], purpose=purpose)
        return channel["id"], candidate
    raise RuntimeError(f"no free channel name for circle {circle_id} after 20 tries")


def _our_channels(client: WebClient) -> dict[str, dict]:
    """Private channels the bot is in, by name (bounded: a few pages)."""
    found: dict[str, dict] = {}
    cursor = None
    for _ in range(10):
        page = client.conversations_list(
            types="private_channel", limit=200, cursor=cursor, exclude_archived=False
        )
        for channel in page.get("channels", []):
            found[channel["name"]] = channel
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return found


def _invite(client: WebClient, channel_id: str, user_ids: list[str]) -> list[str]:
    """Invite everyone; people Slack cannot invite are skipped and returned, not fatal."""
    skipped: list[str] = []
    try:
        client.conversations_invite(channel=channel_id, users=",".join(user_ids))
        return skipped
    except SlackApiError as exc:
        if exc.response.get("error") not in (
            "already_in_channel",
            "cant_invite_self",
            "user_not_found",
            "cant_invite",
            "user_disabled",
        ):
            raise
    for uid in user_ids:  # one by one, so one bad id does not keep the others out
        try:
            client.conversations_invite(channel=channel_id, users=uid)
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error in ("already_in_channel", "cant_invite_self"):
                continue
            if error in ("user_not_found", "cant_invite", "user_disabled", "user_is_restricted"):
                skipped.append(uid)
                continue
            raise
    return skipped


def ask_did_you_meet(session: Session, *, now: dt.datetime) -> int:
    """After a meeting time has passed, DM each member "Did you meet?" once."""
    circles = session.scalars(
        select(Circle).where(
            Circle.status == CircleStatus.active,
            Circle.meeting_at.is_not(None),
            Circle.meeting_at <= now - MET_QUESTION_AFTER,
            Circle.asked_met_at.is_(None),
        )
    ).all()
    for circle in circles:
        for person_id, uid in session.execute(
            select(Person.id, Person.slack_user_id)
            .join(CircleMember, CircleMember.person_id == Person.id)
            .where(
                CircleMember.circle_id == circle.id,
                CircleMember.left_at.is_(None),
                *reachable(now),
            )
        ):
            outbox.enqueue(
                session,
                records.circle_met(circle.id, circle.meeting_at, uid),  # type: ignore[arg-type]
                method="chat.postMessage",
                payload={
                    "channel": uid,
                    "text": "Did your peer circle meet?",
                    "blocks": [
                        b.to_dict()
                        for b in blocks.did_you_meet(
                            circle_id=circle.id, channel_id=circle.slack_channel_id
                        )
                    ],
                },
                now=now,
                program_id=circle.program_id,
                person_id=person_id,
            )
        circle.asked_met_at = now
    return len(circles)


def close_finished(session: Session, *, now: dt.datetime) -> int:
    """After a circle's last day (in its program's zone), post the closing pulse."""
    rows = session.execute(
        select(Circle, Program)
        .join(Program, Program.id == Circle.program_id)
        .where(Circle.status == CircleStatus.active)
    ).all()
    closed = 0
    for circle, program in rows:
        if local_day(now, program.timezone) > circle.period_end:
            circle.status = CircleStatus.closing
            circle.closing_posted_at = now
            post_closing(session, circle=circle, now=now)
            closed += 1
    return closed


def post_closing(session: Session, *, circle: Circle, now: dt.datetime) -> None:
    """The closing message with its 1–5 pulse, in the circle's channel, and the mentors' observation
    DMs."""
    kpi_jobs.enqueue_observations(session, circle=circle, now=now)
    if circle.slack_channel_id is None:
        return
    outbox.enqueue(
        session,
        records.circle_closing(circle.id),
        method="chat.postMessage",
        payload={
            "channel": circle.slack_channel_id,
            "text": "How useful was this circle?",
            "blocks": [
                b.to_dict()
                for b in blocks.closing(circle_id=circle.id, month=f"{circle.period_start:%B}")
            ],
        },
        now=now,
        program_id=circle.program_id,
    )


def archive_closed(
    sessions: sessionmaker[Session], client: WebClient | WorkspaceClients, *, now: dt.datetime
) -> int:
    """A few days after the closing message, archive the channel (the circle's records stay)."""
    with session_scope(sessions) as session:
        due = session.execute(
            select(Circle.id, Circle.slack_channel_id, Program.team_id)
            .join(Program, Program.id == Circle.program_id)
            .where(
                Circle.status == CircleStatus.closing,
                Circle.closing_posted_at <= now - ARCHIVE_AFTER,
            )
        ).all()
    clients = as_clients(client)
    archived = 0
    for circle_id, channel_id, team_id in due:
        if channel_id:
            try:
                clients.for_team(team_id).conversations_archive(channel=channel_id)
            except NoWorkspace as exc:
                log.warning("archiving circle %s: %s", circle_id, exc)
                continue
            except SlackApiError as exc:
                if exc.response.get("error") not in ("already_archived", "channel_not_found"):
                    log.warning(
                        "archiving circle %s: %s; the next tick retries",
                        circle_id,
                        exc.response.get("error"),
                    )
                    continue
        with session_scope(sessions) as session:
            circle = session.get(Circle, circle_id)
            if circle is not None:
                circle.status = CircleStatus.archived
                circle.archived_at = now
        archived += 1
    return archived
