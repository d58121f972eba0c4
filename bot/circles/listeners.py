"""`/circle` and the circle buttons: ack at once, then act, then reply only to the caller."""

from __future__ import annotations

import datetime as dt
import logging
import re

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.circles import actions, blocks, command, jobs, operations, service
from bot.circles.actions import Caller, Refused
from bot.core.calendar import local_day
from bot.core.ids import Action
from bot.core.values import number, row_id
from bot.db import session_scope
from bot.models import (
    Circle,
    CircleMember,
    CirclePrompt,
    OutboxMessage,
    OutboxStatus,
    Person,
    Program,
    Purpose,
    Role,
)
from bot.slack import outbox, records, replies
from bot.slack.acking import acked

log = logging.getLogger(__name__)


def register(app: App) -> None:
    """Attach `/circle` and the circle buttons to `app`."""
    app.command("/circle")(_command)
    app.action(re.compile(rf"^{re.escape(Action.circle_met)}:"))(acked(_met))
    app.action(re.compile(rf"^{re.escape(Action.circle_pulse)}:"))(acked(_pulse))


def _command(ack: Ack, body: dict, context: dict, client: WebClient) -> None:
    ack()
    context["work"].submit(_run, body=body, context=context, client=client)


def _run(body: dict, context: dict, client: WebClient) -> None:
    user, channel = body.get("user_id", ""), body.get("channel_id")
    now = context["clock"]()
    try:
        parsed = command.parse(body.get("text"))
    except command.Usage as usage:
        replies.ephemeral(context, client, body, str(usage))
        return
    try:
        text = _dispatch(
            parsed, user=user, channel=channel, context=context, client=client, now=now
        )
    except Refused as refused:
        text = str(refused)
    except SlackApiError as exc:
        log.warning("/circle %s: Slack said %s", type(parsed).__name__, exc.response.get("error"))
        text = (
            "Slack did not accept that just now; nothing was changed. Please try again in a minute."
        )
    replies.ephemeral(context, client, body, text)


def _dispatch(
    parsed: command.Command,
    *,
    user: str,
    channel: str | None,
    context: dict,
    client: WebClient,
    now: dt.datetime,
) -> str:
    sessions, catalog = context["sessions"], context["catalog"]
    if isinstance(parsed, command.Help):
        with session_scope(sessions) as session:
            return help_text(actions.caller(session, user))
    if isinstance(parsed, command.List):
        with session_scope(sessions) as session:
            who = actions.caller(session, user)
            return list_text(
                actions.visible_circles(session, who, today=now.date()),
                tz=who.person.timezone if who.person else None,
            )
    if isinstance(parsed, command.Form):
        return _form(parsed, user=user, context=context, client=client, now=now)

    with session_scope(sessions) as session:
        who = actions.caller(session, user)
        circle = actions.resolve(session, who, channel_id=channel)
        if isinstance(parsed, command.Schedule):
            meeting = actions.schedule(
                session, circle=circle, who=who, day=parsed.day, time=parsed.time, now=now
            )
            _announce_meeting(session, circle=circle, by=user, meeting=meeting, now=now)
            # A topic is plain text (Slack renders no <!date> there): the scheduler's own time, with
            # its zone.
            topic = (
                circle.slack_channel_id,
                (
                    f"Peer circle · {circle.period_start:%B %Y} · meets"
                    f" {blocks.local_time(meeting, who.person.timezone if who.person else None)}"
                ),
            )
            reply = (
                "Done: the circle meets"
                f" {blocks.local_time(meeting, who.person.timezone if who.person else None)}."
                " Members get a reminder an hour before."
            )
        elif isinstance(parsed, command.Prompt):
            actions.require_manager(session, who, circle, what="post prompts")
            reply = _post_prompt(session, circle=circle, catalog=catalog, now=now)
            topic = None
        elif isinstance(parsed, command.Note):
            actions.add_note(session, circle=circle, who=who, text=parsed.text, now=now)
            return "Saved. Only your program lead sees session notes."
        elif isinstance(parsed, command.Attended):
            recorded, unknown = actions.record_attendance(
                session, circle=circle, who=who, user_ids=parsed.user_ids
            )
            if unknown:
                return (
                    f"{', '.join(f'<@{u}>' for u in unknown)}"
                    f" {'is' if len(unknown) == 1 else 'are'} not in this circle, so nothing was"
                    " recorded. Check the names and try again."
                )
            return f"Recorded: {', '.join(f'<@{u}>' for u in recorded)} attended."
        elif isinstance(parsed, (command.Add, command.Remove)):
            return _change_membership(
                session, parsed, who=who, circle=circle, client=client, now=now
            )
        elif isinstance(parsed, command.Close):
            actions.close(session, circle=circle, who=who, now=now)
            jobs.post_closing(session, circle=circle, now=now)
            return (
                f"Closed: the closing pulse is posted in #{circle.channel_name}, and the channel is"
                " archived in a few days."
            )
        else:  # pragma: no cover - the parser returns only the types above
            raise Refused("That is not something /circle can do.")
    if topic and topic[0]:
        try:
            client.conversations_setTopic(channel=topic[0], topic=topic[1])
        except SlackApiError as exc:
            log.info("topic not updated: %s", exc.response.get("error"))
    outbox.flush(
        sessions,
        client,
        now=now,
        worker_id=replies.web_worker_id(),
        max_rows=20,
        only_team=replies.this_workspace_only(context),
    )
    return reply


def _announce_meeting(
    session: Session, *, circle: Circle, by: str, meeting: dt.datetime, now: dt.datetime
) -> None:
    """Post the time in the channel and schedule each member's reminder (replacing earlier ones)."""
    session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.purpose == Purpose.circle_reminder,
            OutboxMessage.subject_id == circle.id,
            OutboxMessage.status == OutboxStatus.pending,
        )
    )
    if circle.slack_channel_id:
        outbox.enqueue(
            session,
            records.circle_scheduled(circle.id, meeting),
            method="chat.postMessage",
            payload={
                "channel": circle.slack_channel_id,
                "text": (
                    f"<@{by}> set the circle's meeting for {_slack_date(meeting)}. Everyone gets a"
                    " reminder an hour before."
                ),
            },
            now=now,
            program_id=circle.program_id,
        )
    remind_at = max(now, meeting - dt.timedelta(hours=1))
    for person_id, uid, tz in session.execute(
        select(Person.id, Person.slack_user_id, Person.timezone)
        .join(CircleMember, CircleMember.person_id == Person.id)
        .where(CircleMember.circle_id == circle.id, CircleMember.left_at.is_(None))
    ):
        outbox.enqueue(
            session,
            records.circle_reminder(circle.id, meeting, uid),
            method="chat.postMessage",
            payload={
                "channel": uid,
                "text": blocks.meeting_reminder(
                    channel_id=circle.slack_channel_id, meeting_at=meeting, tz=tz
                ),
            },
            now=now,
            not_before=remind_at,
            program_id=circle.program_id,
            person_id=person_id,
        )


def _slack_date(instant: dt.datetime) -> str:
    """Slack renders this in each reader's own time zone."""
    return (
        f"<!date^{int(instant.timestamp())}^{{date_long_pretty}} at"
        f" {{time}}|{instant:%Y-%m-%d %H:%M} UTC>"
    )


def _post_prompt(session: Session, *, circle: Circle, catalog, now: dt.datetime) -> str:  # type: ignore[no-untyped-def]
    actions.require_open(circle)
    prompt_id = service.next_prompt(session, circle=circle, catalog=catalog)
    if prompt_id is None or circle.slack_channel_id is None:
        return (
            "This circle has had every prompt Upward has. Ask the group what they want to explore"
            " next!"
        )
    session.add(CirclePrompt(circle_id=circle.id, prompt_id=prompt_id, posted_at=now))
    outbox.enqueue(
        session,
        records.circle_prompt(circle.id, prompt_id),
        method="chat.postMessage",
        payload={
            "channel": circle.slack_channel_id,
            "text": catalog.prompts[prompt_id].text,
            "blocks": [b.to_dict() for b in blocks.prompt_message(catalog.prompts[prompt_id].text)],
        },
        now=now,
        program_id=circle.program_id,
    )
    return f"Posted a new prompt in #{circle.channel_name}."


def _change_membership(
    session: Session,
    parsed: command.Add | command.Remove,
    *,
    who: Caller,
    circle: Circle,
    client: WebClient,
    now: dt.datetime,
) -> str:
    if isinstance(parsed, command.Add):
        actions.add_member(session, circle=circle, who=who, user_id=parsed.user_id, now=now)
        if circle.slack_channel_id:
            try:
                client.conversations_invite(channel=circle.slack_channel_id, users=parsed.user_id)
            except SlackApiError as exc:
                if exc.response.get("error") not in ("already_in_channel",):
                    raise
        return f"Added <@{parsed.user_id}> to #{circle.channel_name}."
    actions.remove_member(session, circle=circle, who=who, user_id=parsed.user_id, now=now)
    if circle.slack_channel_id:
        try:
            client.conversations_kick(channel=circle.slack_channel_id, user=parsed.user_id)
        except SlackApiError as exc:
            if exc.response.get("error") not in ("not_in_channel", "cant_kick_self"):
                raise
    return (
        f"Removed <@{parsed.user_id}> from #{circle.channel_name}. Their past attendance is kept."
    )


def _form(
    parsed: command.Form, *, user: str, context: dict, client: WebClient, now: dt.datetime
) -> str:
    sessions, catalog = context["sessions"], context["catalog"]
    with session_scope(sessions) as session:
        who = actions.caller(session, user)
        programs = [
            p for p in (session.get(Program, pid) for pid in who.lead_programs) if p is not None
        ]
        if not programs:
            raise Refused("Only program leads can form circles.")
        if len(programs) > 1:
            raise Refused(
                "You lead several programs; form circles with `upward circles form --program NAME`"
                " instead."
            )
        program = programs[0]
        template = catalog.programs.get(program.template)
        period = (
            service.current_period(program, template, local_day(now, program.timezone))
            if template
            else None
        )
        if period is None:
            raise Refused(f"{program.name} has no circle period running today.")
        if parsed.dry_run:
            return preview_text(
                service.plan_formation(
                    session, program=program, period=period, catalog=catalog, now=now
                )
            )
        ids, existed = operations.form_now(
            session, program=program, period=period, catalog=catalog, now=now
        )
        if existed:
            return (
                f"{program.name} already has {len(ids)} circles for {period.start:%B %Y};"
                " nothing was changed."
            )
    for circle_id in ids:
        jobs.provision(sessions, client, circle_id=circle_id, catalog=catalog, now=now)
    outbox.flush(
        sessions,
        client,
        now=now,
        worker_id=replies.web_worker_id(),
        max_rows=200,
        only_team=replies.this_workspace_only(context),
    )
    return (
        f"Formed {len(ids)} circles for {program.name} ({period.start:%B %Y}); their channels are"
        " ready."
    )


def _met(body: dict, action: dict, context: dict, client: WebClient) -> None:
    circle_id, choice = _circle_value(action.get("value"))
    labels = dict(blocks.MET_CHOICES)
    with session_scope(context["sessions"]) as session:
        member = _membership(session, circle_id, body["user"]["id"])
        if member is None or choice not in labels:
            text = "That question was not for you, so nothing was recorded."
        else:
            member.met_response = choice
            if choice == "yes":
                member.attended = True
            text = f"Thanks, recorded: {labels[choice]}."
    replies.ephemeral(
        context, client, body, text, replace_original=member is not None and choice in labels
    )


def _pulse(body: dict, action: dict, context: dict, client: WebClient) -> None:
    circle_id, value = _circle_value(action.get("value"))
    rating = number(value, low=1, high=5)
    with session_scope(context["sessions"]) as session:
        member = _membership(session, circle_id, body["user"]["id"])
        if member is None or rating is None:
            text = "Only this circle's members can rate it; nothing was recorded."
        else:
            member.pulse = rating
            text = (
                f"Thanks! You rated this circle {rating} out of 5. You can change it by clicking"
                " again."
            )
    replies.ephemeral(context, client, body, text)


def _circle_value(raw: str | None) -> tuple[int, str]:
    circle, _, rest = (raw or "").partition("|")
    circle_id = row_id(circle)
    return (circle_id, rest) if circle_id is not None else (0, "")


def _membership(session: Session, circle_id: int, slack_user_id: str) -> CircleMember | None:
    """The clicker's place in the circle, if they are still in it."""
    return session.scalars(
        select(CircleMember)
        .join(Person, Person.id == CircleMember.person_id)
        .where(
            CircleMember.circle_id == circle_id,
            Person.slack_user_id == slack_user_id,
            CircleMember.left_at.is_(None),
        )
    ).one_or_none()


def help_text(who: Caller) -> str:
    """What the caller can do, for their roles."""
    lines = ["*/circle* runs your monthly peer circle."]
    lines.append("• `/circle list`: your circles this month, with members and meeting time")
    if who.has(Role.mentor) or who.has(Role.lead):
        lines += [
            (
                "• `/circle schedule YYYY-MM-DD HH:MM`: set the meeting time (your time zone);"
                " members get a reminder an hour before"
            ),
            "• `/circle prompt`: post another discussion prompt in the channel",
            "• `/circle note TEXT`: a private note on the session, for the program lead only",
            "• `/circle attended @name @name`: record who came",
            "• `/circle add @name` / `/circle remove @name`: change who is in the circle",
            (
                "• `/circle close`: post the closing pulse now (the channel is archived a few days"
                " later)"
            ),
        ]
    if who.has(Role.lead):
        lines.append("• `/circle form [--dry-run]`: form this month's circles now, or preview them")
    if not who.roles:
        lines.append("_You are not on a program roster yet; your program lead can add you._")
    elif not (who.has(Role.mentor) or who.has(Role.lead)):
        lines.append(
            "_Mentors and program leads run circles; as an executive you join the conversation in"
            " your circle's channel._"
        )
    lines.append("Run commands inside your circle's channel to act on that circle.")
    return "\n".join(lines)


def list_text(views: list[actions.CircleView], *, tz: str | None) -> str:
    if not views:
        return "You have no circle this month."
    lines = []
    for v in views[:30]:
        where = f"<#{v.channel_id}>" if v.channel_id else f"#{v.channel_name}"
        when = blocks.local_time(v.meeting_at, tz) if v.meeting_at else "no meeting time yet"
        people = ", ".join(
            f"<@{uid}>{' (mentor)' if role == Role.mentor else ''}" for uid, _, role in v.members
        )
        lines.append(f"*{where}* ({v.program}): {when}\n    {people}")
    if len(views) > 30:
        lines.append(f"…and {len(views) - 30} more.")
    return "\n".join(lines)


def preview_text(formation: service.Formation) -> str:
    """The proposed circles with the score of each constraint (shared by /circle form --dry-run and
    the CLI)."""
    m = formation.match
    names = formation.people
    lines = [
        f"Proposed circles for {formation.period.start:%B %Y}: {len(m.circles)} circles; repeat"
        f" pairs {m.repeat_pairs}, same-department pairs {m.same_department_pairs}, mentor load"
        f" {min(m.mentor_load.values(), default=0)}–{max(m.mentor_load.values(), default=0)}"
    ]
    for name, circle in zip(formation.names, m.circles, strict=False):
        people = ", ".join(
            (names[pid].display_name or names[pid].slack_user_id)
            + (" (mentor)" if i < circle.mentors else "")
            for i, pid in enumerate(circle.members)
        )
        lines.append(
            f"#{name}: {len(circle.members)} people, {circle.departments} departments,"
            f" {circle.repeat_pairs} repeat pairs, {circle.same_department_pairs} same-department"
            f" pairs: {people}"
        )
    for left in formation.left_out:
        lines.append(
            f"left out: {names[left.person_id].display_name or left.slack_user_id}: {left.reason}"
        )
    lines.extend(f"note: {n}" for n in m.notes)
    return "\n".join(lines)
