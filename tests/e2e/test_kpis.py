"""The weekly KPI check-in: one message, buttons only, once a week, values recorded and
changeable."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from bot.models import KpiObservation, ObservationSource, Person, PersonStatus
from tests.e2e.conftest import Stack, eventually

UTC = dt.UTC
SOFIA, ARJUN, ROBERT = "U07EXEC0003", "U07EXEC0006", "U07EXEC0002"  # Berlin, Kolkata, New York


def checkins(stack: Stack, uid: str) -> list[dict]:
    return [
        m
        for m in stack.person(uid).bot_dms()
        if m.get("text") == "Your weekly check-in (under a minute)"
    ]


def observations(stack: Stack, uid: str) -> list[tuple[str, dt.date, int]]:
    from bot.models import Kpi

    with stack.session() as s:
        return [
            (key, week, value)
            for key, week, value in s.execute(
                select(Kpi.key, KpiObservation.period_start, KpiObservation.value)
                .join(Kpi, Kpi.id == KpiObservation.kpi_id)
                .join(Person, Person.id == KpiObservation.person_id)
                .where(
                    Person.slack_user_id == uid,
                    KpiObservation.source == ObservationSource.self_report,
                )
                .order_by(Kpi.id)
            )
        ]


def test_check_in_arrives_on_friday_in_each_persons_window_once(stack: Stack) -> None:
    stack.create_pilot(start=dt.date(2026, 12, 1))
    for hour in range(0, 24 * 3):  # Tuesday to Thursday (UTC): no check-in yet
        stack.tick(dt.datetime(2026, 12, 1, tzinfo=UTC) + dt.timedelta(hours=hour))
    assert checkins(stack, SOFIA) == [] and checkins(stack, ARJUN) == []
    for hour in range(24 * 3, 24 * 5):  # Friday and Saturday
        stack.tick(dt.datetime(2026, 12, 1, tzinfo=UTC) + dt.timedelta(hours=hour))
    for uid in (SOFIA, ARJUN, ROBERT):
        assert len(checkins(stack, uid)) == 1, uid
    message = checkins(stack, SOFIA)[0]
    text = json.dumps(message["blocks"])
    assert "Your weekly check-in" in text and "Week of 30 November" in text
    assert "junior colleague for their view" in text  # the pilot's first KPI question


def test_values_are_recorded_shown_and_can_be_changed(stack: Stack) -> None:
    stack.create_pilot(start=dt.date(2026, 12, 1))
    stack.tick(dt.datetime(2026, 12, 4, 9, 30, tzinfo=UTC))  # Friday 10:30 in Berlin
    sofia = stack.person(SOFIA)
    message = checkins(stack, SOFIA)[0]
    sofia.click(message, action_id="kpis.value:2")
    eventually(lambda: "You said *2*" in json.dumps(checkins(stack, SOFIA)[0]["blocks"]))
    assert observations(stack, SOFIA) == [("junior-view-first", dt.date(2026, 11, 30), 2)]
    sofia.click(checkins(stack, SOFIA)[0], action_id="kpis.value:4")
    eventually(lambda: "You said *4*" in json.dumps(checkins(stack, SOFIA)[0]["blocks"]))
    assert observations(stack, SOFIA) == [("junior-view-first", dt.date(2026, 11, 30), 4)]
    assert len(checkins(stack, SOFIA)) == 1, "the message is updated in place, not reposted"


def test_someone_elses_check_in_records_nothing_and_opted_out_people_get_none(stack: Stack) -> None:
    stack.create_pilot(start=dt.date(2026, 12, 1))
    with stack.sessions.begin() as s:
        s.scalars(
            select(Person).where(Person.slack_user_id == ROBERT)
        ).one().status = PersonStatus.opted_out
    stack.tick(dt.datetime(2026, 12, 4, 9, 30, tzinfo=UTC))
    message = checkins(stack, SOFIA)[0]
    from bot.sandbox import payloads

    found = stack.person(SOFIA).find_action(message, action_id="kpis.value:3")
    with stack.slack.workspace.lock:
        action = payloads.action_entry(found["block"], found["element"], option=None)
        payload = payloads.block_actions(
            stack.slack.workspace,
            user_id="U07MENT0001",
            action=action,
            message=message,
            channel_id=found["channel_id"],
            is_ephemeral=False,
        )
    assert stack.sender.send_interaction(payload).status == 200
    eventually(lambda: stack.person("U07MENT0001").ephemerals())
    assert "not for you" in stack.person("U07MENT0001").ephemerals()[-1]["text"]
    assert observations(stack, SOFIA) == [] and observations(stack, "U07MENT0001") == []
    stack.tick(dt.datetime(2026, 12, 4, 15, 30, tzinfo=UTC))
    assert checkins(stack, ROBERT) == []


def test_mentors_rate_their_circle_s_executives_once_the_circle_closes_and_nobody_else_can(
    stack: Stack,
) -> None:
    from bot.kpis.blocks import OBSERVATION_TEXT
    from bot.models import Circle
    from tests.e2e.test_circles import circles_in_db, form_december, run

    form_december(stack, executives=8, mentors=2)
    (circle, members), (other, other_members) = circles_in_db(stack)[:2]
    mentor_id = next(uid for uid, role in members if role.value == "mentor")
    other_mentor = next(uid for uid, role in other_members if role.value == "mentor")
    executives = [uid for uid, role in members if role.value == "executive"]
    mentor = stack.person(mentor_id)
    stack.clock.set(dt.datetime(2026, 12, 3, 10, tzinfo=UTC))
    assert "Closed" in run(mentor, "close", circle.slack_channel_id)
    stack.tick(dt.datetime(2026, 12, 3, 10, 5, tzinfo=UTC))
    sheet = mentor.wait_for_dm(OBSERVATION_TEXT)
    assert sheet is not None and all(
        f"<@{uid}>" in json.dumps(sheet["blocks"]) for uid in executives
    )
    assert not [
        m for m in stack.person(other_mentor).bot_dms() if m.get("text") == OBSERVATION_TEXT
    ], "only the closed circle's mentor"

    def mentor_values() -> list[tuple[str, int]]:
        with stack.session() as s:
            return sorted(
                (uid, value)
                for uid, value in s.execute(
                    select(Person.slack_user_id, KpiObservation.value)
                    .join(Person, Person.id == KpiObservation.person_id)
                    .where(KpiObservation.source == ObservationSource.mentor)
                )
            )

    mentor.click(sheet, action_id="kpis.observe:4")
    eventually(lambda: mentor_values())
    first = mentor_values()
    assert len(first) == 1 and first[0][1] == 4
    assert eventually(
        lambda: any(
            ":white_check_mark: *4*" in json.dumps(m.get("blocks")) for m in mentor.bot_dms()
        )
    ), "the sheet shows the value"

    from bot.sandbox import payloads

    found = mentor.find_action(sheet, action_id="kpis.observe:1")
    for intruder in (
        executives[0],
        other_mentor,
    ):  # the payload claims a rating; the roster says no
        before = len(stack.person(intruder).ephemerals())
        with stack.slack.workspace.lock:
            action = payloads.action_entry(found["block"], found["element"], option=None)
            body = payloads.block_actions(
                stack.slack.workspace,
                user_id=intruder,
                action=action,
                message=sheet,
                channel_id=found["channel_id"],
                is_ephemeral=False,
            )
        assert stack.sender.send_interaction(body).status == 200
        assert eventually(lambda u=intruder, n=before: len(stack.person(u).ephemerals()) > n)
        assert "Only this circle's mentor" in stack.person(intruder).ephemerals()[-1]["text"]
    assert mentor_values() == first
    with stack.session() as s:
        assert s.get(Circle, circle.id).status.value == "closing"
