"""Nothing acknowledged is lost: clicks acked by `upward serve` processes that then die (kill -9,
or a deploy's SIGTERM) are finished by the worker, each exactly once.

Slack does not retry a request it got HTTP 200 for. With Slack slow to answer the module updates,
the clicks' work queues up behind the acks; killing the web processes then used to lose it
(8 of 16 answers recorded).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import URL

from bot.content.loader import load_catalog
from bot.db import make_engine, make_session_factory, session_scope
from bot.migrate import upgrade
from bot.models import (
    Answer,
    Delivery,
    DeliveryKind,
    InboundRequest,
    MentorNote,
    OutboxMessage,
    Person,
)
from bot.programs.service import create_program
from bot.roster.enroll import enroll
from bot.roster.service import parse_roster
from bot.sandbox import DEMO_SEED_PATH, SignedSender, SimulatedUser, SlackStandIn, payloads
from bot.slack.client import make_web_client
from bot.slack.directory import SlackDirectory
from bot.tick import replayer, run_tick
from tests.e2e.conftest import DEMO_ROSTER, Stack, eventually, stack_settings
from tests.e2e.test_circles import form_december, in_circle
from tests.e2e.test_serve import _env, _free_port, _wait_healthy

UTC = dt.UTC
START = dt.date(2026, 12, 1)
EXECUTIVES = [f"U07EXEC000{i}" for i in range(1, 9)]


def texts(message: dict) -> str:
    return json.dumps(message.get("blocks") or [], ensure_ascii=False)


@pytest.mark.parametrize("death", ["kill -9", "SIGTERM"])
def test_every_acked_click_is_recorded_and_shown_once_when_the_web_processes_die(
    empty_database: URL, tmp_path: Path, death: str
) -> None:
    engine = make_engine(empty_database)
    upgrade(engine)
    sessions = make_session_factory(engine)
    catalog = load_catalog()
    with SlackStandIn(DEMO_SEED_PATH, rate_limits=False) as slack:
        settings = stack_settings(empty_database, slack)
        client = make_web_client(settings)
        modules = _deliver_first_modules(sessions, settings, client, catalog)
        port = _free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--port", str(port), "--workers", "2"],
            env=_env(
                empty_database,
                slack,
                UPWARD_INBOX_LEASE_SECONDS="2",
                UPWARD_OUTBOX_LEASE_SECONDS="5",
            ),
            cwd=tmp_path,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: the master and its workers die
        )
        url, proc_group = f"http://127.0.0.1:{port}", proc.pid
        try:
            _wait_healthy(url, proc)
            sender = SignedSender(f"{url}/slack/events", slack.signing_secret)
            # Slack takes 3 s over each module update: the clicks' work queues behind the acks.
            slack.faults.configure(
                slow_rate=1.0, slow_seconds=3.0, methods=frozenset({"chat.update"})
            )
            clicks = [
                (uid, question.id, question.correct)
                for uid in EXECUTIVES
                for question in catalog.modules[modules[uid][1]].questions[:2]
            ]
            statuses = _click_all_at_once(slack, sender, modules, clicks, catalog)
            assert statuses == [200] * len(clicks), statuses  # every click was acknowledged
            recorded_at_death = _answers(sessions)
            if death == "kill -9":
                os.killpg(proc_group, signal.SIGKILL)
            else:
                proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                os.killpg(proc_group, signal.SIGKILL)
                proc.communicate(timeout=60)
        slack.faults.configure(slow_rate=0.0)
        # The worker, ticking, finishes what the dead processes acknowledged and left.
        replay = replayer(settings, sessions, catalog)

        def all_done() -> bool:
            run_tick(
                sessions,
                client,
                catalog=catalog,
                now=dt.datetime(2026, 12, 3, 12, tzinfo=UTC),
                worker="worker",
                lease=dt.timedelta(seconds=5),
                replay=replay,
            )
            shown = all(_shown(slack, uid, modules[uid][0]) == 2 for uid in EXECUTIVES)
            return len(_answers(sessions)) == len(clicks) and shown

        assert eventually(all_done, timeout=90), _state(sessions, slack, modules)
        answers = _answers(sessions)
        engine.dispose()
    assert Counter(answers) == Counter({(uid, q): 1 for uid, q, _ in clicks})
    if death == "kill -9":
        assert len(recorded_at_death) < len(clicks), "the kill interrupted no work: no test"


def _deliver_first_modules(sessions, settings, client, catalog) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    """The pilot with the demo roster, ticked until each executive has their first module: user id
    -> (message ts, module id)."""
    with session_scope(sessions) as session:
        program = create_program(
            session,
            catalog=catalog,
            name="Pilot",
            template_id="pilot",
            start=START,
            timezone="Europe/London",
            now=dt.datetime(2026, 11, 30, tzinfo=UTC),
        )
        rows, _ = parse_roster(DEMO_ROSTER.read_text(), filename="roster.csv")
        enroll(
            session,
            program=program,
            rows=rows,
            directory=SlackDirectory(client),
            catalog=catalog,
            filename="roster.csv",
            now=dt.datetime(2026, 11, 30, tzinfo=UTC),
        )
    now = dt.datetime(2026, 12, 1, tzinfo=UTC)
    while True:
        run_tick(sessions, client, catalog=catalog, now=now, worker="setup")
        with session_scope(sessions) as session:
            found = {
                uid: (ts, module_id)
                for uid, ts, module_id in session.execute(
                    select(Person.slack_user_id, Delivery.message_ts, Delivery.module_id)
                    .join(Delivery, Delivery.person_id == Person.id)
                    .where(
                        Delivery.kind == DeliveryKind.module,
                        Delivery.sequence == 1,
                        Delivery.message_ts.is_not(None),
                        Person.slack_user_id.in_(EXECUTIVES),
                    )
                )
            }
        if len(found) == len(EXECUTIVES):
            return found
        assert now < dt.datetime(2026, 12, 8, tzinfo=UTC), f"modules arrived for {found} only"
        now += dt.timedelta(hours=1)


def _click_all_at_once(slack, sender, modules, clicks, catalog) -> list[int]:  # type: ignore[no-untyped-def]
    """Each (person, question, option) clicked on the person's module message, all at once."""
    statuses: list[int] = []
    lock = threading.Lock()

    def click(uid: str, question_id: str, option_id: str) -> None:
        person = SimulatedUser(slack, sender, uid)
        message = next(m for m in person.bot_dms() if m["ts"] == modules[uid][0])
        module = catalog.modules[modules[uid][1]]
        question = next(q for q in module.questions if q.id == question_id)
        label = next(o.label for o in question.options if o.id == option_id)
        status = person.click(message, text=label).status
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=click, args=c) for c in clicks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return statuses


def _state(sessions, slack: SlackStandIn, modules: dict[str, tuple[str, str]]) -> str:  # type: ignore[no-untyped-def]
    """What was done and shown, for a failure's message."""
    with session_scope(sessions) as session:
        requests = session.execute(
            select(InboundRequest.request_key, InboundRequest.attempts, InboundRequest.done_at)
        ).all()
        rows = Counter(
            (r.purpose.value, r.status.value) for r in session.scalars(select(OutboxMessage))
        )
    shown = {uid: _shown(slack, uid, ts) for uid, (ts, _) in modules.items()}
    return f"answers {len(_answers(sessions))}; inbox {requests}; outbox {rows}; shown {shown}"


def _answers(sessions) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with session_scope(sessions) as session:
        return [
            (uid, question)
            for uid, question in session.execute(
                select(Person.slack_user_id, Answer.question_id)
                .join(Delivery, Delivery.id == Answer.delivery_id)
                .join(Person, Person.id == Delivery.person_id)
                .where(Delivery.kind == DeliveryKind.module)
            )
        ]


def _shown(slack: SlackStandIn, uid: str, ts: str) -> int:
    """How many answers the person's module message shows (once redrawn)."""
    channel = slack.workspace.dm_channel_id(uid)
    message = slack.workspace.message(channel, ts) if channel else None
    return texts(message).count(" is right.") if message else 0


def test_a_signed_command_replayed_within_its_window_is_done_once(stack: Stack) -> None:
    """Anyone holding one signed `/circle note` could send it again for 5 minutes (the signature
    stays valid): it was saved once per copy. A request is done once, by its own identity."""
    form_december(stack, executives=4, mentors=1)
    circle, mentor_id, *_ = in_circle(stack)
    stack.clock.set(dt.datetime(2026, 12, 2, 9, tzinfo=UTC))
    with stack.slack.workspace.lock:
        fields = payloads.slash_command(
            stack.slack.workspace,
            user_id=mentor_id,
            command="/circle",
            text="note Tom asked how we read TikTok analytics.",
            channel_id=circle.slack_channel_id,
        )
    for _ in range(3):
        assert stack.sender.send_form(fields).status == 200
        stack.settle()
    with stack.session() as session:
        notes = session.scalars(select(MentorNote.text)).all()
    assert notes == ["Tom asked how we read TikTok analytics."]
