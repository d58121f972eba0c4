"""What `/circle` and the circle buttons do: one action per request, each returning a Reply.

The rules (who may change a circle, what a change is) live in bot.circles.rules; an action reads
the caller's roles from the roster, applies the rule, queues what Slack must show or do through
the outbox (posts, reminders, the channel topic, invitations), and says what happened. A refusal
raises bot.errors.Refusal, so nothing the action wrote is kept.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.circles import blocks, command, jobs, operations, rules, service, texts
from bot.content.loader import Catalog
from bot.core.calendar import local_day
from bot.core.values import number, row_id
from bot.core.words import count
from bot.errors import Refusal
from bot.models import (
    Circle,
    CircleMember,
    CirclePrompt,
    OutboxMessage,
    OutboxStatus,
    Person,
    Program,
    Purpose,
)
from bot.programs.reach import reachable
from bot.slack import outbox, records
from bot.slack.acking import Caller, clicked_value
from bot.slack.records import Record
from bot.slack.replies import Reply

log = logging.getLogger(__name__)

# Rows a command's reply sends at once (the rest go at the next tick): its own posts, reminders
# and invitations; forming sends every new circle's welcome.
FLUSH = 20
FLUSH_FORMED = 200


@dataclass(frozen=True)
class CircleCommand:
    """A `/circle` command, the channel it was run in, and the content it may use."""

    command: command.Command
    catalog: Catalog


def run_command(
    session: Session, caller: Caller, request: CircleCommand, now: dt.datetime
) -> Reply:
    """One `/circle` command: help and list for anyone, the rest for a circle's managers."""
    who = rules.caller(session, caller.user_id)
    parsed = request.command
    if isinstance(parsed, command.Help):
        return Reply(texts.help_text(who))
    if isinstance(parsed, command.List):
        tz = who.person.timezone if who.person else None
        return Reply(texts.list_text(rules.visible_circles(session, who, today=now.date()), tz=tz))
    if isinstance(parsed, command.Form):
        return _form(session, who, parsed, catalog=request.catalog, now=now)
    circle = rules.resolve(session, who, channel_id=caller.channel_id)
    act = _ON_A_CIRCLE.get(type(parsed))
    if act is None:  # pragma: no cover - the parser returns only the types above
        raise Refusal("That is not something /circle can do.")
    return act(session, who, circle, parsed, request.catalog, now)


def _schedule(
    session: Session,
    who: rules.Caller,
    circle: Circle,
    parsed: command.Schedule,
    _catalog: Catalog,
    now: dt.datetime,
) -> Reply:
    meeting = rules.schedule(
        session, circle=circle, who=who, day=parsed.day, time=parsed.time, now=now
    )
    tz = who.person.timezone if who.person else None
    _announce_meeting(session, circle=circle, by=who.slack_user_id, meeting=meeting, now=now)
    if circle.slack_channel_id:
        # A topic is plain text (Slack renders no <!date> there): the scheduler's own time and zone.
        outbox.enqueue(
            session,
            records.circle_topic(circle.id, meeting),
            method="conversations.setTopic",
            payload={
                "channel": circle.slack_channel_id,
                "topic": (
                    f"Peer circle · {circle.period_start:%B %Y} · meets"
                    f" {blocks.local_time(meeting, tz)}"
                ),
            },
            now=now,
            program_id=circle.program_id,
        )
    return Reply(
        f"Done: the circle meets {blocks.local_time(meeting, tz)}. Members get a reminder an hour"
        " before.",
        flush=FLUSH,
    )


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
                    f"<@{by}> set the circle's meeting for {texts.slack_date(meeting)}. Everyone"
                    " gets a reminder an hour before."
                ),
            },
            now=now,
            program_id=circle.program_id,
        )
    remind_at = max(now, meeting - dt.timedelta(hours=1))
    for person_id, uid, tz in session.execute(
        select(Person.id, Person.slack_user_id, Person.timezone)
        .join(CircleMember, CircleMember.person_id == Person.id)
        .where(
            CircleMember.circle_id == circle.id,
            CircleMember.left_at.is_(None),
            *reachable(remind_at),  # and the outbox asks again when it is time
        )
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


def _prompt(
    session: Session,
    who: rules.Caller,
    circle: Circle,
    _parsed: command.Prompt,
    catalog: Catalog,
    now: dt.datetime,
) -> Reply:
    rules.require_manager(session, who, circle, what="post prompts")
    rules.require_open(circle)
    if circle.slack_channel_id is None:
        return Reply(
            f"#{circle.channel_name} is still being created; try again in a minute, once its"
            " channel is there."
        )
    prompt_id = service.next_prompt(session, circle=circle, catalog=catalog)
    if prompt_id is None:
        return Reply(
            "This circle has had every prompt Upward has. Ask the group what they want to explore"
            " next!"
        )
    session.add(CirclePrompt(circle_id=circle.id, prompt_id=prompt_id, posted_at=now))
    text = catalog.prompts[prompt_id].text
    outbox.enqueue(
        session,
        records.circle_prompt(circle.id, prompt_id),
        method="chat.postMessage",
        payload={
            "channel": circle.slack_channel_id,
            "text": text,
            "blocks": [b.to_dict() for b in blocks.prompt_message(text)],
        },
        now=now,
        program_id=circle.program_id,
    )
    return Reply(f"Posted a new prompt in #{circle.channel_name}.", flush=FLUSH)


def _note(
    session: Session,
    who: rules.Caller,
    circle: Circle,
    parsed: command.Note,
    _catalog: Catalog,
    now: dt.datetime,
) -> Reply:
    rules.add_note(session, circle=circle, who=who, text=parsed.text, now=now)
    return Reply("Saved. Only your program lead sees session notes.")


def _attended(
    session: Session,
    who: rules.Caller,
    circle: Circle,
    parsed: command.Attended,
    _catalog: Catalog,
    _now: dt.datetime,
) -> Reply:
    recorded, unknown = rules.record_attendance(
        session, circle=circle, who=who, user_ids=parsed.user_ids
    )
    if unknown:
        return Reply(
            f"{', '.join(f'<@{u}>' for u in unknown)}"
            f" {'is' if len(unknown) == 1 else 'are'} not in this circle, so nothing was"
            " recorded. Check the names and try again."
        )
    return Reply(f"Recorded: {', '.join(f'<@{u}>' for u in recorded)} attended.")


def _add(
    session: Session,
    who: rules.Caller,
    circle: Circle,
    parsed: command.Add,
    _catalog: Catalog,
    now: dt.datetime,
) -> Reply:
    person = rules.add_member(session, circle=circle, who=who, user_id=parsed.user_id, now=now)
    _in_channel(
        session,
        circle,
        records.circle_invite(circle.id, person.id, now),
        "conversations.invite",
        {"users": parsed.user_id},
        now=now,
    )
    return Reply(f"Added <@{parsed.user_id}> to #{circle.channel_name}.", flush=FLUSH)


def _remove(
    session: Session,
    who: rules.Caller,
    circle: Circle,
    parsed: command.Remove,
    _catalog: Catalog,
    now: dt.datetime,
) -> Reply:
    person = rules.remove_member(session, circle=circle, who=who, user_id=parsed.user_id, now=now)
    _in_channel(
        session,
        circle,
        records.circle_kick(circle.id, person.id, now),
        "conversations.kick",
        {"user": parsed.user_id},
        now=now,
    )
    return Reply(
        f"Removed <@{parsed.user_id}> from #{circle.channel_name}. Their past attendance is kept.",
        flush=FLUSH,
    )


def _in_channel(
    session: Session,
    circle: Circle,
    record: Record,
    method: str,
    payload: dict[str, Any],
    *,
    now: dt.datetime,
) -> None:
    """Queue a change to the circle's channel (when it has one yet: provisioning adds everyone)."""
    if circle.slack_channel_id:
        outbox.enqueue(
            session,
            record,
            method=method,
            payload={"channel": circle.slack_channel_id, **payload},
            now=now,
            program_id=circle.program_id,
        )


def _close(
    session: Session,
    who: rules.Caller,
    circle: Circle,
    _parsed: command.Close,
    _catalog: Catalog,
    now: dt.datetime,
) -> Reply:
    rules.close(session, circle=circle, who=who, now=now)
    jobs.post_closing(session, circle=circle, now=now)
    return Reply(
        f"Closed: the closing pulse is posted in #{circle.channel_name}, and the channel is"
        " archived in a few days.",
        flush=FLUSH,
    )


_ON_A_CIRCLE: dict[type, Callable[..., Reply]] = {
    command.Schedule: _schedule,
    command.Prompt: _prompt,
    command.Note: _note,
    command.Attended: _attended,
    command.Add: _add,
    command.Remove: _remove,
    command.Close: _close,
}


def _form(
    session: Session, who: rules.Caller, parsed: command.Form, *, catalog: Catalog, now: dt.datetime
) -> Reply:
    """A lead forms this period's circles now (or previews them); their channels follow at once."""
    programs = [p for p in (session.get(Program, pid) for pid in who.lead_programs) if p]
    if not programs:
        raise Refusal("Only program leads can form circles.")
    if len(programs) > 1:
        raise Refusal(
            "You lead several programs; form circles with `upward circles form --program NAME`"
            " instead."
        )
    program = programs[0]
    template = catalog.programs.get(program.template)
    today = local_day(now, program.timezone)
    period = service.current_period(program, template, today) if template else None
    if period is None:
        raise Refusal(f"{program.name} has no circle period running today.")
    if parsed.dry_run:
        return Reply(
            texts.preview_text(
                service.plan_formation(
                    session, program=program, period=period, catalog=catalog, now=now
                )
            )
        )
    ids, existed = operations.form_now(
        session, program=program, period=period, catalog=catalog, now=now
    )
    if existed:
        return Reply(
            f"{program.name} already has {count(len(ids), 'circle')} for {period.start:%B %Y};"
            " nothing was changed."
        )

    def provision(context: dict, client: WebClient) -> str | None:
        try:
            for circle_id in ids:
                jobs.provision(
                    context["sessions"], client, circle_id=circle_id, catalog=catalog, now=now
                )
        except SlackApiError as exc:
            log.warning("circle channels not all created: %s", exc.response.get("error"))
            return (
                f"Formed {count(len(ids), 'circle')} for {program.name} ({period.start:%B %Y});"
                " Slack did not create every channel just now, so Upward finishes them within a"
                " minute."
            )
        return None

    return Reply(
        f"Formed {count(len(ids), 'circle')} for {program.name} ({period.start:%B %Y});"
        f" {'their channels are' if len(ids) != 1 else 'its channel is'} ready.",
        after=provision,
        flush=FLUSH_FORMED,
    )


# -- the buttons in a member's DM and the circle's channel ----------------------------------------
@dataclass(frozen=True)
class CircleChoice:
    """A circle button's value: `circle id|choice`."""

    circle_id: int
    choice: str


def parse_choice(body: dict) -> CircleChoice:
    circle, _, rest = clicked_value(body).partition("|")
    circle_id = row_id(circle)
    return CircleChoice(circle_id, rest) if circle_id is not None else CircleChoice(0, "")


def met(session: Session, caller: Caller, c: CircleChoice, _now: dt.datetime) -> Reply:
    """ "Did your circle meet?": the member's answer replaces the question."""
    labels = dict(blocks.MET_CHOICES)
    member = _membership(session, c.circle_id, caller.user_id)
    if member is None or c.choice not in labels:
        return Reply("That question was not for you, so nothing was recorded.")
    member.met_response = c.choice
    if c.choice == "yes":
        member.attended = True
    return Reply(f"Thanks, recorded: {labels[c.choice]}.", replace_original=True)


def pulse(session: Session, caller: Caller, c: CircleChoice, _now: dt.datetime) -> Reply:
    """A member's 1–5 rating of the closing circle (a second click changes it)."""
    rating = number(c.choice, low=1, high=5)
    member = _membership(session, c.circle_id, caller.user_id)
    if member is None or rating is None:
        return Reply("Only this circle's members can rate it; nothing was recorded.")
    member.pulse = rating
    return Reply(
        f"Thanks! You rated this circle {rating} out of 5. You can change it by clicking again."
    )


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
