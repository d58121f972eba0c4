"""Who may do what: every role tries every button, modal, `/circle` subcommand and App Home.

Each click reuses a real message's button, sent (correctly signed) under another person's user id,
as someone replaying a payload would. Authority comes from the roster and the database only: an
allowed cell must have its whole effect; a refused one gets a clear message only the clicker sees,
and changes nothing (every table compared before and after; no Slack call but that reply).

Roles, relative to the message or circle at hand: the program's `lead`; the `mentor` of the circle
(the executive's circle for DMs, the circle whose channel a command runs in); the `other_mentor`
of the other circle; the `executive` the message was sent to (or a member of the circle); an
`other_executive` of the same program; a `stranger` on no roster; an `outsider` who leads another
program.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select, update

from bot.models import (
    CircleMember,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Membership,
    ObservationSource,
    Person,
    PersonStatus,
    Program,
)
from bot.sandbox import CallRecord
from tests.security.conftest import NOW, Change, ErrorLog, World, exchange, rewind, snapshot, sound

ROLES = ("lead", "mentor", "other_mentor", "executive", "other_executive", "stranger", "outsider")
ROSTERED = frozenset(ROLES) - {"stranger"}


@dataclass
class Result:
    """What one request did: database changes (replies aside), what only the clicker saw, other
    Slack calls."""

    uid: str
    diff: list[Change]
    replies: list[str]
    calls: list[CallRecord]

    @property
    def reply(self) -> str:
        assert len(self.replies) == 1, f"expected one reply to the clicker, got {self.replies}"
        return self.replies[0]

    def rows(self, table: str) -> list[Change]:
        return [c for c in self.diff if c.table == table]

    def only(self, *tables: str) -> None:
        assert {c.table for c in self.diff} <= set(tables), (
            f"changed more than {tables}: {self.diff}"
        )

    def calls_to(self, method: str) -> list[CallRecord]:
        return [c for c in self.calls if c.method == method]


Effect = Callable[[World, str, Result], None]  # (world, role, result)


@dataclass(frozen=True)
class Op:
    """One operation: how a role attempts it, who may, what it must do, what a refusal says."""

    name: str
    send: Callable[[World, str], object]
    allowed: frozenset[str]
    effect: Effect
    refusal: str = ""  # a regular expression the refusal must match
    circle: str = (
        "person"  # whose circle `mentor` and `executive` mean: the DM's person, or the open circle
    )


def cast(world: World, op: Op) -> dict[str, str]:
    base = {
        "lead": world.lead,
        "mentor": world.mentor,
        "other_mentor": world.other_mentor,
        "executive": world.executive,
        "other_executive": world.other_executive,
        "stranger": world.stranger,
        "outsider": world.outsider,
    }
    if op.circle == "open":  # the command runs in the open circle's channel
        base.update(
            mentor=world.other_mentor,
            other_mentor=world.mentor,
            executive=world.other_executive,
            other_executive=world.executive,
        )
    return base


def attempt(world: World, op: Op, uid: str, errors: ErrorLog) -> Result:
    """Send the op as `uid` and see what it did (the database is rewound afterwards)."""
    done = exchange(world, lambda: op.send(world, uid), errors)  # type: ignore[arg-type, return-value]
    sound(done)
    assert done.response.status == 200, (op.name, uid, done.response)
    assert not [r for r in done.replies if r[0] != uid], (
        f"a reply reached someone else: {done.replies}"
    )
    return Result(uid, done.diff, [text for _, text in done.replies], done.calls)


def refused(op: Op, result: Result) -> None:
    assert not result.diff, (
        f"{op.name} refused for {result.uid} but the database changed: {result.diff}"
    )
    assert not result.calls, (
        f"{op.name} refused for {result.uid} but Slack was called: {result.calls}"
    )
    assert re.search(op.refusal, result.reply), (
        f"{op.name}: {result.reply!r} does not say /{op.refusal}/"
    )


# -- effects (what an allowed cell must have done) -----------------------------------------------


def _message_updated(result: Result) -> None:
    updates = [c for c in result.rows("outbox") if c.row["method"] == "chat.update"]
    assert len(updates) == 1 and result.calls_to("chat.update"), result.diff


def _answered(question: str | None = None) -> Effect:
    """One new answer (to `question`, if given) on the executive's delivery, shown in the same
    message."""

    def check(world: World, role: str, result: Result) -> None:
        result.only("answers", "deliveries", "outbox")
        added = [c.after for c in result.rows("answers") if c.before is None]
        assert len(added) == 1 and question in (None, added[0]["question_id"]), result.diff  # type: ignore[index]
        _message_updated(result)

    return check


def _retried(world: World, role: str, result: Result) -> None:
    result.only("outbox")
    _message_updated(result)


def _done(world: World, role: str, result: Result) -> None:
    result.only("deliveries", "outbox")
    assert [c.after["status"] for c in result.rows("deliveries")] == [DeliveryStatus.completed]  # type: ignore[index]
    _message_updated(result)


def _modal_opened(world: World, role: str, result: Result) -> None:
    assert not result.diff and len(result.calls_to("views.open")) == 1, result.calls


def _self_service(done: Callable[[dict], bool], reply: str) -> Effect:
    """Snooze, pause, stop: whoever's message it was, only the clicker's own row changes."""

    def check(world: World, role: str, result: Result) -> None:
        result.only("people")
        (change,) = result.rows("people")
        assert change.row["slack_user_id"] == result.uid and done(change.after or {}), change
        assert reply in result.reply, result.reply

    return check


def _resumed(world: World, role: str, result: Result) -> None:
    """Resume acts on the clicker only; someone on no roster just gets their (empty) home tab."""
    result.only("people")
    assert [c.row["slack_user_id"] for c in result.rows("people")] in (
        [result.uid],
        [],
    ), result.diff
    assert all(
        c.after["status"] == PersonStatus.active and c.after["paused_until"] is None
        for c in result.rows("people")
    )  # type: ignore[index]
    assert [c.args["user_id"] for c in result.calls_to("views.publish")] == [result.uid]


def _kpi_recorded(source: ObservationSource) -> Effect:
    def check(world: World, role: str, result: Result) -> None:
        result.only("kpi_observations")
        (change,) = result.rows("kpi_observations")
        row = change.after or {}
        who = row["person_id"] if source == ObservationSource.self_report else row["observer_id"]
        assert row["source"] == source and who == world.person_id(result.uid), row
        assert "nothing was recorded" not in result.reply, result.reply

    return check


def _member_set(column: str, value: object) -> Effect:
    def check(world: World, role: str, result: Result) -> None:
        result.only("circle_members")
        (change,) = result.rows("circle_members")
        row = change.after or {}
        assert row[column] == value and row["person_id"] == world.person_id(result.uid), row
        assert "Thanks" in result.reply, result.reply

    return check


def _digest_sent(key: str, to: str) -> Effect:
    """The nudge or ping: one outbox row, posted to the executive (or their mentor) at once."""

    def check(world: World, role: str, result: Result) -> None:
        result.only("outbox")
        (change,) = result.rows("outbox")
        assert change.after is not None and change.after["idempotency_key"].startswith(key)
        assert [c.args["channel"] for c in result.calls_to("chat.postMessage")] == [
            getattr(world, to)
        ]

    return check


def _digest_paused(world: World, role: str, result: Result) -> None:
    result.only("people")
    (change,) = result.rows("people")
    assert (
        change.row["slack_user_id"] == world.executive and change.after["paused_until"] is not None
    )  # type: ignore[index]
    assert "Paused" in result.reply


def _listed(world: World, role: str, result: Result) -> None:
    """Each sees the open circles they are in (leads: all of their programs'), nobody else's."""
    assert not result.diff, result.diff
    visible = role in ("lead", "mentor", "executive")
    assert (f"<#{world.open_circle.slack_channel_id}>" in result.reply) is visible, result.reply
    if not visible:
        assert "You have no circle this month" in result.reply, result.reply


def _said(pattern: str) -> Effect:
    """Nothing changes; the reply says `pattern`."""

    def check(world: World, role: str, result: Result) -> None:
        assert not result.diff, result.diff
        assert re.search(pattern, result.reply), result.reply

    return check


def _changed(*tables: str, reply: str) -> Effect:
    """The command's rows changed (and only tables it may touch); the reply says it was done."""

    def check(world: World, role: str, result: Result) -> None:
        assert result.rows(tables[0]), result.diff
        result.only(*tables, "outbox")
        assert reply in result.reply, result.reply

    return check


def _home_shows(world: World, role: str, result: Result) -> None:
    """App Home: the caller's own programs only; nothing is written."""
    assert not result.diff, result.diff
    assert [c.args["user_id"] for c in result.calls_to("views.publish")] == [result.uid]
    home = json.dumps(world.ws.home_tab(result.uid)["blocks"])
    expected = {"outsider": "Other", "stranger": "not part of a program"}.get(role, "Leaders 2026")
    assert expected in home, home
    if role in ("outsider", "stranger"):
        assert "Leaders 2026" not in home, "another program's data is never shown"


# -- how each role attempts each operation ---------------------------------------------------------


def _module_option(world: World) -> str:
    """The value of an option of the module's second question (the first is answered already)."""
    with world.stack.session() as s:
        delivery = s.scalars(
            select(Delivery)
            .join(Person)
            .where(
                Person.slack_user_id == world.executive,
                Delivery.kind == DeliveryKind.module,
                Delivery.sequence == 1,
            )
        ).one()
    question = world.stack.catalog.modules[delivery.module_id].questions[1]
    return f"{delivery.id}|{question.id}|{question.options[0].id}|1"


def _at_risk_value(world: World) -> str:
    """The digest buttons' value for the at-risk executive: `program|person`."""
    with world.stack.session() as s:
        program = s.scalars(select(Program.id).where(Program.name == "Leaders 2026")).one()
    return f"{program}|{world.person_id(world.executive)}"


def click(what: str, **find: object) -> Callable[[World, str], object]:
    def send(world: World, uid: str) -> object:
        found = {k: v(world) if callable(v) else v for k, v in find.items()}
        return world.click_as(uid, what, **found)  # type: ignore[arg-type]

    return send


def command(text: str | Callable[[World], str]) -> Callable[[World, str], object]:
    def send(world: World, uid: str) -> object:
        return world.command_as(
            uid, text(world) if callable(text) else text, world.open_circle.slack_channel_id
        )

    return send


def open_home(world: World, uid: str) -> object:
    return world.stack.person(uid).open_home()


PAUSED_TO = dt.datetime(2026, 12, 20, tzinfo=dt.UTC)  # midnight where each person lives
SOMEONE_ELSES = "This module was sent to someone else"
NOT_KNOWN = "Upward does not know you yet"
LEADS_ONLY = "Only this program's leads can do that"
MANAGERS = "Only the circle's mentor or the program lead can|You can only .+ for your own circles"
EVERYONE = frozenset(ROLES)
EXECUTIVE = frozenset({"executive"})
MANAGING = frozenset({"lead", "mentor"})
IN_CIRCLE = frozenset({"executive", "mentor"})

OPS = [
    Op(
        "learning.answer",
        click("module", value=_module_option),
        EXECUTIVE,
        _answered(),
        SOMEONE_ELSES,
    ),
    Op(
        "learning.retry",
        click("module", action_id="learning.retry"),
        EXECUTIVE,
        _retried,
        SOMEONE_ELSES,
    ),
    Op(
        "learning.done", click("module", action_id="learning.done"), EXECUTIVE, _done, SOMEONE_ELSES
    ),
    Op(
        "learning.reflect",
        click("module", action_id="learning.reflect"),
        EXECUTIVE,
        _modal_opened,
        SOMEONE_ELSES,
    ),
    Op(
        "view learning.reflection",
        lambda w, u: w.submit_as(u, "reflection", "I asked Sam first; it changed the plan."),
        EXECUTIVE,
        _answered("reflection"),
        SOMEONE_ELSES,
    ),
    Op(
        "learning.rate",
        click("baseline", action_id="learning.rate:3"),
        EXECUTIVE,
        _answered(),
        SOMEONE_ELSES,
    ),
    Op(
        "learning.snooze",
        click("module", action_id="learning.snooze"),
        ROSTERED,
        _self_service(lambda row: row["paused_until"] == NOW + dt.timedelta(days=7), "Snoozed"),
        NOT_KNOWN,
    ),
    Op(
        "learning.pause_until",
        click("module", action_id="learning.pause_until", picked="2026-12-20"),
        ROSTERED,
        _self_service(
            lambda row: abs(row["paused_until"] - PAUSED_TO) < dt.timedelta(hours=14), "Paused"
        ),
        NOT_KNOWN,
    ),
    Op(
        "learning.opt_out",
        click("module", action_id="learning.opt_out"),
        ROSTERED,
        _self_service(
            lambda row: row["status"] == PersonStatus.opted_out, "will not send you anything more"
        ),
        NOT_KNOWN,
    ),
    Op(
        "learning.resume (App Home)",
        lambda w, u: w.click_home_as(u, w.spare, "learning.resume"),
        EVERYONE,
        _resumed,
    ),
    Op(
        "kpis.value",
        click("checkin", action_id="kpis.value:2"),
        EXECUTIVE,
        _kpi_recorded(ObservationSource.self_report),
        "This check-in was not for you",
    ),
    Op(
        "kpis.observe",
        click("observe", action_id="kpis.observe:4"),
        frozenset({"mentor"}),
        _kpi_recorded(ObservationSource.mentor),
        "Only this circle's mentor can rate",
    ),
    Op(
        "circles.met",
        click("met", text="Yes, we met"),
        IN_CIRCLE,
        _member_set("met_response", "yes"),
        "That question was not for you",
    ),
    Op(
        "circles.pulse",
        click("pulse", text="4"),
        IN_CIRCLE,
        _member_set("pulse", 4),
        "Only this circle's members can rate it",
    ),
    Op(
        "digest.nudge",
        click("digest", action_id="digest.nudge", value=_at_risk_value),
        frozenset({"lead"}),
        _digest_sent("nudge:", "executive"),
        LEADS_ONLY,
    ),
    Op(
        "digest.pause",
        click("digest", action_id="digest.pause", value=_at_risk_value),
        frozenset({"lead"}),
        _digest_paused,
        LEADS_ONLY,
    ),
    Op(
        "digest.ping_mentor",
        click("digest", action_id="digest.ping_mentor", value=_at_risk_value),
        frozenset({"lead"}),
        _digest_sent("ping-mentor:", "mentor"),
        LEADS_ONLY,
    ),
    Op("/circle help", command("help"), EVERYONE, _said("`/circle list`"), circle="open"),
    Op("/circle list", command("list"), EVERYONE, _listed, circle="open"),
    Op(
        "/circle schedule",
        command("schedule 2026-12-10 15:00"),
        MANAGING,
        _changed("circles", reply="Done: the circle meets"),
        MANAGERS,
        circle="open",
    ),
    Op(
        "/circle prompt",
        command("prompt"),
        MANAGING,
        _changed("circle_prompts", reply="Posted a new prompt"),
        MANAGERS,
        circle="open",
    ),
    Op(
        "/circle note",
        command("note Tom asked how we read the dashboard."),
        MANAGING,
        _changed("mentor_notes", reply="Only your program lead sees"),
        MANAGERS,
        circle="open",
    ),
    Op(
        "/circle attended",
        command(lambda w: f"attended <@{w.other_executive}>"),
        MANAGING,
        _changed("circle_members", reply="Recorded"),
        MANAGERS,
        circle="open",
    ),
    Op(
        "/circle add",
        command(lambda w: f"add <@{w.spare}>"),
        MANAGING,
        _changed("circle_members", reply="Added"),
        MANAGERS,
        circle="open",
    ),
    Op(
        "/circle remove",
        command(lambda w: f"remove <@{w.other_executive}>"),
        MANAGING,
        _changed("circle_members", reply="Removed"),
        MANAGERS,
        circle="open",
    ),
    Op(
        "/circle form",
        command("form"),
        frozenset({"lead"}),
        _said("already has 2 circles"),
        "Only program leads can form circles|Other has no circle period running today",
        circle="open",
    ),
    Op(
        "/circle close",
        command("close"),
        MANAGING,
        _changed("circles", "kpi_observations", reply="Closed"),
        "Only the circle's mentor or the program lead can close",
        circle="open",
    ),
    Op("App Home", open_home, EVERYONE, _home_shows),
]


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_each_role_may_do_only_what_the_roster_allows(
    world: World, errors_logged: ErrorLog, op: Op
) -> None:
    people = cast(world, op)
    for role in ROLES:
        result = attempt(world, op, people[role], errors_logged)
        try:
            if role in op.allowed:
                op.effect(world, role, result)
            else:
                refused(op, result)
        except AssertionError as exc:
            raise AssertionError(f"{op.name} as {role} ({people[role]}): {exc}") from exc


# -- people whose part has ended, or has not begun -------------------------------------------------


def _leave_circle(role: str) -> Callable[[World], object]:
    def arrange(world: World) -> object:
        uid = getattr(world, role)
        return (
            update(CircleMember)
            .where(
                CircleMember.circle_id == world.closed_circle.id,
                CircleMember.person_id == world.person_id(uid),
            )
            .values(left_at=NOW)
        )

    return arrange


def _leave_program(world: World) -> object:
    return (
        update(Membership)
        .where(Membership.person_id == world.person_id(world.executive))
        .values(left_at=NOW)
    )


def _rate_open_circle(world: World, uid: str) -> object:
    """The open circle's mentor rates one of its executives before the circle has closed (nobody
    asked yet)."""
    kpi = world.real_click("observe", action_id="kpis.observe:4")["actions"][0]["value"].split("|")[
        0
    ]
    forged = f"{kpi}|{world.open_circle.id}|{world.person_id(world.other_executive)}|4"
    return world.click_as(uid, "observe", action_id="kpis.observe:4", forged_value=forged)


UNASKED = {
    "circles.met after leaving the circle": (
        _leave_circle("executive"),
        "executive",
        click("met", text="Yes, we met"),
        "not for you",
    ),
    "circles.pulse after leaving the circle": (
        _leave_circle("executive"),
        "executive",
        click("pulse", text="4"),
        "Only this circle's members",
    ),
    "kpis.observe after leaving the circle": (
        _leave_circle("mentor"),
        "mentor",
        click("observe", action_id="kpis.observe:4"),
        "Only this circle's mentor",
    ),
    "kpis.value after leaving the program": (
        _leave_program,
        "executive",
        click("checkin", action_id="kpis.value:2"),
        "not for you",
    ),
    "kpis.observe before the circle closed": (
        None,
        "other_mentor",
        _rate_open_circle,
        "Only this circle's mentor",
    ),
}


@pytest.mark.parametrize("case", UNASKED)
def test_only_someone_asked_now_can_answer(
    world: World, errors_logged: ErrorLog, case: str
) -> None:
    arrange, role, send, refusal = UNASKED[case]
    before = snapshot(world.stack.engine)
    try:
        if arrange is not None:
            statement = arrange(world)
            with world.stack.engine.begin() as conn:
                conn.execute(statement)
        op = Op(case, send, frozenset(), _said(""), refusal)
        refused(op, attempt(world, op, getattr(world, role), errors_logged))
    finally:
        rewind(world.stack.engine, before, snapshot(world.stack.engine))
