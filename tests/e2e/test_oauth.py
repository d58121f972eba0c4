"""Distributed Upward: two workspaces install it through OAuth against the stand-in, each program's
messages go out with its own workspace's bot token, and nothing crosses from one workspace to the
other.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.engine import URL

from bot.app import LISTENER_THREADS, WORK_THREADS
from bot.config import Settings
from bot.content.loader import load_catalog
from bot.db import make_engine, make_session_factory, session_scope
from bot.migrate import upgrade
from bot.models import (
    Answer,
    Delivery,
    OutboxMessage,
    Person,
    Program,
    Purpose,
    slack_bots,
    slack_installations,
    slack_oauth_states,
    utcnow,
)
from bot.programs.service import create_program
from bot.roster.enroll import enroll
from bot.roster.service import parse_roster
from bot.sandbox import (
    DEMO_SEED_PATH,
    OTHER_TEAM_SEED,
    SignedSender,
    SimulatedUser,
    SlackStandIn,
    payloads,
)
from bot.sandbox.oauth import approve_in_browser, get
from bot.serve import wsgi_app
from bot.slack import outbox
from bot.slack.acking import WorkPool
from bot.slack.directory import SlackDirectory
from bot.slack.installations import WorkspaceClients, choose_team
from bot.slack.records import Record
from bot.tick import TickReport, run_tick
from bot.web import serve_in_thread
from tests.e2e.conftest import DEMO_ROSTER, Clock, Stack, eventually

UTC = dt.UTC
NORTHWIND, OTHER = "T07UPWRD01", OTHER_TEAM_SEED["team"]["id"]
SOFIA = "U07EXEC0003"  # Northwind, Europe/Berlin
OTTO = "U0OEXEC001"  # Other Co, Europe/Vienna
OTHER_ROSTER = (
    "slack_user_id,role,country,department\n"
    "U0OLEAD001,lead,NG,People\n"
    "U0OMENT001,mentor,SG,Engineering\n"
    "U0OEXEC001,executive,AT,Sales\n"
    "U0OEXEC002,executive,FI,Finance\n"
)
START = dt.date(2026, 12, 1)


class Distributed(Stack):
    """The end-to-end stack with SLACK_CLIENT_ID and SLACK_CLIENT_SECRET set and no
    SLACK_BOT_TOKEN."""

    def install(self, team_id: str) -> None:
        result = self.slack.install(f"{self.bot_url}/slack/install", team_id=team_id)
        assert result.status == 200 and "Thank you!" in result.body, result

    def create_program(self, name: str, team: str | None, roster: str) -> None:
        """What `upward program create --team` and `upward roster import` do, in-process."""
        with session_scope(self.sessions) as session:
            team_id = choose_team(session, self.settings, team)
        directory = SlackDirectory(
            WorkspaceClients.from_settings(self.settings, self.engine).for_team(team_id)
        )
        with session_scope(self.sessions) as session:
            program = create_program(
                session,
                catalog=self.catalog,
                name=name,
                template_id="pilot",
                start=START,
                timezone="Europe/London",
                now=utcnow(),
                team_id=team_id,
            )
            rows, problems = parse_roster(roster, filename="roster.csv")
            assert not problems
            report = enroll(
                session,
                program=program,
                rows=rows,
                directory=directory,
                catalog=self.catalog,
                filename="roster.csv",
                now=utcnow(),
            )
            assert not report.problems, report.problems

    def tick(self, at: dt.datetime) -> TickReport:
        """What `upward worker` does each minute: one process, every workspace."""
        self.clock.set(at)
        return run_tick(
            self.sessions,
            WorkspaceClients.from_settings(self.settings, self.engine),
            catalog=self.catalog,
            now=at,
            worker="test-worker",
        )

    def installed_token(self, team_id: str) -> str:
        with self.engine.connect() as conn:
            return conn.execute(
                select(slack_bots.c.bot_token).where(slack_bots.c.team_id == team_id)
            ).scalar_one()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def distributed(empty_database: URL) -> Iterator[Distributed]:
    with SlackStandIn(DEMO_SEED_PATH, rate_limits=False, teams=[OTHER_TEAM_SEED]) as slack:
        port = _free_port()
        bot_url = f"http://127.0.0.1:{port}"
        settings = Settings(
            database_url=empty_database.render_as_string(hide_password=False),
            slack_api_url=slack.api_url,
            slack_signing_secret=SecretStr(slack.signing_secret),
            slack_client_id=slack.workspace.client_id,
            slack_client_secret=SecretStr(slack.workspace.client_secret),
            slack_redirect_uri=f"{bot_url}/slack/oauth_redirect",
            slack_bot_token=None,
            slack_app_token=None,
        )
        engine = make_engine(settings.database)
        upgrade(engine)
        clock = Clock(dt.datetime(2026, 11, 30, tzinfo=UTC))
        work = WorkPool(WORK_THREADS, listener_threads=LISTENER_THREADS)
        app = wsgi_app(settings, clock=clock, work=work)
        server, url = serve_in_thread(app, port=port)
        try:
            yield Distributed(
                slack=slack,
                settings=settings,
                engine=engine,
                sessions=make_session_factory(engine),
                catalog=load_catalog(),
                bot_url=url,
                sender=SignedSender(f"{url}/slack/events", slack.signing_secret),
                clock=clock,
                work=work,
            )
        finally:
            server.shutdown()
            server.server_close()
            app.engine.dispose()
            engine.dispose()


def texts(message: dict) -> str:
    return json.dumps(message.get("blocks") or [], ensure_ascii=False) + message.get("text", "")


def first_module(d: Distributed, *people: SimulatedUser) -> list[dict]:
    """Tick hour by hour from the start until each person has module 1 in their DM."""
    now = dt.datetime(2026, 12, 1, 0, tzinfo=UTC)
    for _ in range(24 * 7):
        d.tick(now)
        found = [next((m for m in p.bot_dms() if "module 1 of" in texts(m)), None) for p in people]
        if all(found):
            return found  # type: ignore[return-value]
        now += dt.timedelta(hours=1)
    raise AssertionError("module 1 did not reach everyone within a week")


def test_install_stores_each_workspace_and_its_bot_token(distributed: Distributed) -> None:
    d = distributed
    d.install(NORTHWIND)
    d.install(OTHER)
    with d.engine.connect() as conn:
        bots = conn.execute(
            select(
                slack_bots.c.team_id,
                slack_bots.c.team_name,
                slack_bots.c.bot_user_id,
                slack_bots.c.bot_scopes,
            )
        ).all()
        installs = conn.execute(
            select(slack_installations.c.team_id, slack_installations.c.user_id)
        ).all()
        states = conn.execute(select(func.count()).select_from(slack_oauth_states)).scalar_one()
    assert sorted(b[:3] for b in bots) == sorted(
        [(OTHER, "Other Co", "U0OTHERBOT"), (NORTHWIND, "Northwind Labs", "U07UPWBOT1")]
    )
    assert all(
        "chat:write" in b[3].split(",") for b in bots
    )  # the manifest's scopes were asked for
    assert sorted(installs) == sorted([(OTHER, "U0OLEAD001"), (NORTHWIND, "U07LEAD0001")])
    assert states == 0  # each install's state was used up
    assert d.installed_token(NORTHWIND) != d.installed_token(OTHER)
    (exchange,) = d.slack.team(OTHER).calls_to("oauth.v2.access")
    assert exchange.ok and exchange.args["redirect_uri"] == f"{d.bot_url}/slack/oauth_redirect"


def test_an_install_needs_the_browser_that_started_it_works_once_and_can_be_cancelled(
    distributed: Distributed,
) -> None:
    d = distributed
    install_url = f"{d.bot_url}/slack/install"
    status, headers, body = get(install_url)
    assert (
        status == 200
        and "oauth/v2/authorize" in body
        and "slack-app-oauth-state=" in headers["set-cookie"]
    )

    redirect, cookie = approve_in_browser(d.slack, install_url, team_id=OTHER)
    assert (
        "invalid_browser" in get(redirect)[2]
    )  # another browser (no state cookie) cannot finish it
    redirect, cookie = approve_in_browser(d.slack, install_url, team_id=OTHER)
    assert "Thank you!" in get(redirect, cookie=cookie)[2]
    assert "Thank you!" not in get(redirect, cookie=cookie)[2]  # the state is used up
    cancelled = d.slack.install(install_url, team_id=NORTHWIND, deny=True)
    assert "access_denied" in cancelled.body and "Thank you!" not in cancelled.body
    with d.engine.connect() as conn:
        assert conn.execute(select(slack_bots.c.team_id)).scalars().all() == [OTHER]
    assert len(d.slack.team(OTHER).calls_to("oauth.v2.access")) == 1


def test_new_programs_need_a_workspace_that_installed_upward(distributed: Distributed) -> None:
    d = distributed
    from bot.config import ConfigError

    with (
        session_scope(d.sessions) as session,
        pytest.raises(ConfigError, match="none yet: open /slack/install"),
    ):
        choose_team(session, d.settings, None)
    d.install(OTHER)
    with session_scope(d.sessions) as session:
        assert choose_team(session, d.settings, None) == OTHER  # the only one installed
        with pytest.raises(ConfigError, match=f"not installed in workspace {NORTHWIND}"):
            choose_team(session, d.settings, NORTHWIND)
    d.install(NORTHWIND)
    with (
        session_scope(d.sessions) as session,
        pytest.raises(ConfigError, match="say which workspace"),
    ):
        choose_team(session, d.settings, None)


def test_each_program_uses_its_workspace_token_and_a_cross_team_click_changes_nothing(
    distributed: Distributed,
) -> None:
    d = distributed
    d.install(NORTHWIND)
    d.install(OTHER)
    d.create_program("Northwind pilot", NORTHWIND, DEMO_ROSTER.read_text())
    d.create_program("Other pilot", OTHER, OTHER_ROSTER)
    with session_scope(d.sessions) as session:
        assert {
            name: team for name, team in session.execute(select(Program.name, Program.team_id))
        } == {
            "Northwind pilot": NORTHWIND,
            "Other pilot": OTHER,
        }

    sofia, otto = d.person(SOFIA), d.person(OTTO)
    sofia_module, otto_module = first_module(d, sofia, otto)

    # Each DM went out in its own workspace, with the token that workspace's install stored.
    for team, user, token in (
        (NORTHWIND, SOFIA, d.installed_token(NORTHWIND)),
        (OTHER, OTTO, d.installed_token(OTHER)),
    ):
        posts = [
            c
            for c in d.slack.team(team).calls_to("chat.postMessage")
            if c.ok and c.args.get("channel") == user
        ]
        assert posts and {c.team for c in posts} == {team}
        assert {c.token_tail for c in posts} == {token[-8:]}
    for team, strangers in (
        (NORTHWIND, {OTTO, "U0OEXEC002", "U0OLEAD001", "U0OMENT001"}),
        (OTHER, {SOFIA}),
    ):
        assert not [
            c
            for c in d.slack.team(team).calls
            if c.args.get("channel") in strangers or c.args.get("user") in strangers
        ]
    with session_scope(d.sessions) as session:
        unsent = session.scalars(
            select(OutboxMessage.error).where(OutboxMessage.status != "sent")
        ).all()
        assert not [e for e in unsent if e], unsent

    # Otto answers in his workspace: recorded, and his message updated with Other Co's token.
    module = d.catalog.modules[d.catalog.programs["pilot"].modules[0]]
    question = module.questions[0]
    right = next(o for o in question.options if o.id == question.correct)
    updates_before = len(d.slack.team(OTHER).calls_to("chat.update"))
    assert otto.click(otto_module, text=right.label).status == 200
    d.settle()
    assert len(d.slack.team(OTHER).calls_to("chat.update")) > updates_before
    assert {c.team for c in d.slack.team(OTHER).calls_to("chat.update")} == {OTHER}
    assert _answers(d, OTTO) == 1

    # A click on Sofia's module, with Sofia's ids, arriving as Other Co: answered, and nothing
    # changes.
    found = sofia.find_action(sofia_module, text=right.label)
    with sofia.ws.lock:
        action = payloads.action_entry(found["block"], found["element"], option=found["option"])
        forged = payloads.block_actions(
            sofia.ws,
            user_id=SOFIA,
            action=action,
            message=found["message"],
            channel_id=found["channel_id"],
        )
    forged["team"] = {"id": OTHER, "domain": "other-co"}
    forged["user"]["team_id"] = OTHER
    calls_before = {team: len(d.slack.team(team).calls) for team in (NORTHWIND, OTHER)}
    assert d.sender.send_interaction(forged).status == 200
    d.settle()
    assert _answers(d, SOFIA) == 0
    assert [c.method for c in d.slack.team(NORTHWIND).calls[calls_before[NORTHWIND] :]] == []
    assert not [
        c for c in d.slack.team(OTHER).calls[calls_before[OTHER] :] if SOFIA in json.dumps(c.args)
    ]
    assert sofia.ephemerals() == [] and texts(sofia.bot_dms()[-1]) == texts(sofia_module)

    # The genuine click from Sofia's own workspace still works.
    assert sofia.click(sofia_module, text=right.label).status == 200
    assert eventually(lambda: _answers(d, SOFIA) == 1)


def _answers(d: Distributed, user_id: str) -> int:
    with session_scope(d.sessions) as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(Answer)
                .join(Delivery, Delivery.id == Answer.delivery_id)
                .join(Person, Person.id == Delivery.person_id)
                .where(Person.slack_user_id == user_id)
            )
            or 0
        )


def test_uninstalling_deletes_the_workspaces_tokens_and_its_messages_fail_with_a_clear_line(
    distributed: Distributed,
) -> None:
    d = distributed
    d.install(NORTHWIND)
    d.install(OTHER)
    d.create_program("Northwind pilot", NORTHWIND, DEMO_ROSTER.read_text())
    d.create_program("Other pilot", OTHER, OTHER_ROSTER)
    with session_scope(d.sessions) as session:
        ids = {team: pid for pid, team in session.execute(select(Program.id, Program.team_id))}
        for team, user in ((NORTHWIND, SOFIA), (OTHER, OTTO)):
            outbox.enqueue(
                session,
                Record(Purpose.other, f"hello:{team}"),
                method="chat.postMessage",
                payload={"channel": user, "text": "hello"},
                now=utcnow(),
                program_id=ids[team],
            )
    with session_scope(d.sessions) as session:  # each row knows its program's workspace
        assert {
            k: t
            for k, t in session.execute(
                select(OutboxMessage.idempotency_key, OutboxMessage.team_id)
            )
        } == {
            f"hello:{NORTHWIND}": NORTHWIND,
            f"hello:{OTHER}": OTHER,
        }

    other = d.slack.team(OTHER)
    assert (
        d.sender.send_event(
            payloads.event_callback(other, {"type": "app_uninstalled", "event_ts": "1"})
        ).status
        == 200
    )
    d.settle()  # Bolt acks an event before its listener runs
    with d.engine.connect() as conn:
        assert conn.execute(select(slack_bots.c.team_id)).scalars().all() == [NORTHWIND]

    stats = outbox.flush(
        d.sessions,
        WorkspaceClients.from_settings(d.settings, d.engine),
        now=utcnow(),
        worker_id="test",
    )
    assert (stats.sent, stats.failed) == (1, 1)
    with session_scope(d.sessions) as session:
        failed = session.scalars(
            select(OutboxMessage).where(OutboxMessage.status == "failed")
        ).one()
        assert failed.team_id == OTHER and f"not installed in workspace {OTHER}" in (
            failed.error or ""
        )
    assert [m["text"] for m in d.person(SOFIA).bot_dms()] == ["hello"] and d.person(
        OTTO
    ).bot_dms() == []
