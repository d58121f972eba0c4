"""`/circle` and the circle buttons called directly: a command or a click, a real session, a `now`.

Roles come from the roster, never from the request; a refusal writes nothing, and whatever Slack
must show or do is a row in the outbox.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.circles import actions, command
from bot.content.loader import Catalog
from bot.errors import Refusal
from bot.models import (
    Circle,
    CircleMember,
    CirclePrompt,
    CircleStatus,
    Membership,
    MentorNote,
    OutboxMessage,
    OutboxStatus,
    Person,
    PersonStatus,
    Program,
    Purpose,
    Role,
)
from bot.slack.acking import Caller
from bot.slack.replies import Reply
from tests import factories
from tests.rows import writes_nothing

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 2, 9, tzinfo=UTC)  # a Wednesday; 10:00 in Berlin
CHANNEL = "C0CIRCLE01"
ELSEWHERE = "D0SOMEDM01"  # a DM with Upward: no circle's channel


@dataclass
class World:
    cat: Catalog
    prog: Program
    lead: Person
    mentor: Person
    exec1: Person
    exec2: Person
    exec3: Person  # on the roster, in no circle
    circle: Circle


@pytest.fixture()
def world(session: Session) -> World:
    cat = factories.catalog(weeks=8)
    prog = factories.program(session, cat)

    def on_roster(uid: str, role: Role = Role.executive) -> Person:
        return factories.person(session, prog, uid, tz="Europe/Berlin", country="DE", role=role)

    lead = on_roster("U0LEAD0001", Role.lead)
    mentor = on_roster("U0MENTOR01", Role.mentor)
    exec1, exec2, exec3 = (on_roster(f"U0EXEC000{i}") for i in (1, 2, 3))
    circle = factories.circle(
        session,
        prog,
        [(mentor, Role.mentor), (exec1, Role.executive), (exec2, Role.executive)],
        channel_id=CHANNEL,
    )
    return World(cat, prog, lead, mentor, exec1, exec2, exec3, circle)


def run(
    session: Session,
    w: World,
    who: str,
    text: str,
    *,
    channel: str = CHANNEL,
    now: dt.datetime = NOW,
) -> Reply:
    request = actions.CircleCommand(command.parse(text), w.cat)
    return actions.run_command(session, Caller(who, channel), request, now)


def rows(session: Session, purpose: Purpose) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == purpose).order_by(OutboxMessage.id)
        )
    )


def member(session: Session, circle: Circle, person: Person) -> CircleMember:
    return session.scalars(
        select(CircleMember).where(
            CircleMember.circle_id == circle.id, CircleMember.person_id == person.id
        )
    ).one()


# -- help and list -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "who, says, does_not_say",
    [
        ("U0LEAD0001", ["/circle schedule", "/circle form"], ["not on a program roster"]),
        ("U0MENTOR01", ["/circle schedule", "/circle close"], ["/circle form"]),
        ("U0EXEC0001", ["/circle list", "as an executive you join"], ["/circle schedule"]),
        ("U0NOBODY01", ["not on a program roster yet"], ["/circle schedule", "/circle form"]),
    ],
)
def test_help_lists_what_the_callers_roles_allow(
    session: Session, world: World, who: str, says: list[str], does_not_say: list[str]
) -> None:
    with writes_nothing(session):
        reply = run(session, world, who, "help")
    assert reply.send == () and reply.text is not None
    assert all(s in reply.text for s in says) and not any(s in reply.text for s in does_not_say)


def test_list_shows_a_members_circle_with_its_people_and_meeting_in_their_zone(
    session: Session, world: World
) -> None:
    world.circle.meeting_at = dt.datetime(2026, 12, 10, 14, 30, tzinfo=UTC)

    reply = run(session, world, "U0EXEC0001", "list", channel=ELSEWHERE)

    assert reply == Reply(
        f"*<#{CHANNEL}>* (Mini): Thursday 10 December, 15:30 (CET)\n"
        "    <@U0MENTOR01> (mentor), <@U0EXEC0001>, <@U0EXEC0002>"
    )


def test_a_lead_lists_every_open_circle_of_their_program(session: Session, world: World) -> None:
    factories.circle(
        session, world.prog, [(world.exec3, Role.executive)], number=2, channel_id="C0CIRCLE02"
    )
    factories.circle(
        session, world.prog, [], number=3, channel_id="C0CIRCLE03", status=CircleStatus.archived
    )

    text = run(session, world, "U0LEAD0001", "list", channel=ELSEWHERE).text or ""

    assert "<#C0CIRCLE01>" in text and "<#C0CIRCLE02>" in text and "C0CIRCLE03" not in text


@pytest.mark.parametrize("who", ["U0EXEC0003", "U0NOBODY01"])
def test_someone_in_no_circle_is_told_so(session: Session, world: World, who: str) -> None:
    assert run(session, world, who, "list").text == "You have no circle this month."


# -- schedule ------------------------------------------------------------------------------------
def test_the_mentor_schedules_the_meeting_in_their_zone_with_a_reminder_for_each_member(
    session: Session, world: World
) -> None:
    reply = run(session, world, "U0MENTOR01", "schedule 2026-12-10 15:30")

    meeting = dt.datetime(2026, 12, 10, 14, 30, tzinfo=UTC)
    assert reply == Reply(
        "Done: the circle meets Thursday 10 December, 15:30 (CET). Members get a reminder an hour"
        " before.",
        flush=actions.FLUSH,
    )
    assert (world.circle.meeting_at, world.circle.asked_met_at) == (meeting, None)
    (posted,) = rows(session, Purpose.circle_scheduled)
    assert (
        posted.payload["channel"] == CHANNEL
        and "<@U0MENTOR01> set the circle's meeting" in (posted.payload["text"])
    )
    (topic,) = rows(session, Purpose.circle_topic)
    assert (topic.method, topic.payload) == (
        "conversations.setTopic",
        {
            "channel": CHANNEL,
            "topic": "Peer circle · December 2026 · meets Thursday 10 December, 15:30 (CET)",
        },
    )
    reminders = rows(session, Purpose.circle_reminder)
    assert sorted(r.payload["channel"] for r in reminders) == [
        "U0EXEC0001",
        "U0EXEC0002",
        "U0MENTOR01",
    ]
    assert {r.next_attempt_at for r in reminders} == {meeting - dt.timedelta(hours=1)}


def test_a_new_time_replaces_the_pending_reminders_and_keeps_those_already_sent(
    session: Session, world: World
) -> None:
    run(session, world, "U0MENTOR01", "schedule 2026-12-10 15:30")
    sent = rows(session, Purpose.circle_reminder)[0]
    sent.status = OutboxStatus.sent

    run(session, world, "U0LEAD0001", "schedule 2026-12-11 09:00")

    reminders = rows(session, Purpose.circle_reminder)
    second = dt.datetime(2026, 12, 11, 8, tzinfo=UTC)  # 09:00 in Berlin
    assert [r.id for r in reminders if r.next_attempt_at != second - dt.timedelta(hours=1)] == [
        sent.id
    ]
    assert len(reminders) == 1 + 3
    assert len(rows(session, Purpose.circle_scheduled)) == 2


def test_a_circle_without_its_channel_yet_gets_only_the_reminders(
    session: Session, world: World
) -> None:
    world.circle.slack_channel_id = None

    run(session, world, "U0MENTOR01", "schedule 2026-12-10 15:30", channel=ELSEWHERE)

    assert rows(session, Purpose.circle_scheduled) == rows(session, Purpose.circle_topic) == []
    assert len(rows(session, Purpose.circle_reminder)) == 3


def test_a_meeting_within_the_hour_is_reminded_at_once(session: Session, world: World) -> None:
    run(session, world, "U0MENTOR01", "schedule 2026-12-02 10:30")  # 09:30 UTC, NOW is 09:00

    assert {r.next_attempt_at for r in rows(session, Purpose.circle_reminder)} == {NOW}


@pytest.mark.parametrize(
    "who, channel, refusal",
    [
        ("U0EXEC0001", CHANNEL, "Only the circle's mentor or the program lead can schedule"),
        ("U0EXEC0001", ELSEWHERE, "Only the circle's mentor or the program lead can schedule"),
        ("U0EXEC0003", CHANNEL, "You can only schedule the meeting for your own circles"),
        ("U0NOBODY01", CHANNEL, "You can only schedule the meeting for your own circles"),
        ("U0NOBODY01", ELSEWHERE, "Upward does not know you yet"),
        ("U0LEAD0001", ELSEWHERE, "Run this in the circle's channel"),
        ("U0EXEC0003", ELSEWHERE, "You have no circle this month"),
    ],
)
def test_schedule_is_refused_to_anyone_but_the_circles_mentor_and_program_lead(
    session: Session, world: World, who: str, channel: str, refusal: str
) -> None:
    with writes_nothing(session), pytest.raises(Refusal, match=refusal):
        run(session, world, who, "schedule 2026-12-10 15:30", channel=channel)


def test_a_lead_of_another_program_cannot_schedule_this_circle(
    session: Session, world: World
) -> None:
    other = factories.program(session, world.cat, name="Other")
    factories.person(session, other, "U0LEAD0002", tz="UTC", country=None, role=Role.lead)

    with writes_nothing(session), pytest.raises(Refusal, match="for your own circles"):
        run(session, world, "U0LEAD0002", "schedule 2026-12-10 15:30")


def test_a_mentor_of_two_circles_must_say_which_by_the_channel(
    session: Session, world: World
) -> None:
    factories.circle(session, world.prog, [(world.mentor, Role.mentor)], number=2, channel_id=None)

    with writes_nothing(session), pytest.raises(Refusal, match="You are in several circles"):
        run(session, world, "U0MENTOR01", "schedule 2026-12-10 15:30", channel=ELSEWHERE)
    run(session, world, "U0MENTOR01", "schedule 2026-12-10 15:30")
    assert world.circle.meeting_at is not None


@pytest.mark.parametrize(
    "when, refusal",
    [
        ("2026-12-02 09:59", "has already passed"),  # 08:59 UTC
        ("2026-11-30 12:00", "has already passed"),
        ("2027-01-08 12:00", "This circle runs until 31 December"),
    ],
)
def test_a_meeting_in_the_past_or_after_the_period_is_refused(
    session: Session, world: World, when: str, refusal: str
) -> None:
    with writes_nothing(session), pytest.raises(Refusal, match=refusal):
        run(session, world, "U0MENTOR01", f"schedule {when}")


@pytest.mark.parametrize(
    "zone, when, refusal",
    [  # the last minute of the calendar west of UTC, its first east of it: no UTC instant exists
        ("America/Los_Angeles", "9999-12-31 23:59", "This circle runs until 31 December"),
        ("Europe/Berlin", "9999-12-31 23:59", "This circle runs until 31 December"),
        ("Pacific/Kiritimati", "0001-01-01 00:00", "has already passed"),
        ("Europe/Berlin", "0001-01-01 00:00", "has already passed"),
    ],
)
def test_a_date_at_either_end_of_the_calendar_is_refused_in_any_zone(
    session: Session, world: World, zone: str, when: str, refusal: str
) -> None:
    """It raised OverflowError after the ack: the mentor heard nothing."""
    world.mentor.timezone = zone
    session.flush()
    with writes_nothing(session), pytest.raises(Refusal, match=refusal):
        run(session, world, "U0MENTOR01", f"schedule {when}")


@pytest.mark.parametrize(
    "text",
    ["schedule 2026-12-10 15:30", "prompt", "add <@U0EXEC0003>", "remove <@U0EXEC0002>"],
)
def test_a_closed_circle_cannot_be_changed(session: Session, world: World, text: str) -> None:
    world.circle.status = CircleStatus.closing
    with writes_nothing(session), pytest.raises(Refusal, match="has closed"):
        run(session, world, "U0MENTOR01", text)


# -- prompt, note, attended ----------------------------------------------------------------------
def test_prompt_posts_a_prompt_the_circle_has_not_had_until_none_are_left(
    session: Session, world: World
) -> None:
    reply = run(session, world, "U0MENTOR01", "prompt")

    assert reply == Reply(f"Posted a new prompt in #{world.circle.channel_name}.", flush=20)
    (posted,) = rows(session, Purpose.circle_prompt)
    assert (posted.payload["channel"], posted.payload["text"]) == (CHANNEL, "Talk about cultural.")
    run(session, world, "U0LEAD0001", "prompt")
    run(session, world, "U0MENTOR01", "prompt")
    assert sorted(session.scalars(select(CirclePrompt.prompt_id))) == [
        "p-cultural",
        "p-digital",
        "p-inclusive",
    ]

    with writes_nothing(session):
        last = run(session, world, "U0MENTOR01", "prompt")
    assert last.text is not None and "has had every prompt" in last.text and last.flush == 0


def test_an_executive_cannot_post_a_prompt(session: Session, world: World) -> None:
    with writes_nothing(session), pytest.raises(Refusal, match="can post prompts"):
        run(session, world, "U0EXEC0002", "prompt")


def test_a_note_is_stored_for_the_lead_with_its_author(session: Session, world: World) -> None:
    reply = run(session, world, "U0MENTOR01", "note Tom asked about dashboards.")

    assert reply == Reply("Saved. Only your program lead sees session notes.")
    note = session.scalars(select(MentorNote)).one()
    assert (note.circle_id, note.author_id, note.text, note.created_at) == (
        world.circle.id,
        world.mentor.id,
        "Tom asked about dashboards.",
        NOW,
    )


def test_an_executive_cannot_write_session_notes(session: Session, world: World) -> None:
    with writes_nothing(session), pytest.raises(Refusal, match="can write session notes"):
        run(session, world, "U0EXEC0001", "note I was there")


def test_attendance_is_recorded_for_the_members_named(session: Session, world: World) -> None:
    reply = run(session, world, "U0MENTOR01", "attended <@U0EXEC0001> <@U0MENTOR01|mentor>")

    assert reply == Reply("Recorded: <@U0EXEC0001>, <@U0MENTOR01> attended.")
    assert [member(session, world.circle, p).attended for p in (world.exec1, world.mentor)] == [
        True,
        True,
    ]
    assert member(session, world.circle, world.exec2).attended is None


@pytest.mark.parametrize(
    "names, says",
    [
        ("<@U0EXEC0001> <@U0EXEC0003>", "<@U0EXEC0003> is not in this circle"),
        ("<@U0EXEC0003> <@U0NOBODY01>", "<@U0EXEC0003>, <@U0NOBODY01> are not in this circle"),
    ],
)
def test_attendance_naming_anyone_outside_the_circle_records_nobody(
    session: Session, world: World, names: str, says: str
) -> None:
    with writes_nothing(session):
        reply = run(session, world, "U0MENTOR01", f"attended {names}")
    assert reply.text is not None and reply.text.startswith(says)
    assert "nothing was recorded" in reply.text


# -- add, remove, close --------------------------------------------------------------------------
def test_add_puts_someone_from_the_roster_in_the_circle_and_invites_them(
    session: Session, world: World
) -> None:
    reply = run(session, world, "U0MENTOR01", "add <@U0EXEC0003|sam>")

    assert reply == Reply(f"Added <@U0EXEC0003> to #{world.circle.channel_name}.", flush=20)
    added = member(session, world.circle, world.exec3)
    assert (added.role, added.joined_at, added.left_at) == (Role.executive, NOW, None)
    (invite,) = rows(session, Purpose.circle_invite)
    assert (invite.method, invite.payload) == (
        "conversations.invite",
        {"channel": CHANNEL, "users": "U0EXEC0003"},
    )


def test_a_mentor_from_the_roster_joins_as_a_mentor(session: Session, world: World) -> None:
    factories.person(session, world.prog, "U0MENTOR02", tz="UTC", country=None, role=Role.mentor)
    run(session, world, "U0LEAD0001", "add <@U0MENTOR02>")
    roles = dict(
        session.execute(
            select(Person.slack_user_id, CircleMember.role).join(
                CircleMember, CircleMember.person_id == Person.id
            )
        ).all()
    )
    assert roles["U0MENTOR02"] == Role.mentor


def test_someone_removed_and_added_again_is_back_in_the_same_place(
    session: Session, world: World
) -> None:
    run(session, world, "U0MENTOR01", "remove <@U0EXEC0002>")
    later = NOW + dt.timedelta(hours=2)
    run(session, world, "U0MENTOR01", "add <@U0EXEC0002>", now=later)

    again = member(session, world.circle, world.exec2)
    assert (again.left_at, again.joined_at) == (None, later)
    assert len(rows(session, Purpose.circle_kick)) == len(rows(session, Purpose.circle_invite)) == 1


def test_a_circle_without_its_channel_yet_invites_nobody(session: Session, world: World) -> None:
    world.circle.slack_channel_id = None
    run(session, world, "U0MENTOR01", "add <@U0EXEC0003>", channel=ELSEWHERE)
    assert rows(session, Purpose.circle_invite) == []
    assert member(session, world.circle, world.exec3).left_at is None


@pytest.mark.parametrize(
    "who, text, refusal",
    [
        ("U0MENTOR01", "add <@U0NOBODY01>", "is not on this program's roster"),
        ("U0MENTOR01", "add <@U0EXEC0001>", "is already in this circle"),
        ("U0EXEC0001", "add <@U0EXEC0003>", "can change who is in the circle"),
        ("U0MENTOR01", "remove <@U0EXEC0003>", "is not in this circle"),
        ("U0EXEC0001", "remove <@U0EXEC0002>", "can change who is in the circle"),
    ],
)
def test_membership_changes_that_cannot_be_made_are_refused(
    session: Session, world: World, who: str, text: str, refusal: str
) -> None:
    with writes_nothing(session), pytest.raises(Refusal, match=refusal):
        run(session, world, who, text)


def test_remove_takes_a_member_out_and_keeps_their_history(session: Session, world: World) -> None:
    member(session, world.circle, world.exec2).attended = True

    reply = run(session, world, "U0LEAD0001", "remove <@U0EXEC0002>")

    assert reply.text is not None and "Their past attendance is kept." in reply.text
    gone = member(session, world.circle, world.exec2)
    assert (gone.left_at, gone.attended) == (NOW, True)
    (kick,) = rows(session, Purpose.circle_kick)
    assert (kick.method, kick.payload) == (
        "conversations.kick",
        {"channel": CHANNEL, "user": "U0EXEC0002"},
    )


def test_close_posts_the_closing_pulse_and_asks_the_mentor_to_rate_the_executives(
    session: Session, world: World
) -> None:
    reply = run(session, world, "U0MENTOR01", "close")

    assert reply.flush == actions.FLUSH and reply.text is not None
    assert reply.text.startswith(
        f"Closed: the closing pulse is posted in #{world.circle.channel_name}"
    )
    assert (world.circle.status, world.circle.closing_posted_at) == (CircleStatus.closing, NOW)
    (closing,) = rows(session, Purpose.circle_closing)
    assert closing.payload["channel"] == CHANNEL
    (sheet,) = rows(session, Purpose.observation)
    assert (sheet.payload["channel"], sheet.person_id) == ("U0MENTOR01", world.mentor.id)


@pytest.mark.parametrize(
    "who, status, refusal",
    [
        (
            "U0EXEC0001",
            CircleStatus.active,
            "Only the circle's mentor or the program lead can close",
        ),
        ("U0LEAD0001", CircleStatus.closing, "is already closed"),
    ],
)
def test_close_is_refused_to_members_and_to_a_closed_circle(
    session: Session, world: World, who: str, status: CircleStatus, refusal: str
) -> None:
    world.circle.status = status
    with writes_nothing(session), pytest.raises(Refusal, match=refusal):
        run(session, world, who, "close")


# -- form ----------------------------------------------------------------------------------------
@pytest.fixture()
def unformed(session: Session) -> World:
    """A program with a lead, two mentors and four executives, and no circles yet."""
    cat = factories.catalog(weeks=8)
    prog = factories.program(session, cat, name="Fresh")
    people = [
        factories.person(session, prog, uid, tz="Europe/Berlin", country="DE", role=role)
        for uid, role in [
            ("U0LEAD0001", Role.lead),
            ("U0MENTOR01", Role.mentor),
            ("U0MENTOR02", Role.mentor),
            *((f"U0EXEC000{i}", Role.executive) for i in range(1, 5)),
        ]
    ]
    lead, mentor, _, exec1, exec2, exec3, _ = people
    return World(cat, prog, lead, mentor, exec1, exec2, exec3, circle=None)  # type: ignore[arg-type]


def circles_of(session: Session, prog: Program) -> int:
    return (
        session.scalar(select(func.count()).select_from(Circle).where(Circle.program_id == prog.id))
        or 0
    )


def test_form_dry_run_previews_the_circles_and_forms_nothing(
    session: Session, unformed: World
) -> None:
    with writes_nothing(session):
        reply = run(session, unformed, "U0LEAD0001", "form --dry-run", channel=ELSEWHERE)
    assert reply.text is not None and reply.text.startswith("Proposed circles for December 2026:")
    assert reply.after is None and reply.flush == 0


def test_form_forms_this_periods_circles_and_leaves_their_channels_to_after_the_commit(
    session: Session, unformed: World
) -> None:
    reply = run(session, unformed, "U0LEAD0001", "form", channel=ELSEWHERE)

    assert circles_of(session, unformed.prog) == 1  # two mentors, four executives: one circle
    assert reply.text is not None and reply.text.startswith("Formed 1 circle")
    assert reply.text.endswith(" for Fresh (December 2026); its channel is ready.")
    assert reply.flush == actions.FLUSH_FORMED and callable(reply.after)

    with writes_nothing(session):
        again = run(session, unformed, "U0LEAD0001", "form", channel=ELSEWHERE)
    assert again.text is not None and again.text.startswith("Fresh already has 1 circle")
    assert again.text.endswith(" for December 2026; nothing was changed.")


@pytest.mark.parametrize("who", ["U0MENTOR01", "U0EXEC0001", "U0NOBODY01"])
def test_only_a_lead_can_form_circles(session: Session, unformed: World, who: str) -> None:
    with writes_nothing(session), pytest.raises(Refusal, match="Only program leads can form"):
        run(session, unformed, who, "form")


def test_a_lead_of_several_programs_forms_from_the_command_line(
    session: Session, unformed: World
) -> None:
    other = factories.program(session, unformed.cat, name="Other")
    session.add(Membership(program_id=other.id, person_id=unformed.lead.id, role=Role.lead))
    with writes_nothing(session), pytest.raises(Refusal, match="upward circles form --program"):
        run(session, unformed, "U0LEAD0001", "form")


def test_form_before_the_program_starts_is_refused(session: Session, unformed: World) -> None:
    with writes_nothing(session), pytest.raises(Refusal, match="no circle period running today"):
        run(session, unformed, "U0LEAD0001", "form", now=dt.datetime(2026, 11, 20, tzinfo=UTC))


# -- the buttons ---------------------------------------------------------------------------------
def choice(circle: Circle, value: str) -> actions.CircleChoice:
    return actions.CircleChoice(circle.id, value)


def test_did_you_meet_is_recorded_and_replaces_the_question(session: Session, world: World) -> None:
    reply = actions.met(session, Caller("U0EXEC0001"), choice(world.circle, "yes"), NOW)

    assert reply == Reply("Thanks, recorded: Yes, we met.", replace_original=True)
    answered = member(session, world.circle, world.exec1)
    assert (answered.met_response, answered.attended) == ("yes", True)


def test_we_could_not_meet_records_no_attendance(session: Session, world: World) -> None:
    actions.met(session, Caller("U0EXEC0002"), choice(world.circle, "couldnt"), NOW)

    answered = member(session, world.circle, world.exec2)
    assert (answered.met_response, answered.attended) == ("couldnt", None)


@pytest.mark.parametrize(
    "who, value, left",
    [
        ("U0EXEC0003", "yes", False),  # not in this circle
        ("U0NOBODY01", "yes", False),
        ("U0EXEC0001", "maybe", False),  # not a choice Upward offers
        ("U0EXEC0001", "", False),
        ("U0EXEC0002", "yes", True),  # removed from the circle
    ],
)
def test_did_you_meet_from_anyone_else_records_nothing(
    session: Session, world: World, who: str, value: str, left: bool
) -> None:
    if left:
        member(session, world.circle, world.exec2).left_at = NOW - dt.timedelta(days=1)
    with writes_nothing(session):
        reply = actions.met(session, Caller(who), choice(world.circle, value), NOW)
    assert reply == Reply("That question was not for you, so nothing was recorded.")


def test_a_pulse_is_recorded_and_a_second_click_changes_it(session: Session, world: World) -> None:
    first = actions.pulse(session, Caller("U0EXEC0001"), choice(world.circle, "2"), NOW)
    actions.pulse(session, Caller("U0EXEC0001"), choice(world.circle, "5"), NOW)

    assert first == Reply(
        "Thanks! You rated this circle 2 out of 5. You can change it by clicking again."
    )
    assert member(session, world.circle, world.exec1).pulse == 5


@pytest.mark.parametrize(
    "who, value",
    [("U0EXEC0003", "4"), ("U0EXEC0001", "0"), ("U0EXEC0001", "6"), ("U0EXEC0001", "")],
)
def test_a_pulse_off_the_scale_or_from_outside_records_nothing(
    session: Session, world: World, who: str, value: str
) -> None:
    with writes_nothing(session):
        reply = actions.pulse(session, Caller(who), choice(world.circle, value), NOW)
    assert reply == Reply("Only this circle's members can rate it; nothing was recorded.")


def pressed(value: Any) -> dict[str, Any]:
    return {"actions": [{"action_id": "circle.met:yes", "value": value}]}


@pytest.mark.parametrize(
    "value, parsed",
    [
        ("12|yes", (12, "yes")),
        ("12|", (12, "")),
        ("12", (12, "")),
        ("12|a|b", (12, "a|b")),
        ("0|yes", (0, "")),
        ("x|yes", (0, "")),
        ("99999999999|yes", (0, "")),
        ("", (0, "")),
        (None, (0, "")),
        (12, (0, "")),
    ],
)
def test_a_circle_button_value_is_read_and_anything_else_names_no_circle(
    value: Any, parsed: tuple[int, str]
) -> None:
    assert actions.parse_choice(pressed(value)) == actions.CircleChoice(*parsed)


@given(st.text(max_size=60))
def test_any_circle_button_value_parses_without_raising(value: str) -> None:
    parsed = actions.parse_choice(pressed(value))
    assert parsed.circle_id >= 0 and isinstance(parsed.choice, str)


def test_a_button_naming_no_circle_is_answered_politely(session: Session, world: World) -> None:
    nowhere = actions.parse_choice(pressed("x|yes"))
    with writes_nothing(session):
        assert actions.met(session, Caller("U0EXEC0001"), nowhere, NOW).replace_original is False
        assert actions.pulse(session, Caller("U0EXEC0001"), nowhere, NOW).text is not None


def test_one_circle_is_counted_as_one_circle(session: Session, unformed: World) -> None:
    """Fails: "Formed 1 circles" and "already has 1 circles" (STYLE: count words properly)."""
    formed = run(session, unformed, "U0LEAD0001", "form", channel=ELSEWHERE)
    again = run(session, unformed, "U0LEAD0001", "form", channel=ELSEWHERE)

    assert formed.text is not None and formed.text.startswith("Formed 1 circle for Fresh")
    assert again.text == "Fresh already has 1 circle for December 2026; nothing was changed."


def test_a_prompt_before_the_circle_has_its_channel_does_not_say_every_prompt_was_used(
    session: Session, world: World
) -> None:
    """Fails: with no channel yet, `/circle prompt` answers "This circle has had every prompt
    Upward has", though it has had none."""
    world.circle.slack_channel_id = None

    reply = run(session, world, "U0MENTOR01", "prompt", channel=ELSEWHERE)

    assert reply.text is not None and "has had every prompt" not in reply.text


def test_a_member_who_stopped_upwards_messages_gets_no_meeting_reminder(
    session: Session, world: World
) -> None:
    """Fails: _announce_meeting queues a reminder DM for every member still in the circle, an
    executive who clicked *Stop these messages* ("Upward will not send you anything more")
    included; forming circles leaves opted-out people out for that reason."""
    world.exec2.status = PersonStatus.opted_out

    run(session, world, "U0MENTOR01", "schedule 2026-12-10 15:30")

    assert sorted(r.payload["channel"] for r in rows(session, Purpose.circle_reminder)) == [
        "U0EXEC0001",
        "U0MENTOR01",
    ]
