"""The digest's at-risk buttons called directly: nudge, pause, ping the mentor.

Only a current lead of the executive's program may use them, checked against the roster on every
click; a refused click writes nothing, and a repeated one sends nothing twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.digest import actions
from bot.errors import Refusal
from bot.governance.forget import forget_person
from bot.models import (
    CircleMember,
    Membership,
    OutboxMessage,
    Person,
    PersonStatus,
    Program,
    Purpose,
    Role,
)
from bot.slack import records
from bot.slack.acking import Caller
from bot.slack.replies import Reply
from tests import factories
from tests.rows import writes_nothing

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 16, 9, tzinfo=UTC)  # a Wednesday; 04:00 in New York
LEAD = Caller("U0LEAD0001")
ACTIONS: dict[str, Callable[..., Reply]] = {
    "nudge": actions.nudge,
    "pause": actions.pause,
    "ping_mentor": actions.ping_mentor,
}


@dataclass
class World:
    prog: Program
    lead: Person
    executive: Person
    mentor: Person  # of the executive's newest circle
    value: str  # what the executive's buttons in the digest carry


@pytest.fixture()
def world(session: Session) -> World:
    cat = factories.catalog(weeks=8)
    prog = factories.program(session, cat, start=dt.date(2026, 11, 2))
    lead = factories.person(
        session,
        prog,
        "U0LEAD0001",
        tz="Europe/Berlin",
        country="DE",
        role=Role.lead,
        name="Lena Lead",
    )
    executive = factories.person(
        session, prog, "U0EXEC0001", tz="America/New_York", country="US", name="Erin Example"
    )
    earlier, mentor = (
        factories.person(session, prog, uid, tz="Europe/Berlin", country="DE", role=Role.mentor)
        for uid in ("U0MENTOR01", "U0MENTOR02")
    )
    factories.circle(
        session,
        prog,
        [(earlier, Role.mentor), (executive, Role.executive)],
        start=dt.date(2026, 11, 2),
        end=dt.date(2026, 11, 30),
        channel_id="C0CIRCLE11",
    )
    factories.circle(
        session, prog, [(mentor, Role.mentor), (executive, Role.executive)], channel_id="C0CIRCLE12"
    )
    return World(prog, lead, executive, mentor, f"{prog.id}|{executive.id}")


def rows(session: Session, purpose: Purpose) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == purpose).order_by(OutboxMessage.id)
        )
    )


# -- nudge ---------------------------------------------------------------------------------------
def test_a_nudge_is_one_friendly_dm_from_the_lead(session: Session, world: World) -> None:
    reply = actions.nudge(session, LEAD, world.value, NOW)

    day = dt.date(2026, 12, 16)
    assert reply == Reply(
        "Sent Erin Example a friendly nudge.",
        send=(records.nudge(world.prog.id, world.executive.id, day),),
    )
    (row,) = rows(session, Purpose.nudge)
    assert (row.method, row.payload["channel"], row.person_id, row.period) == (
        "chat.postMessage",
        "U0EXEC0001",
        world.executive.id,
        day.isoformat(),
    )
    assert row.payload["text"].startswith("Hi Erin, Lena Lead here from Mini.")


def test_one_nudge_a_day_in_the_executives_own_zone(session: Session, world: World) -> None:
    actions.nudge(session, LEAD, world.value, NOW)
    evening_in_new_york = dt.datetime(2026, 12, 16, 23, tzinfo=UTC)
    next_morning = dt.datetime(2026, 12, 17, 6, tzinfo=UTC)  # 01:00 on the 17th in New York

    with writes_nothing(session):
        again = actions.nudge(session, LEAD, world.value, evening_in_new_york)
    assert again == Reply("Erin Example already had a nudge today; one a day is plenty.")
    assert actions.nudge(session, LEAD, world.value, next_morning).send
    assert [r.period for r in rows(session, Purpose.nudge)] == ["2026-12-16", "2026-12-17"]


def test_an_executive_who_stopped_upwards_messages_is_not_nudged(
    session: Session, world: World
) -> None:
    world.executive.status = PersonStatus.opted_out
    with writes_nothing(session), pytest.raises(Refusal, match="Erin Example has stopped"):
        actions.nudge(session, LEAD, world.value, NOW)


@pytest.mark.parametrize(
    "quiet, reason",
    [
        ("paused", "Erin Example is paused until Friday 15 January, so no nudge was sent."),
        ("snoozed", "Erin Example is paused until Wednesday 23 December, so no nudge was sent."),
        ("paused until they resume", "Erin Example has paused Upward until they resume"),
    ],
)
def test_a_paused_or_snoozed_executive_is_not_nudged_and_the_lead_hears_why(
    session: Session, world: World, quiet: str, reason: str
) -> None:
    """The lead's explicit nudge is no exception to quiet: it is refused with the reason."""
    if quiet == "paused":
        world.executive.paused_until = dt.datetime(2027, 1, 15, 5, tzinfo=dt.UTC)
    elif quiet == "snoozed":
        world.executive.paused_until = NOW + dt.timedelta(days=7)
    else:
        world.executive.status = PersonStatus.paused
    with writes_nothing(session), pytest.raises(Refusal, match=re.escape(reason)):
        actions.nudge(session, LEAD, world.value, NOW)


def test_a_paused_mentor_is_not_pinged_and_the_lead_hears_why(
    session: Session, world: World
) -> None:
    world.mentor.paused_until = dt.datetime(2027, 1, 15, 5, tzinfo=dt.UTC)
    with writes_nothing(session), pytest.raises(Refusal, match="is paused until Friday 15 January"):
        actions.ping_mentor(session, LEAD, world.value, NOW)


# -- pause ---------------------------------------------------------------------------------------
def test_pause_holds_everything_for_two_weeks(session: Session, world: World) -> None:
    reply = actions.pause(session, LEAD, world.value, NOW)

    assert reply == Reply(
        "Paused Erin Example until 30 December: no modules, reminders or check-ins until then."
    )
    assert (world.executive.paused_until, world.executive.updated_at) == (
        NOW + actions.PAUSE,
        NOW,
    )
    assert rows(session, Purpose.nudge) == []


def test_a_longer_pause_is_kept_and_a_shorter_one_is_extended(
    session: Session, world: World
) -> None:
    world.executive.paused_until = NOW + dt.timedelta(weeks=3)
    with writes_nothing(session):
        kept = actions.pause(session, LEAD, world.value, NOW)
    assert kept == Reply("Erin Example is already paused until 6 January.")

    world.executive.paused_until = NOW + dt.timedelta(days=1)
    actions.pause(session, LEAD, world.value, NOW)
    assert world.executive.paused_until == NOW + actions.PAUSE


# -- ping the mentor -----------------------------------------------------------------------------
def test_the_mentor_of_the_newest_circle_is_asked_to_check_in(
    session: Session, world: World
) -> None:
    reply = actions.ping_mentor(session, LEAD, world.value, NOW)

    assert reply == Reply(
        "Asked <@U0MENTOR02> to check in with Erin Example.",
        send=(records.ping_mentor(world.prog.id, world.executive.id, dt.date(2026, 12, 16)),),
    )
    (row,) = rows(session, Purpose.ping_mentor)
    assert row.payload["channel"] == "U0MENTOR02"
    assert row.payload["text"].startswith(
        "<@U0LEAD0001> asks: could you check in with <@U0EXEC0001>"
    )


def test_a_mentor_is_pinged_about_an_executive_once_a_day(session: Session, world: World) -> None:
    actions.ping_mentor(session, LEAD, world.value, NOW)
    with writes_nothing(session):
        again = actions.ping_mentor(session, LEAD, world.value, NOW + dt.timedelta(hours=8))
    assert again == Reply("Their mentor was already pinged about Erin Example today.")


def test_an_executive_never_in_a_circle_has_no_mentor_to_ping(
    session: Session, world: World
) -> None:
    newcomer = factories.person(session, world.prog, "U0EXEC0009", tz="UTC", country=None)
    with writes_nothing(session), pytest.raises(Refusal, match="has not been in a circle yet"):
        actions.ping_mentor(session, LEAD, f"{world.prog.id}|{newcomer.id}", NOW)


# -- who may click, and what a button may name ---------------------------------------------------
@pytest.mark.parametrize("act", ACTIONS)
@pytest.mark.parametrize("who", ["U0EXEC0001", "U0MENTOR02", "U0NOBODY01", "U0LEAD0002"])
def test_only_a_lead_of_the_program_can_use_the_buttons(
    session: Session, world: World, act: str, who: str
) -> None:
    other = factories.program(session, factories.catalog(), name="Other")
    factories.person(session, other, "U0LEAD0002", tz="UTC", country=None, role=Role.lead)
    with writes_nothing(session), pytest.raises(Refusal, match="Only this program's leads"):
        ACTIONS[act](session, Caller(who), world.value, NOW)


@pytest.mark.parametrize("act", ACTIONS)
def test_a_lead_who_left_the_program_can_no_longer_use_them(
    session: Session, world: World, act: str
) -> None:
    session.scalars(
        select(Membership).where(Membership.person_id == world.lead.id)
    ).one().left_at = NOW - dt.timedelta(days=1)
    with writes_nothing(session), pytest.raises(Refusal, match="Only this program's leads"):
        ACTIONS[act](session, LEAD, world.value, NOW)


@pytest.mark.parametrize("act", ACTIONS)
@pytest.mark.parametrize(
    "value",
    ["", "12", "x|1", "1|x", "0|1", "1|0", "|", "1|2|3", "2147483648|1", "1|-1", "١|1"],
)
def test_a_value_upward_never_drew_is_refused(
    session: Session, world: World, act: str, value: str
) -> None:
    with writes_nothing(session), pytest.raises(Refusal, match="not one Upward understands"):
        ACTIONS[act](session, LEAD, value, NOW)


@pytest.mark.parametrize("act", ACTIONS)
@pytest.mark.parametrize("target", ["left", "forgotten", "mentor", "lead", "unknown", "program"])
def test_a_button_naming_someone_no_longer_an_executive_here_is_refused(
    session: Session, world: World, act: str, target: str
) -> None:
    value = world.value
    if target == "left":
        session.scalars(
            select(Membership).where(Membership.person_id == world.executive.id)
        ).one().left_at = NOW - dt.timedelta(days=1)
    elif target == "forgotten":
        world.executive.forgotten_at = NOW - dt.timedelta(days=1)
    elif target in ("mentor", "lead"):
        value = f"{world.prog.id}|{getattr(world, target).id}"
    elif target == "unknown":
        value = f"{world.prog.id}|2000000000"
    refusal = "no longer in the program"
    if target == "program":  # a program the lead does not lead, or none at all
        value, refusal = f"2000000000|{world.executive.id}", "Only this program's leads"
    with writes_nothing(session), pytest.raises(Refusal, match=refusal):
        ACTIONS[act](session, LEAD, value, NOW)


@pytest.mark.parametrize("gone", ["removed from the circle", "forgotten"])
def test_a_mentor_no_longer_in_the_circle_is_not_pinged(
    session: Session, world: World, gone: str
) -> None:
    """Fails: latest_mentors ignores CircleMember.left_at and Person.forgotten_at, so the ping goes
    to a mentor `/circle remove` took out, or to a forgotten mentor's tombstone id."""
    if gone == "forgotten":
        forget_person(session, slack_user_id="U0MENTOR02", now=NOW - dt.timedelta(days=1))
    else:
        session.scalars(
            select(CircleMember).where(CircleMember.person_id == world.mentor.id)
        ).one().left_at = NOW - dt.timedelta(days=1)

    with contextlib.suppress(Refusal):  # refusing is fine; asking the wrong person is not
        actions.ping_mentor(session, LEAD, world.value, NOW)

    assert [r.payload["channel"] for r in rows(session, Purpose.ping_mentor)] in (
        [],
        ["U0MENTOR01"],
    )
