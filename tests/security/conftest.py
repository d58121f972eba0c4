"""Security tests share one world per backend: two programs, real messages, a digest, circles.

Built once per module (a Stack is a real web app, stand-in and database, so building it per cell
would take minutes); every cell rewinds the database to how it found it, so cells do not depend on
each other or on their order.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine, delete, insert, select, update

from bot.models import Base, Circle, CircleMember, Delivery, DeliveryKind, Person, Role
from bot.sandbox import CallRecord, SlackHttpResponse, payloads
from tests.dbs import scratch_database
from tests.e2e.conftest import Stack, running_stack
from tests.e2e.test_circles import roster, run

UTC = dt.UTC
LEAD = "U07LEAD0001"  # leads "Leaders 2026"
OUTSIDER = "U07MENT0003"  # leads "Other", a second program; nothing in "Leaders 2026"
STRANGER = "U07EXEC0007"  # in the workspace, on no roster
NOW = dt.datetime(2026, 12, 7, 9, 30, tzinfo=UTC)  # Monday, after the lead's digest went out

Row = dict[str, Any]
Snapshot = dict[str, dict[tuple, Row]]


# -- the database, before and after -----------------------------------------------------------


def snapshot(engine: Engine) -> Snapshot:
    """Every row of every table, by primary key."""
    out: Snapshot = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            keys = [c.name for c in table.primary_key.columns]
            out[table.name] = {
                tuple(r[k] for k in keys): dict(r) for r in conn.execute(select(table)).mappings()
            }
    return out


@dataclass(frozen=True)
class Change:
    table: str
    before: Row | None
    after: Row | None

    @property
    def row(self) -> Row:
        return self.after if self.after is not None else self.before  # type: ignore[return-value]

    def __repr__(self) -> str:
        if self.before is None:
            return f"+{self.table}{self.after}"
        if self.after is None:
            return f"-{self.table}{self.before}"
        changed = {k: (self.before[k], v) for k, v in self.after.items() if self.before[k] != v}
        return f"~{self.table}#{self.before.get('id')}{changed}"


def changes(before: Snapshot, after: Snapshot) -> list[Change]:
    out = []
    for table, rows in after.items():
        old = before.get(table, {})
        out += [Change(table, old.get(k), row) for k, row in rows.items() if old.get(k) != row]
        out += [Change(table, row, None) for k, row in old.items() if k not in rows]
    return out


def rewind(engine: Engine, before: Snapshot, after: Snapshot) -> None:
    """Put the database back as `before` found it (children deleted first, parents inserted
    first)."""
    tables = Base.metadata.sorted_tables
    with engine.begin() as conn:
        for table in reversed(tables):
            gone = [k for k in after[table.name] if k not in before[table.name]]
            keys = list(table.primary_key.columns)
            for key in gone:
                conn.execute(
                    delete(table).where(*(c == v for c, v in zip(keys, key, strict=False)))
                )
        for table in tables:
            keys = list(table.primary_key.columns)
            for key, row in before[table.name].items():
                now = after[table.name].get(key)
                if now is None:
                    conn.execute(insert(table).values(**row))
                elif now != row:
                    conn.execute(
                        update(table)
                        .where(*(c == v for c, v in zip(keys, key, strict=False)))
                        .values(**row)
                    )


# -- what the app logs -------------------------------------------------------------------------


class ErrorLog(logging.Handler):
    """ERROR records from Upward and Bolt: a listener that failed after its ack shows up here."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.split(".")[0] in ("bot", "upward", "slack_bolt"):
            self.records.append(record)

    def lines(self) -> list[str]:
        return [
            f"{r.name}: {r.getMessage()}" + (f" ({r.exc_info[1]!r})" if r.exc_info else "")
            for r in self.records
        ]


@pytest.fixture(autouse=True)
def errors_logged() -> Iterator[ErrorLog]:
    """Fails the test if the app logged an error while it ran."""
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
    assert not handler.records, "the app logged errors:\n" + "\n".join(handler.lines())


# -- one request, start to finish ------------------------------------------------------------------

REPLY_METHODS = ("response_url", "chat.postEphemeral")  # outbox rows that only answer the sender
SHOWN_METHODS = ("chat.postEphemeral", "views.open", "views.publish")
CRASH = re.compile(r"Traceback|File \"|\b\w+(Error|Exception)\b")  # Python's own words for a crash


@dataclass
class Exchange:
    """What one request did, once the app had finished with it."""

    response: SlackHttpResponse
    diff: list[Change]  # database changes, replies aside
    replies: list[
        tuple[str, str]
    ]  # (user, text) shown only to them: response_url posts and ephemerals
    calls: list[CallRecord]  # every other Web API call (Bolt's one-off auth.test aside)
    shown: list[str]  # the words a person could read: replies, modals, home tabs
    errors: list[str]  # ERROR lines the app logged


def exchange(world: World, send: Callable[[], SlackHttpResponse], errors: ErrorLog) -> Exchange:
    """Send one request, wait until the app has finished with it, then rewind the database."""
    ws, engine = world.ws, world.stack.engine
    calls, responses, logged = len(ws.calls), len(ws.responses), len(errors.records)
    before = snapshot(engine)
    response = send()
    world.stack.settle()
    after = snapshot(engine)
    rewind(engine, before, after)
    new_calls = [c for c in ws.calls[calls:] if c.method != "auth.test"]
    posted = ws.responses[responses:]
    ephemerals = [c for c in new_calls if c.method == "chat.postEphemeral"]
    return Exchange(
        response=response,
        diff=[
            c
            for c in changes(before, after)
            # What every request writes: the request itself (the inbox, before its ack) and its
            # private answer; the diff is what the request changed.
            if c.table != "inbox" and not (c.table == "outbox" and c.row["method"] in REPLY_METHODS)
        ],
        replies=[(r["user"], r["payload"].get("text", "")) for r in posted]
        + [(c.args.get("user", ""), c.args.get("text", "")) for c in ephemerals],
        calls=[c for c in new_calls if c.method != "chat.postEphemeral"],
        shown=[visible_text(r["payload"]) for r in posted]
        + [visible_text(c.args) for c in new_calls if c.method in SHOWN_METHODS],
        errors=errors.lines()[logged:],
    )


def visible_text(payload: Any) -> str:
    """The words a person sees in a Web API payload: every `text` (message, blocks, labels, titles,
    options), not the ids it echoes back (a trigger_id the request made up is not shown to anyone).
    """
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("text", "alt_text", "fallback") and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(payload)
    return "\n".join(found)


def sound(result: Exchange) -> None:
    """What must hold after any request at all: no 5xx, no crash logged, no crash shown."""
    assert result.response.status < 500, (result.response.status, result.response.text)
    assert not CRASH.search(result.response.text), result.response.text
    assert not result.errors, "the app logged errors:\n" + "\n".join(result.errors)
    for text in result.shown:
        assert not CRASH.search(text), f"a person was shown: {text[:500]}"


def as_interaction(body: Any) -> str:
    """The form body Slack posts for an interaction (`payload=<json>`)."""
    return urlencode({"payload": json.dumps(body)})


# -- the world -----------------------------------------------------------------------------------


@dataclass
class World:
    """Who is who, and the real messages each of them was sent."""

    stack: Stack
    lead: str
    outsider: str
    stranger: str
    executive: str  # Europe: got the module, check-in, "did you meet", in the closed circle
    other_executive: str  # New York: no check-in this week; in the open circle
    mentor: str  # mentor of the closed circle (the executive's)
    other_mentor: str  # mentor of the open circle
    spare: str  # an executive of the closed circle, neither of the above
    open_circle: Circle
    closed_circle: Circle
    messages: dict[str, dict] = field(
        default_factory=dict
    )  # what -> the message as its recipient sees it
    views: dict[str, dict] = field(default_factory=dict)

    def __repr__(self) -> str:  # hypothesis prints the arguments of a failing example
        return f"World(executive={self.executive!r}, mentor={self.mentor!r}, lead={self.lead!r})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # hypothesis's printer
        printer.text(repr(self))

    @property
    def ws(self):  # type: ignore[no-untyped-def]
        return self.stack.slack.workspace

    def person_id(self, uid: str) -> int:
        with self.stack.session() as s:
            return s.scalars(select(Person.id).where(Person.slack_user_id == uid)).one()

    def click_as(
        self,
        uid: str,
        what: str,
        *,
        action_id: str | None = None,
        text: str | None = None,
        value: str | None = None,
        picked: Any = None,
        forged_value: str | None = None,
    ) -> Any:
        """`uid` sends a click on an element of the message `what` as its recipient saw it (a forged
        or reused payload), with the button's value replaced by `forged_value` if given."""
        message, channel = self.messages[what]["message"], self.messages[what]["channel"]
        owner = self.messages[what]["owner"]
        found = self.stack.person(owner).find_action(
            message, action_id=action_id, text=text, value=value, channel_id=channel
        )
        element = (
            found["element"]
            if forged_value is None
            else {**found["element"], "value": forged_value}
        )
        with self.ws.lock:
            action = payloads.action_entry(
                found["block"], element, option=found["option"], picked=picked
            )
            body = payloads.block_actions(
                self.ws, user_id=uid, action=action, message=message, channel_id=channel
            )
        return self.stack.sender.send_interaction(body)

    def real_click(self, what: str, **find: Any) -> dict[str, Any]:
        """The block_actions payload of the click the recipient of `what` would send."""
        entry = self.messages[what]
        found = self.stack.person(entry["owner"]).find_action(
            entry["message"], channel_id=entry["channel"], **find
        )
        with self.ws.lock:
            picked = "2026-12-20" if found["element"]["type"] == "datepicker" else None
            action = payloads.action_entry(
                found["block"], found["element"], option=found["option"], picked=picked
            )
            return payloads.block_actions(
                self.ws,
                user_id=entry["owner"],
                action=action,
                message=entry["message"],
                channel_id=entry["channel"],
            )

    def click_home_as(self, uid: str, owner: str, action_id: str, picked: Any = None) -> Any:
        """`uid` sends a click on an element of `owner`'s App Home."""
        home = self.ws.home_tab(owner)
        hit = next(
            (b, e)
            for b, e in payloads.interactive_elements(home["blocks"])
            if e.get("action_id") == action_id
        )
        with self.ws.lock:
            action = payloads.action_entry(hit[0], hit[1], picked=picked)
            body = payloads.block_actions(self.ws, user_id=uid, action=action, view=home)
        return self.stack.sender.send_interaction(body)

    def submit_as(self, uid: str, what: str, text: str, *, metadata: str | None = None) -> Any:
        """`uid` submits the modal opened for someone else, with `text` typed in (and `metadata`, if
        given)."""
        view = json.loads(json.dumps(self.views[what]))
        view["state"] = {
            "values": {"reflection": {"text": {"type": "plain_text_input", "value": text}}}
        }
        if metadata is not None:
            view["private_metadata"] = metadata
        with self.ws.lock:
            body = payloads.view_submission(self.ws, user_id=uid, view=view)
        return self.stack.sender.send_interaction(body)

    def command_as(self, uid: str, text: str, channel: str | None) -> Any:
        with self.ws.lock:
            fields = payloads.slash_command(
                self.ws,
                user_id=uid,
                command="/circle",
                text=text,
                channel_id=channel or self.stack.person(uid).dm_channel_id,
            )
        return self.stack.sender.send_form(fields)


def _message(stack: Stack, uid: str, contains: str, channel: str | None = None) -> dict:
    def find() -> dict | None:
        messages = (
            stack.slack.workspace.channel_messages(channel)
            if channel
            else stack.person(uid).bot_dms()
        )
        return next(
            (
                m
                for m in reversed(messages)
                if contains in json.dumps(m.get("blocks") or []) + m.get("text", "")
            ),
            None,
        )

    return stack.slack.workspace.wait_until(find, timeout=10)


def build_world(stack: Stack) -> World:
    """Two programs, a month of circles, and one of every message a button can be clicked on."""
    stack.create_pilot(
        start=dt.date(2027, 1, 5),
        name="Other",
        template="pilot",
        roster=f"slack_user_id,role\n{OUTSIDER},lead\nU07EXEC0008,executive\nU07MENT0002,mentor\n",
    )
    csv, execs, mentors = roster(stack, executives=8, mentors=2, lead=LEAD)
    stack.create_pilot(
        start=dt.date(2026, 12, 1), roster=csv, template="quarter", name="Leaders 2026"
    )
    for at in (dt.datetime(2026, 12, 1, 10, tzinfo=UTC), dt.datetime(2026, 12, 1, 14, tzinfo=UTC)):
        stack.tick(at)  # circles formed, baseline self-assessments out

    with stack.session() as s:
        circles = list(s.scalars(select(Circle).order_by(Circle.number)))
        members = {
            c.id: dict(
                s.execute(
                    select(Person.slack_user_id, CircleMember.role)
                    .join(Person)
                    .where(CircleMember.circle_id == c.id)
                ).all()
            )
            for c in circles
        }
        zones = dict(s.execute(select(Person.slack_user_id, Person.timezone)).all())
    european = lambda uid: (zones[uid] or "").startswith("Europe/")  # noqa: E731
    american = lambda uid: (zones[uid] or "").startswith("America/")  # noqa: E731
    closed, opened = next(
        (a, b)
        for a in circles
        for b in circles
        if a is not b
        and any(european(u) and r == Role.executive for u, r in members[a.id].items())
        and any(american(u) and r == Role.executive for u, r in members[b.id].items())
    )
    executive = next(
        u for u, r in members[closed.id].items() if r == Role.executive and european(u)
    )
    spare = next(u for u, r in members[closed.id].items() if r == Role.executive and u != executive)
    other_executive = next(
        u for u, r in members[opened.id].items() if r == Role.executive and american(u)
    )
    mentor = next(u for u, r in members[closed.id].items() if r == Role.mentor)
    other_mentor = next(u for u, r in members[opened.id].items() if r == Role.mentor)
    world = World(
        stack,
        LEAD,
        OUTSIDER,
        STRANGER,
        executive,
        other_executive,
        mentor,
        other_mentor,
        spare,
        opened,
        closed,
    )
    m = world.messages

    # The executive's first module (Thursday), answered wrong once, and its reflection modal.
    stack.tick(dt.datetime(2026, 12, 3, 10, tzinfo=UTC))
    with stack.session() as s:
        delivery = s.scalars(
            select(Delivery)
            .join(Person)
            .where(
                Person.slack_user_id == executive,
                Delivery.kind == DeliveryKind.module,
                Delivery.sequence == 1,
            )
        ).one()
    module = stack.catalog.modules[delivery.module_id]
    exec_user = stack.person(executive)
    m["baseline"] = {
        "owner": executive,
        "channel": exec_user.dm_channel_id,
        "message": _message(stack, executive, "learning.rate"),
    }
    first = _message(stack, executive, module.title)
    question = module.questions[0]
    wrong = next(o for o in question.options if o.id != question.correct)
    exec_user.click(first, text=wrong.label)
    stack.settle()
    m["module"] = {
        "owner": executive,
        "channel": exec_user.dm_channel_id,
        "message": _message(stack, executive, "Try again"),
    }
    exec_user.click(m["module"]["message"], action_id="learning.reflect")
    world.views["reflection"] = stack.slack.workspace.wait_until(exec_user.current_view, timeout=10)

    # The closed circle: met on Wednesday without the executive, then closed by its mentor.
    stack.clock.set(dt.datetime(2026, 12, 1, 15, tzinfo=UTC))
    channel = closed.slack_channel_id
    assert "Done" in run(stack.person(mentor), "schedule 2026-12-02 15:00", channel)
    stack.tick(dt.datetime(2026, 12, 2, 18, tzinfo=UTC))
    m["met"] = {
        "owner": executive,
        "channel": exec_user.dm_channel_id,
        "message": _message(stack, executive, "Did your peer circle meet?"),
    }
    stack.clock.set(dt.datetime(2026, 12, 2, 19, tzinfo=UTC))
    assert "Recorded" in run(stack.person(mentor), f"attended <@{spare}> <@{mentor}>", channel)
    assert "Closed" in run(stack.person(mentor), "close", channel)
    stack.tick(dt.datetime(2026, 12, 2, 19, 5, tzinfo=UTC))
    m["pulse"] = {
        "owner": executive,
        "channel": channel,
        "message": _message(stack, executive, "circles.pulse", channel=channel),
    }
    m["observe"] = {
        "owner": mentor,
        "channel": stack.person(mentor).dm_channel_id,
        "message": _message(stack, mentor, "kpis.observe"),
    }

    # Friday's check-in (Europe is in its window at 09:30 UTC, New York is not), then Monday's
    # digest.
    stack.tick(dt.datetime(2026, 12, 4, 9, 30, tzinfo=UTC))
    m["checkin"] = {
        "owner": executive,
        "channel": exec_user.dm_channel_id,
        "message": _message(stack, executive, "kpis.value"),
    }
    stack.tick(dt.datetime(2026, 12, 7, 9, 5, tzinfo=UTC))
    m["digest"] = {
        "owner": LEAD,
        "channel": stack.person(LEAD).dm_channel_id,
        "message": _message(stack, LEAD, "digest.nudge"),
    }
    assert f"<@{executive}>" in json.dumps(m["digest"]["message"]["blocks"]), (
        "the executive is at risk (skipped the circle)"
    )
    spare_user = stack.person(spare)  # stops Upward's messages, so their home tab offers Resume
    spare_user.open_home()
    stack.slack.workspace.wait_until(spare_user.home, timeout=10)
    spare_user.click_in_view(action_id="learning.opt_out", home=True)
    stack.slack.workspace.wait_until(
        lambda: "learning.resume" in json.dumps(spare_user.home()), timeout=10
    )
    stack.clock.set(NOW)
    stack.settle()
    return world


@pytest.fixture(scope="module")
def world(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with (
        scratch_database(backend, tmp_path_factory.mktemp(f"security-{backend}")) as url,
        running_stack(url) as stack,
    ):
        yield build_world(stack)


@pytest.fixture(scope="module")
def bare_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The web app and the stand-in on an empty SQLite database, for checks made before any data
    is read (signatures, headers)."""
    with (
        scratch_database("sqlite", tmp_path_factory.mktemp("security-bare")) as url,
        running_stack(url) as stack,
    ):
        yield stack
