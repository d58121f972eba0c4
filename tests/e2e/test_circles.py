"""Peer circles end to end, over HTTP only: formation, channels, /circle for each role, closing."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.models import Circle, CircleMember, CircleStatus, MentorNote, Person, Program, Role
from bot.sandbox import SimulatedUser
from tests.e2e.conftest import Stack, eventually

UTC = dt.UTC
DEPARTMENTS = ["Finance", "Sales", "Operations", "Legal", "Marketing", "Engineering"]
ZONES = [
    ("America/New_York", "US"),
    ("Europe/Berlin", "DE"),
    ("Europe/London", "GB"),
    ("Asia/Kolkata", "IN"),
]


def roster(
    stack: Stack, *, executives: int, mentors: int, lead: str = "U07LEAD0001"
) -> tuple[str, list[str], list[str]]:
    """Add people to the stand-in and return a roster CSV for them (plus the lead)."""
    lines = ["slack_user_id,role,country,department", f"{lead},lead,GB,People"]
    execs, ments = [], []
    for i in range(executives + mentors):
        tz, country = ZONES[i % len(ZONES)]
        role = "executive" if i < executives else "mentor"
        uid = stack.slack.workspace.add_user(
            name=f"{role}{i}", real_name=f"{role.title()} {i}", tz=tz
        )["id"]
        (execs if role == "executive" else ments).append(uid)
        department = DEPARTMENTS[i % len(DEPARTMENTS)] if role == "executive" else "Junior staff"
        lines.append(f"{uid},{role},{country},{department}")
    return "\n".join(lines) + "\n", execs, ments


def circles_in_db(stack: Stack) -> list[tuple[Circle, list[tuple[str, Role]]]]:
    with stack.session() as s:
        out = []
        for circle in s.scalars(select(Circle).order_by(Circle.period_start, Circle.number)):
            members = s.execute(
                select(Person.slack_user_id, CircleMember.role)
                .join(Person, Person.id == CircleMember.person_id)
                .where(CircleMember.circle_id == circle.id, CircleMember.left_at.is_(None))
            ).all()
            out.append((circle, [tuple(m) for m in members]))
        return out


def form_december(
    stack: Stack, *, executives: int = 24, mentors: int = 6, template: str = "quarter"
) -> tuple[list[str], list[str]]:
    csv, execs, ments = roster(stack, executives=executives, mentors=mentors)
    stack.create_pilot(
        start=dt.date(2026, 12, 1), roster=csv, template=template, name="Leaders 2026"
    )
    stack.tick(dt.datetime(2026, 12, 1, 10, tzinfo=UTC))
    return execs, ments


def test_a_months_formation_creates_the_right_channels_members_and_messages(stack: Stack) -> None:
    execs, ments = form_december(stack)
    circles = circles_in_db(stack)
    assert 4 <= len(circles) <= 6
    placed = Counter(
        uid for _, members in circles for uid, role in members if role == Role.executive
    )
    assert placed == Counter({uid: 1 for uid in execs}), "every executive is in exactly one circle"
    ws = stack.slack.workspace
    for number, (circle, members) in enumerate(circles, start=1):
        assert circle.status == CircleStatus.active
        assert circle.channel_name == f"circle-leaders-2026-2026-12-{number}"
        info = ws.channel_info(circle.slack_channel_id)
        assert info["is_private"] and info["name"] == circle.channel_name
        assert {uid for uid, _ in members} <= set(
            ws.channel_info(circle.slack_channel_id)["members"]
        )
        mentors = [uid for uid, role in members if role == Role.mentor]
        assert 1 <= len(mentors) <= len(members) - len(mentors)
        assert 4 <= len(members) <= 7
        welcome = ws.channel_messages(circle.slack_channel_id)[0]
        text = json.dumps(welcome["blocks"])
        assert (
            "Welcome to your peer circle for December 2026" in text and f"<@{mentors[0]}>" in text
        )
        assert "To start you off" in text
    assert ws.calls_to("conversations.setPurpose") and ws.calls_to("conversations.setTopic")


def test_people_paused_through_the_month_are_left_out_and_left_in_peace(stack: Stack) -> None:
    """Paused means no DM of any kind (issue 15), the "you have no circle" note included; the
    formation preview gives the lead the reason."""
    csv, execs, _ = roster(stack, executives=12, mentors=3)
    stack.create_pilot(
        start=dt.date(2026, 12, 1), roster=csv, template="quarter", name="Leaders 2026"
    )
    with stack.sessions.begin() as s:
        person = s.scalars(select(Person).where(Person.slack_user_id == execs[0])).one()
        # A pause runs to the start of the chosen day in the person's own zone, as the pause button
        # sets it.
        person.paused_until = dt.datetime(2027, 1, 15, tzinfo=ZoneInfo(person.timezone)).astimezone(
            UTC
        )
    stack.tick(dt.datetime(2026, 12, 1, 10, tzinfo=UTC))
    members = {uid for _, ms in circles_in_db(stack) for uid, _ in ms}
    assert execs[0] not in members and set(execs[1:]) <= members
    assert stack.person(execs[0]).bot_dms() == []


def test_six_months_of_formation_never_pair_anyone_twice(stack: Stack) -> None:
    csv, execs, ments = roster(stack, executives=36, mentors=12)
    stack.create_pilot(
        start=dt.date(2026, 12, 1), roster=csv, template="enterprise", name="Enterprise"
    )
    with (
        stack.sessions.begin() as s
    ):  # circles of 4: 3 executives and a mentor (feasible for 6 months)
        program = s.scalars(select(Program)).one()
        program.settings = {**program.settings, "circle_size_min": 4, "circle_size_max": 4}
    for month in range(6):
        first = dt.date(2026 + (11 + month) // 12, (11 + month) % 12 + 1, 1)
        for day in range(4):  # the first working days of the month
            stack.tick(dt.datetime.combine(first + dt.timedelta(days=day), dt.time(10), tzinfo=UTC))
    circles = circles_in_db(stack)
    assert len({c.period_start for c, _ in circles}) == 6
    seen: Counter[frozenset[str]] = Counter()
    for _, members in circles:
        for a, b in itertools.combinations(sorted(uid for uid, _ in members), 2):
            seen[frozenset((a, b))] += 1
    assert max(seen.values()) == 1, [pair for pair, n in seen.items() if n > 1][:5]
    # Earlier months were closed and archived along the way.
    assert {c.status for c, _ in circles if c.period_start < dt.date(2027, 4, 1)} == {
        CircleStatus.archived
    }


def in_circle(stack: Stack) -> tuple[Circle, str, str, SimulatedUser, SimulatedUser, SimulatedUser]:
    circle, members = circles_in_db(stack)[0]
    mentor = next(uid for uid, role in members if role == Role.mentor)
    executive = next(uid for uid, role in members if role == Role.executive)
    return (
        circle,
        mentor,
        executive,
        stack.person(mentor),
        stack.person(executive),
        stack.person("U07LEAD0001"),
    )


def reply(person: SimulatedUser, before: int) -> str:
    eventually(lambda: len(person.ephemerals()) > before)
    return person.ephemerals()[-1]["text"]


def run(person: SimulatedUser, text: str, channel: str | None = None) -> str:
    before = len(person.ephemerals())
    assert person.command("/circle", text, channel_id=channel).status == 200
    return reply(person, before)


def test_every_subcommand_works_for_its_role_and_is_refused_for_others(stack: Stack) -> None:
    form_december(stack, executives=12, mentors=3)
    circle, mentor_id, exec_id, mentor, executive, lead = in_circle(stack)
    ch = circle.slack_channel_id
    stack.clock.set(dt.datetime(2026, 12, 2, 9, tzinfo=UTC))

    assert "/circle schedule" in run(mentor, "help", ch) and "/circle form" not in run(
        mentor, "help", ch
    )
    assert "/circle form" in run(lead, "help")
    assert "Mentors and program leads run circles" in run(executive, "", ch)
    assert f"<#{ch}>" in run(executive, "list")
    assert run(lead, "list").count("<#") == len(circles_in_db(stack))

    refused = "Only the circle's mentor or the program lead"
    for text in (
        "schedule 2026-12-10 15:00",
        "prompt",
        "note hello",
        f"attended <@{exec_id}>",
        f"remove <@{mentor_id}>",
        "close",
    ):
        assert refused in run(
            executive, text, ch
        ) or "Only the circle's mentor or the program lead can close" in run(executive, text, ch), (
            text
        )
    assert "Only program leads can form circles" in run(mentor, "form --dry-run", ch)

    assert "Done: the circle meets" in run(mentor, "schedule 2026-12-10 15:00", ch)
    assert any(
        "set the circle's meeting for" in m.get("text", "")
        for m in stack.slack.workspace.channel_messages(ch)
    )
    assert "already passed" in run(mentor, "schedule 2026-11-30 15:00", ch)
    assert "Posted a new prompt" in run(mentor, "prompt", ch)
    assert "Only your program lead sees" in run(
        mentor, "note Tom asked how we read TikTok analytics.", ch
    )
    with stack.session() as s:
        assert s.scalars(select(MentorNote.text)).all() == [
            "Tom asked how we read TikTok analytics."
        ]
    assert "Recorded" in run(mentor, f"attended <@{exec_id}> <@{mentor_id}>", ch)
    assert "not in this circle, so nothing was recorded" in run(
        mentor, "attended <@U07EXEC0001>", ch
    )
    other = next(
        uid for c, ms in circles_in_db(stack)[1:] for uid, role in ms if role == Role.executive
    )
    assert "Added" in run(mentor, f"add <@{other}>", ch)
    assert other in stack.slack.workspace.channel_info(ch)["members"]
    assert "Removed" in run(mentor, f"remove <@{other}>", ch)
    assert other not in stack.slack.workspace.channel_info(ch)["members"]
    assert "not in this circle" in run(mentor, f"remove <@{other}>", ch)
    assert "Proposed circles" in run(lead, "form --dry-run") or "already has" in run(
        lead, "form --dry-run"
    )
    assert "already has" in run(lead, "form")
    assert "Closed" in run(lead, "close", ch)
    assert "already closed" in run(mentor, "close", ch)
    assert "no `/circle dance`" in run(mentor, "dance", ch)


def test_reminder_did_you_meet_closing_and_archiving_happen_on_time(stack: Stack) -> None:
    form_december(stack, executives=12, mentors=3)
    circle, mentor_id, exec_id, mentor, executive, _ = in_circle(stack)
    stack.clock.set(dt.datetime(2026, 12, 2, 9, tzinfo=UTC))
    run(mentor, "schedule 2026-12-10 15:00", circle.slack_channel_id)
    with stack.session() as s:
        meeting = s.get(Circle, circle.id).meeting_at
    # A channel topic is plain text in Slack (no <!date> rendering): the time reads as written.
    topic = stack.slack.workspace.calls_to("conversations.setTopic")[-1].args["topic"]
    assert "meets Thursday 10 December, 15:00" in topic and "<!date" not in topic
    stack.tick(meeting - dt.timedelta(hours=2))
    assert not any("meets in an hour" in m.get("text", "") for m in executive.bot_dms())
    stack.tick(meeting - dt.timedelta(minutes=59))
    assert any("meets in an hour" in m.get("text", "") for m in executive.bot_dms())
    stack.tick(meeting + dt.timedelta(hours=2))
    question = executive.wait_for_dm("Did your peer circle meet?")
    executive.click(question, text="Yes, we met")

    def recorded() -> bool:
        with stack.session() as s:
            member = s.scalars(
                select(CircleMember)
                .join(Person)
                .where(CircleMember.circle_id == circle.id, Person.slack_user_id == exec_id)
            ).one()
            return member.met_response == "yes" and member.attended is True

    assert eventually(recorded)
    # The month ends: closing pulse the next day, archive three days later.
    stack.tick(dt.datetime(2027, 1, 1, 10, tzinfo=UTC))
    closing = stack.slack.workspace.channel_messages(circle.slack_channel_id)[-1]
    assert "How useful was this circle" in json.dumps(closing["blocks"])
    executive.click(closing, text="4", channel_id=circle.slack_channel_id)
    stack.tick(dt.datetime(2027, 1, 3, 10, tzinfo=UTC))
    assert not stack.slack.workspace.channel_info(circle.slack_channel_id)["is_archived"]
    stack.tick(dt.datetime(2027, 1, 4, 11, tzinfo=UTC))
    assert stack.slack.workspace.channel_info(circle.slack_channel_id)["is_archived"]
    with stack.session() as s:
        row = s.get(Circle, circle.id)
        assert row.status == CircleStatus.archived
        pulses = s.scalars(
            select(CircleMember.pulse).where(
                CircleMember.circle_id == circle.id, CircleMember.pulse.is_not(None)
            )
        ).all()
    assert pulses == [4], "nothing about the circle is lost when its channel is archived"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # HTTP-bound; one backend is enough
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.text(max_size=200)
    | st.sampled_from(
        [
            "schedule 9999-99-99 99:99",
            "attended <@U1|x> @y",
            "note " + "é" * 2500,
            "add <@UNOBODY1>",
        ]
    )
)
def test_arbitrary_text_never_causes_a_server_error(stack: Stack, text: str) -> None:
    if not circles_in_db(stack):
        form_december(stack, executives=8, mentors=2)
    circle, _, _, mentor, _, _ = in_circle(stack)
    before = len(mentor.ephemerals())
    response = mentor.command("/circle", text, channel_id=circle.slack_channel_id)
    if (
        "\x00" in text
    ):  # no Slack client can send a NUL: the web layer refuses the request as malformed
        assert response.status == 400 and "NUL" in response.text
        return
    assert response.status == 200
    assert reply(mentor, before)


def test_a_taken_channel_name_moves_to_the_next_free_one(stack: Stack) -> None:
    from slack_sdk import WebClient

    client = WebClient(base_url=stack.slack.api_url, token=stack.slack.bot_token)
    client.conversations_create(
        name="circle-leaders-2026-2026-12-1", is_private=False
    )  # someone got there first
    form_december(stack, executives=12, mentors=3)
    names = [c.channel_name for c, _ in circles_in_db(stack)]
    assert (
        names[0] == "circle-leaders-2026-2026-12-1-2"
        and names[1] == "circle-leaders-2026-2026-12-2"
    )
    assert (
        stack.slack.workspace.channel_info(circles_in_db(stack)[0][0].slack_channel_id)["name"]
        == names[0]
    )


def test_a_mentor_with_several_circles_is_asked_to_use_the_channel(stack: Stack) -> None:
    form_december(stack, executives=12, mentors=1)  # one mentor serves every circle
    circle, mentor_id, _, mentor, _, _ = in_circle(stack)
    assert len(circles_in_db(stack)) >= 2
    assert "run the command in the circle's channel" in run(mentor, "prompt")
    assert "Posted a new prompt" in run(mentor, "prompt", circle.slack_channel_id)
