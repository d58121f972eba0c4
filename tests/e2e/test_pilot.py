"""A whole 4-week pilot in the sandbox: 8 executives in five time zones, each behaving differently.

Time moves with `tick`, hour by hour, from the pilot's first day to a week after its end. The
simulated executives click the real buttons Upward posts. Afterwards the test checks every rule
against what actually landed in Slack and in the database, then replays every tick to prove that
nothing is sent twice.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.core.calendar import is_working_day
from bot.kpis.blocks import CHECKIN_TEXT
from bot.learning.service import at_risk_people
from bot.models import Delivery, DeliveryKind, DeliveryStatus, OutboxMessage, OutboxStatus, Person
from bot.sandbox import SimulatedUser
from tests.e2e.conftest import Stack, eventually

UTC = dt.UTC
START = dt.date(2026, 11, 24)  # Tuesday; US Thanksgiving (26 Nov) falls in week 1
END_OF_RUN = dt.datetime(2026, 12, 29, tzinfo=UTC)

ENGAGED, LATE, CARELESS, ABSENT, SNOOZER, PAUSER, QUITTER, DONE_ONLY = (
    "U07EXEC0001",  # New York, US: answers everything right on arrival
    "U07EXEC0002",  # New York, US: answers only after the reminder
    "U07EXEC0003",  # Berlin, DE: answers wrong first, then tries again
    "U07EXEC0004",  # Berlin, DE: never answers
    "U07EXEC0005",  # London, GB: snoozes a week on the second module
    "U07EXEC0006",  # Kolkata, IN: pauses for ten days on the third module
    "U07EXEC0007",  # Los Angeles, US: opts out on the fourth module
    "U07EXEC0008",  # London, GB: marks modules done without answering
)


def blocks_text(message: dict) -> str:
    return json.dumps(message.get("blocks") or [], ensure_ascii=False)


class Executive:
    """A simulated executive: reacts to each new DM according to a profile."""

    def __init__(self, stack: Stack, user_id: str):
        self.stack, self.user_id = stack, user_id
        self.person: SimulatedUser = stack.person(user_id)
        self.seen: set[str] = set()
        self.modules_seen = 0
        self.events: dict[str, dt.datetime] = {}

    def react(self, now: dt.datetime) -> None:
        for message in self.person.bot_dms():
            if message["ts"] in self.seen:
                continue
            self.seen.add(message["ts"])
            text = blocks_text(message)
            if message.get("text") == CHECKIN_TEXT:
                continue  # the weekly KPI check-in has its own tests (test_kpis.py)
            if "check-in" in message.get("text", ""):
                self._rate_all(message)
            elif "module " in text and " of " in text:
                self.modules_seen += 1
                self._on_module(message, now)
        if self.user_id == LATE:
            for message in self.person.bot_dms():
                replies = self.stack.slack.workspace.thread_replies(
                    self.person.dm_channel_id, message["ts"]
                )
                if replies and message["ts"] not in self.events:
                    self.events[message["ts"]] = now
                    self._answer_all(message, right=True)

    def _on_module(self, message: dict, now: dt.datetime) -> None:
        n = self.modules_seen
        if self.user_id == ENGAGED:
            self._answer_all(message, right=True)
        elif self.user_id == CARELESS:
            self._answer_all(message, right=False)
        elif self.user_id == DONE_ONLY:
            self._click(message, text="Mark done")
        elif self.user_id == SNOOZER and n == 2:
            self.events["snoozed"] = now
            self._click(message, text="Snooze a week", ephemeral=True)
        elif self.user_id == PAUSER and n == 3:
            until = (now.astimezone(ZoneInfo("Asia/Kolkata")) + dt.timedelta(days=10)).date()
            self.events["paused"], self.events["pause_until"] = (
                now,
                dt.datetime.combine(until, dt.time(), tzinfo=ZoneInfo("Asia/Kolkata")),
            )
            self._pick_date(message, until)
        elif self.user_id == QUITTER and n == 4:
            self.events["opted_out"] = now
            self._click(message, action_id="learning.opt_out", ephemeral=True)

    def _answer_all(self, message: dict, *, right: bool) -> None:
        module = next(
            m for m in self.stack.catalog.modules.values() if m.title in blocks_text(message)
        )
        for question in module.questions:
            option = next(o for o in question.options if (o.id == question.correct) == right)
            self._click(self._current(message), text=option.label)
            if not right:  # then try again and get it right
                self._click(self._current(message), text="Try again")
                correct = next(o for o in question.options if o.id == question.correct)
                self._click(self._current(message), text=correct.label)

    def _rate_all(self, message: dict) -> None:
        for _ in range(20):  # an assessment has at most 10 questions
            current = self._current(message)
            try:
                self.person.find_action(current, action_id=None, text="4")
            except LookupError:
                return
            self._click(current, text="4")

    def _current(self, message: dict) -> dict:
        return next(m for m in self.person.bot_dms() if m["ts"] == message["ts"])

    def _click(self, message: dict, *, ephemeral: bool = False, **find: str) -> None:
        updates = len(self.stack.slack.workspace.calls_to("chat.update"))
        ephemerals = len(self.person.ephemerals())
        assert self.person.click(message, **find).status == 200
        if ephemeral:
            eventually(lambda: len(self.person.ephemerals()) > ephemerals)
        else:
            eventually(lambda: len(self.stack.slack.workspace.calls_to("chat.update")) > updates)

    def _pick_date(self, message: dict, day: dt.date) -> None:
        from bot.sandbox import payloads

        found = self.person.find_action(message, action_id="learning.pause_until")
        ephemerals = len(self.person.ephemerals())
        with self.stack.slack.workspace.lock:
            action = payloads.action_entry(found["block"], found["element"], option=None)
            action["selected_date"] = day.isoformat()
            payload = payloads.block_actions(
                self.stack.slack.workspace,
                user_id=self.user_id,
                action=action,
                message=found["message"],
                channel_id=found["channel_id"],
                is_ephemeral=False,
            )
        assert self.stack.sender.send_interaction(payload).status == 200
        eventually(lambda: len(self.person.ephemerals()) > ephemerals)


def instants() -> list[dt.datetime]:
    start = dt.datetime.combine(START, dt.time(), tzinfo=UTC)
    return [
        start + dt.timedelta(hours=h)
        for h in range(int((END_OF_RUN - start).total_seconds() // 3600))
    ]


def test_a_four_week_pilot_runs_by_the_rules(stack: Stack) -> None:
    stack.create_pilot(start=START)
    people = {
        uid: Executive(stack, uid)
        for uid in (ENGAGED, LATE, CARELESS, ABSENT, SNOOZER, PAUSER, QUITTER, DONE_ONLY)
    }
    for now in instants():
        stack.tick(now)
        for executive in people.values():
            executive.react(now)

    with stack.session() as session:
        rows = session.execute(select(Delivery, Person).join(Person)).all()
        outbox_rows = session.scalars(select(OutboxMessage)).all()
        at_risk = {session.get(Person, pid).slack_user_id for pid in at_risk_people(session)}

    # Nothing lost: every outbox row was delivered.
    assert {r.status for r in outbox_rows} == {OutboxStatus.sent}, [
        (r.idempotency_key, r.error) for r in outbox_rows if r.status != OutboxStatus.sent
    ]

    sent: dict[str, list[Delivery]] = defaultdict(list)
    for delivery, person in rows:
        if delivery.sent_at is not None:
            sent[person.slack_user_id].append(delivery)
            local = delivery.sent_at.astimezone(ZoneInfo(person.timezone))
            # Every module lands inside the person's own window, on one of their working days.
            assert dt.time(9) <= local.time() < dt.time(17), (
                person.slack_user_id,
                delivery.module_id,
                local,
            )
            assert is_working_day(local.date(), person.country), (
                person.slack_user_id,
                delivery.module_id,
                local,
            )
    for uid, deliveries in sent.items():
        tz = ZoneInfo(next(p.timezone for _, p in rows if p.slack_user_id == uid))
        days = [d.sent_at.astimezone(tz).date() for d in deliveries]
        assert len(days) == len(set(days)), f"{uid} got two deliveries on one day"
        # Slack shows exactly one top-level DM per sent delivery: nothing twice, nothing lost.
        keys = [
            ((m.get("metadata") or {}).get("event_payload") or {}).get("key", "")
            for m in people[uid].person.bot_dms()
        ]
        assert sorted(k for k in keys if k.startswith("delivery:")) == sorted(
            f"delivery:{d.id}" for d in deliveries
        ), uid

    # US Thanksgiving: no American executive hears from Upward on 26 November.
    for uid in (ENGAGED, LATE, QUITTER):
        tz = ZoneInfo(next(p.timezone for _, p in rows if p.slack_user_id == uid))
        assert dt.date(2026, 11, 26) not in {d.sent_at.astimezone(tz).date() for d in sent[uid]}

    status = {(p.slack_user_id, d.module_id): d for d, p in rows}
    pilot_modules = list(stack.catalog.programs["pilot"].modules)
    # The engaged and the late executives finish everything, baseline and closing included.
    for uid in (ENGAGED, LATE, CARELESS):
        assert all(status[(uid, m)].status == DeliveryStatus.completed for m in pilot_modules), uid
        assert status[(uid, "baseline")].status == DeliveryStatus.completed
        assert status[(uid, "closing")].status == DeliveryStatus.completed
    assert all(status[(DONE_ONLY, m)].status == DeliveryStatus.completed for m in pilot_modules)

    # Reminders: one threaded reply per unanswered module, never a new DM, never for the engaged.
    def reminders(uid: str) -> list[dict]:
        person = people[uid].person
        return [
            r
            for m in person.bot_dms()
            for r in stack.slack.workspace.thread_replies(person.dm_channel_id, m["ts"])
        ]

    assert reminders(ENGAGED) == [] and reminders(DONE_ONLY) == []
    assert len(reminders(LATE)) == len(pilot_modules), (
        "the late executive is nudged once per module"
    )
    # The absent executive is flagged at-risk after three unanswered modules and nagged no further.
    assert ABSENT in at_risk and ENGAGED not in at_risk
    assert len(reminders(ABSENT)) <= 3

    # Snooze: nothing for a week. Pause: nothing until the chosen date. Opt-out: nothing after.
    def dm_times(uid: str) -> list[dt.datetime]:
        return [d.sent_at for d in sent[uid]]

    snoozed = people[SNOOZER].events["snoozed"]
    assert not [t for t in dm_times(SNOOZER) if snoozed < t < snoozed + dt.timedelta(days=7)]
    paused, until = people[PAUSER].events["paused"], people[PAUSER].events["pause_until"]
    assert not [t for t in dm_times(PAUSER) if paused < t < until]
    assert [t for t in dm_times(PAUSER) if t >= until], "the pause ends by itself"
    assert not [t for t in dm_times(QUITTER) if t > people[QUITTER].events["opted_out"]]

    # Once the pilot has ended no module goes out, and the closing check-in arrives on time even for
    # the executive who paused (skipping the remainder is tested in tests/learning).
    end = START + dt.timedelta(weeks=4)
    for uid in people:
        assert all(d.sent_at.date() <= end for d in sent[uid] if d.kind == DeliveryKind.module), uid
    assert status[(PAUSER, "closing")].sent_at.date() <= end + dt.timedelta(days=1)

    # Replaying every tick sends nothing twice.
    calls = len(stack.slack.workspace.calls_to("chat.postMessage"))
    for now in instants()[::6]:
        report = stack.tick(now)
        assert report.modules == report.reminders == report.sent == 0, report.line()
    assert len(stack.slack.workspace.calls_to("chat.postMessage")) == calls
