"""The contract commands as an installer runs them: program, roster import, tick, worker."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import URL

from bot.content.loader import load_catalog
from bot.db import db_now, make_engine, make_session_factory, session_scope
from bot.migrate import upgrade
from bot.models import Delivery, Membership, OutboxMessage, OutboxStatus, Person, Program, Purpose
from bot.programs.service import create_program
from bot.sandbox import DEMO_SEED_PATH, SlackStandIn
from bot.slack import outbox
from bot.slack.records import Record
from tests.e2e.conftest import eventually


@dataclass
class Cli:
    env: dict[str, str]
    cwd: Path
    slack: SlackStandIn
    url: URL

    def __call__(self, *args: str, offline: bool = False) -> subprocess.CompletedProcess[str]:
        """`upward ARGS`; `offline`: without SLACK_BOT_TOKEN and SLACK_API_URL."""
        env = {k: v for k, v in self.env.items() if not (offline and k.startswith("SLACK_"))}
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            env=env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def create_program(self, name: str, template: str, start: str) -> None:
        """A program made in-process as of its start date: `upward program create` refuses a
        program that is already over by today, and these tests replay December 2026."""
        day = dt.date.fromisoformat(start)
        engine = make_engine(self.url)
        with session_scope(make_session_factory(engine)) as session:
            create_program(
                session,
                catalog=load_catalog(),
                name=name,
                template_id=template,
                start=day,
                timezone="UTC",
                now=dt.datetime.combine(day, dt.time(0, 0), tzinfo=dt.UTC),
            )
        engine.dispose()

    def count(self, model: type) -> int:
        engine = make_engine(self.url)
        with make_session_factory(engine)() as session:
            n = session.scalar(select(func.count()).select_from(model)) or 0
        engine.dispose()
        return n


@pytest.fixture()
def cli(empty_database: URL, tmp_path: Path) -> Iterator[Cli]:
    engine = make_engine(empty_database)
    upgrade(engine)
    engine.dispose()
    with SlackStandIn(DEMO_SEED_PATH, rate_limits=False) as slack:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
        env.update(
            DATABASE_URL=empty_database.render_as_string(hide_password=False),
            SLACK_API_URL=slack.api_url,
            SLACK_BOT_TOKEN=slack.bot_token,
            SLACK_SIGNING_SECRET=slack.signing_secret,
        )
        yield Cli(env, tmp_path, slack, empty_database)


ROSTER = """slack_user_id,email,role,country,department
U07LEAD0001,,lead,GB,People
,diego.alvarez@northwind.example,mentor,US,Engineering
U07EXEC0001,,executive,US,Executive office
U07EXEC0003,,executive,DE,Operations
U07EXEC0006,,executive,IN,Engineering
,nobody@northwind.example,executive,US,
U07EXEC0002,,chief,US,
"""


def working_day_in_december_next_year() -> dt.date:
    """A start `program create` takes whenever the tests run: a weekday, not yet past."""
    day = dt.date(dt.date.today().year + 1, 12, 1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def test_program_lifecycle(cli: Cli) -> None:
    start = working_day_in_december_next_year()
    created = cli(
        "program",
        "create",
        "Pilot 2026",
        "--template",
        "pilot",
        "--start",
        start.isoformat(),
        "--timezone",
        "Europe/London",
    )
    assert created.returncode == 0, created.stderr
    assert (
        f"Created program 'Pilot 2026' from template pilot: {start} to"
        f" {start + dt.timedelta(days=27)}" in created.stdout
    )
    assert created.stderr == "", "a start in the future needs no note"
    again = cli("program", "create", "pilot 2026", "--template", "pilot", "--start", "2026-12-01")
    assert again.returncode == 1 and "already exists" in again.stderr
    bad = cli("program", "create", "X", "--template", "semester", "--start", "2026-12-01")
    assert bad.returncode == 1 and "choose one of pilot, quarter, enterprise" in bad.stderr
    bad_date = cli("program", "create", "X", "--template", "pilot", "--start", "2026-13-01")
    assert bad_date.returncode == 2 and "Traceback" not in bad_date.stderr
    bad_tz = cli(
        "program",
        "create",
        "X",
        "--template",
        "pilot",
        "--start",
        "2026-12-01",
        "--timezone",
        "Mars/Base",
    )
    assert bad_tz.returncode == 1 and "unknown time zone" in bad_tz.stderr

    listing = cli("program", "list")
    assert "Pilot 2026" in listing.stdout and "active" in listing.stdout
    assert "pause" in cli("program", "pause", "Pilot 2026").stdout
    assert "already paused" in cli("program", "pause", "Pilot 2026").stdout
    assert "is active" in cli("program", "resume", "Pilot 2026").stdout
    shown = cli("program", "show", "Pilot 2026")
    assert "delivery window:" in shown.stdout and "09:00–17:00" in shown.stdout
    missing = cli("program", "show", "Nope")
    assert (
        missing.returncode == 1
        and "no program named 'Nope' (programs: Pilot 2026)" in missing.stderr
    )


def test_program_create_refuses_what_nobody_would_see_and_changes_nothing(cli: Cli) -> None:
    def create(start: str, *more: str) -> subprocess.CompletedProcess[str]:
        return cli("program", "create", "Pilot", "--template", "pilot", "--start", start, *more)

    over = create("2020-01-06")
    assert over.returncode == 1 and "Traceback" not in over.stderr
    assert over.stderr.startswith(
        "upward: error: starting on 2020-01-06, this pilot program would have ended on 2020-02-02,"
        " before today ("
    )
    assert over.stderr.endswith("so Upward would send it nothing: give a --start from today on\n")

    saturday = working_day_in_december_next_year()
    saturday += dt.timedelta(days=5 - saturday.weekday())
    weekend = create(saturday.isoformat())
    assert weekend.returncode == 1
    assert f"{saturday} is a Saturday" in weekend.stderr
    assert f"start on a working day, such as Monday {saturday + dt.timedelta(days=2)}" in (
        weekend.stderr
    )

    abbreviated = create(working_day_in_december_next_year().isoformat(), "--timezone", "EST")
    assert abbreviated.returncode == 1
    assert "time zone 'EST' is not an Area/City name" in abbreviated.stderr
    assert "America/New_York" in abbreviated.stderr
    assert cli.count(Program) == 0

    last_week = dt.date.today() - dt.timedelta(days=7)
    last_week -= dt.timedelta(days=max(0, last_week.weekday() - 4))  # a weekday
    started = create(last_week.isoformat())
    assert started.returncode == 0 and cli.count(Program) == 1
    assert started.stderr.startswith("upward: note: 'Pilot' started ")
    assert "executives catch up at one module a day" in started.stderr


def test_roster_import_reports_bad_rows_imports_good_ones_and_is_idempotent(cli: Cli) -> None:
    cli.create_program("Pilot", "pilot", "2026-12-01")
    (cli.cwd / "team.csv").write_text(ROSTER)
    first = cli("roster", "import", "team.csv", "--program", "Pilot")
    assert first.returncode == 1  # some rows were skipped
    assert "team.csv:7: no Slack user has the email nobody@northwind.example" in first.stderr
    assert "team.csv:8: role 'chief' is not one of executive, mentor, lead" in first.stderr
    assert "5 people added" in first.stdout and "Traceback" not in first.stderr
    assert cli.count(Membership) == 5
    engine = make_engine(cli.url)
    with make_session_factory(engine)() as session:
        diego = session.scalars(
            select(Person).where(Person.email == "diego.alvarez@northwind.example")
        ).one()
        assert (diego.slack_user_id, diego.timezone) == (
            "U07MENT0001",
            "America/Los_Angeles",
        )  # from Slack
        planned = session.scalar(select(func.count()).select_from(Delivery))
    engine.dispose()
    assert planned == 3 * 10  # baseline, 8 modules, closing for each executive

    second = cli("roster", "import", "team.csv", "--program", "Pilot")
    assert "0 people added, 0 updated, 0 roles added, 5 unchanged" in second.stdout
    assert cli.count(Membership) == 5 and cli.count(Delivery) == planned

    missing = cli("roster", "import", "nope.csv", "--program", "Pilot")
    assert missing.returncode == 1 and "nope.csv: no such file" in missing.stderr


OFFLINE_ROSTER = """slack_user_id,role,timezone,country,display_name
U07LEAD0001,lead,Europe/London,GB,
U07EXEC0001,executive,America/New_York,US,Ana
U07EXEC0003,executive,Europe/Berlin,DE,
"""


def test_roster_import_needs_no_token_when_every_row_has_an_id_and_a_zone(cli: Cli) -> None:
    cli.create_program("Pilot", "pilot", "2026-12-01")
    (cli.cwd / "team.csv").write_text(OFFLINE_ROSTER)
    (cli.cwd / "emails.csv").write_text(ROSTER)
    calls = len(cli.slack.workspace.calls)

    refused = cli("roster", "import", "emails.csv", "--program", "Pilot", offline=True)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert refused.stderr == (
        "upward: error: SLACK_BOT_TOKEN is not set, and only Slack knows the person or time zone"
        " of emails.csv lines 2, 3, 4, 5, 6, …: set SLACK_BOT_TOKEN, or give every row a"
        " slack_user_id and a timezone to import without Slack\n"
    )
    assert cli.count(Membership) == 0

    imported = cli("roster", "import", "team.csv", "--program", "Pilot", offline=True)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout == "team.csv: 3 people added, 0 updated, 3 roles added, 0 unchanged.\n"
    assert "imported without Slack (SLACK_BOT_TOKEN is not set)" in imported.stderr
    assert cli.count(Membership) == 3 and cli.count(Delivery) == 2 * 10
    assert len(cli.slack.workspace.calls) == calls, "Slack was not asked"

    # With the token, the names Slack knows are filled in; what the file says is kept.
    filled = cli("roster", "import", "team.csv", "--program", "Pilot")
    assert "0 people added, 2 updated, 0 roles added, 1 unchanged." in filled.stdout
    engine = make_engine(cli.url)
    with make_session_factory(engine)() as session:
        names = dict(session.execute(select(Person.slack_user_id, Person.display_name)).all())
    engine.dispose()
    assert names["U07EXEC0001"] == "Ana" and names["U07EXEC0003"] and names["U07LEAD0001"]


def test_roster_import_dry_run_reports_and_changes_nothing(cli: Cli) -> None:
    cli.create_program("Pilot", "pilot", "2026-12-01")
    (cli.cwd / "team.csv").write_text(ROSTER)

    checked = cli("roster", "import", "team.csv", "--program", "Pilot", "--dry-run")

    assert checked.returncode == 1  # two rows would be skipped
    assert "team.csv:8: role 'chief' is not one of executive, mentor, lead" in checked.stderr
    assert checked.stdout == (
        "team.csv: dry run, nothing was changed. The import would add 5 people, update 0 and add"
        " 5 roles; 0 unchanged; 2 rows skipped (see above).\n"
    )
    assert cli.count(Person) == cli.count(Membership) == cli.count(Delivery) == 0
    offline = cli("roster", "import", "t.csv", "--program", "Pilot", "--dry-run", offline=True)
    assert offline.returncode == 1 and "t.csv: no such file" in offline.stderr


def test_tick_twice_for_the_same_instant_sends_nothing_twice(cli: Cli) -> None:
    cli.create_program("Pilot", "pilot", "2026-12-01")
    (cli.cwd / "team.csv").write_text(ROSTER)
    cli("roster", "import", "team.csv", "--program", "Pilot")
    first = cli("tick", "--at", "2026-12-01T10:30:00+00:00")
    assert first.returncode == 0, first.stderr
    assert "modules queued" in first.stdout and "sent" in first.stdout
    posts = len(cli.slack.workspace.calls_to("chat.postMessage"))
    assert posts >= 2  # the Berlin and Kolkata executives' baselines
    second = cli("tick", "--at", "2026-12-01T10:30:00+00:00")
    assert second.returncode == 0 and "nothing due" in second.stdout
    assert len(cli.slack.workspace.calls_to("chat.postMessage")) == posts


def test_tick_fast_forwards_a_week(cli: Cli) -> None:
    cli.create_program("Pilot", "pilot", "2026-12-01")
    (cli.cwd / "team.csv").write_text(ROSTER)
    cli("roster", "import", "team.csv", "--program", "Pilot")
    result = cli(
        "tick", "--at", "2026-12-01T00:00Z", "--until", "2026-12-07T23:00Z", "--every", "1h"
    )
    assert result.returncode == 0, result.stderr
    assert "2026-12-01T00:00+00:00 → 2026-12-07T23:00+00:00:" in result.stdout
    # Baseline, the first two modules and Friday's check-in for each of the three executives, each
    # exactly once, and a threaded reminder under each unanswered module.
    for uid in ("U07EXEC0001", "U07EXEC0003", "U07EXEC0006"):
        assert len(cli.slack.workspace.dm_messages(uid)) == 4, uid  # and Friday's KPI check-in
    keys = [
        c.args["metadata"]["event_payload"]["key"]
        for c in cli.slack.workspace.calls_to("chat.postMessage")
    ]
    assert len(keys) == len(set(keys)), "nothing sent twice"
    kinds = Counter(key.split(":")[0] for key in keys)
    # ...and on Monday 7 December at 09:00 the lead's digest of the first week.
    assert kinds == {"delivery": 9, "reminder": 6, "kpi-checkin": 3, "digest": 1}, kinds
    for args, message in (
        (("--at", "yesterday"), "not an ISO-8601 instant"),
        (("--at", "2026-12-02T00:00Z", "--until", "2026-12-01T00:00Z"), "--until is before --at"),
        (
            ("--until", "2027-01-01T00:00Z", "--at", "2026-12-01T00:00Z", "--every", "1 fortnight"),
            "not a duration",
        ),
    ):
        bad = cli("tick", *args)
        assert bad.returncode == 1 and message in bad.stderr and "Traceback" not in bad.stderr


def test_worker_stops_cleanly_on_sigterm_and_a_second_one_refuses_on_sqlite(
    cli: Cli, backend: str
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "worker"],
        env=cli.env,
        cwd=cli.cwd,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        started = _wait_for_line(proc, "ticking every")
        assert proc.poll() is None, f"the worker stopped by itself: {started}"
        if backend == "sqlite":
            second = cli("worker")
            assert (
                second.returncode == 1
                and "another `upward worker` is already running" in second.stderr
            )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.send_signal(signal.SIGTERM)  # an impatient second one changes nothing
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "finishing the current tick and stopping" in err
    # APScheduler's INFO lines (job added, running, executed; scheduler started, shut down) are
    # quiet (tests/test_logs.py checks the levels themselves).
    assert " apscheduler" not in started + err, started + err


def _wait_for_line(proc: subprocess.Popen[str], text: str, timeout: float = 60) -> str:
    """Read the process's stderr until a line containing `text` (or it exits, or time is up)."""
    assert proc.stderr is not None
    seen: list[str] = []
    found = threading.Event()

    def read() -> None:
        for line in proc.stderr:  # type: ignore[union-attr]
            seen.append(line)
            if text in line:
                found.set()
                return

    threading.Thread(target=read, daemon=True).start()
    assert found.wait(timeout), f"no line with {text!r} in {timeout}s: {''.join(seen)}"
    return "".join(seen)


def test_program_show_lists_messages_slack_refused(cli: Cli) -> None:
    cli.create_program("Pilot", "pilot", "2026-12-01")
    (cli.cwd / "team.csv").write_text(ROSTER)
    cli("roster", "import", "team.csv", "--program", "Pilot")
    cli.slack.fail_next("chat.postMessage", error="account_inactive", status=200)
    cli("tick", "--at", "2026-12-01T10:30:00+00:00")
    shown = cli("program", "show", "Pilot")
    assert "undeliverable:" in shown.stdout and "account_inactive ×1" in shown.stdout


def test_circles_preview_prints_the_proposal_and_touches_nothing(cli: Cli) -> None:
    cli.create_program("Leaders", "quarter", "2026-12-01")
    lines = ["slack_user_id,role,department"] + [
        f"U07EXEC000{i},executive,Dept{i % 3}" for i in range(1, 9)
    ]
    lines += ["U07MENT0001,mentor,", "U07MENT0002,mentor,"]
    (cli.cwd / "leaders.csv").write_text("\n".join(lines) + "\n")
    cli("roster", "import", "leaders.csv", "--program", "Leaders")
    calls = len(cli.slack.workspace.calls)
    preview = cli("circles", "preview", "--program", "Leaders", "--month", "2026-12")
    assert preview.returncode == 0, preview.stderr
    assert "Proposed circles for December 2026: 2 circles; repeat pairs 0" in preview.stdout
    assert "#circle-leaders-2026-12-1: 5 people" in preview.stdout and "(mentor)" in preview.stdout
    assert len(cli.slack.workspace.calls) == calls
    from bot.models import Circle

    assert cli.count(Circle) == 0
    bad = cli("circles", "preview", "--program", "Leaders", "--month", "December")
    assert bad.returncode == 1 and "is not YYYY-MM" in bad.stderr


def test_kpi_list_add_and_retire(cli: Cli) -> None:
    cli.create_program("Pilot", "pilot", "2026-12-01")
    listing = cli("kpi", "list", "--program", "Pilot")
    assert listing.stdout.count(" weekly ") == 3 and "junior-view-first" in listing.stdout
    assert (
        "asks-junior-views            active   mentors  observed 1–5  Asks for and acts on junior"
        " views" in listing.stdout
    )
    new = [
        "kpi",
        "add",
        "--program",
        "Pilot",
        "--key",
        "asked-for-feedback",
        "--name",
        "Asked for feedback",
        "--question",
        "How often did you ask a junior colleague for feedback this week?",
    ]
    full = cli(*new)
    assert full.returncode == 1 and "already has 3 active KPIs; retire one first" in full.stderr
    retired = cli("kpi", "retire", "credited-by-name", "--program", "Pilot")
    assert retired.returncode == 0 and "2 active KPIs remain." in retired.stdout
    added = cli(*new)
    assert (
        added.returncode == 0
        and "Added KPI 'asked-for-feedback'" in added.stdout
        and "rating, 1–5" in added.stdout
    )
    again = cli("kpi", "retire", "credited-by-name", "--program", "Pilot")
    assert again.returncode == 1 and "already retired" in again.stderr
    unknown = cli("kpi", "retire", "nope", "--program", "Pilot")
    assert unknown.returncode == 1 and "has no KPI 'nope'" in unknown.stderr
    bad = cli(
        "kpi", "add", "--program", "Pilot", "--key", "Bad Key!", "--name", "x", "--question", "y"
    )
    assert bad.returncode == 1 and "lowercase letters, digits and dashes" in bad.stderr


def test_tick_holds_the_sqlite_sender_lock_and_claims_with_the_configured_lease(
    cli: Cli, backend: str
) -> None:
    """`upward tick` sends like a worker: one sender at a time on SQLite, and its claims last
    UPWARD_OUTBOX_LEASE_SECONDS by the database's clock (concurrent ticks duplicated messages)."""
    engine = make_engine(cli.url)
    sessions = make_session_factory(engine)
    with session_scope(sessions) as session:
        outbox.enqueue(
            session,
            Record(Purpose.other, "hello:U07EXEC0001"),
            method="chat.postMessage",
            payload={"channel": "U07EXEC0001", "text": "Hello"},
            now=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        )
    cli.slack.faults.configure(slow_rate=1.0, slow_seconds=3.0)  # the send waits: look meanwhile
    env = {**cli.env, "UPWARD_OUTBOX_LEASE_SECONDS": "600"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "tick", "--at", "2026-12-01T09:00Z"],
        env=env,
        cwd=cli.cwd,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:

        def claimed() -> OutboxMessage | None:
            with session_scope(sessions) as session:
                row = session.scalars(select(OutboxMessage)).one()
                return row if row.status == OutboxStatus.sending else None

        row = eventually(claimed, timeout=60)
        with session_scope(sessions) as session:
            left = (row.claimed_until - db_now(session)).total_seconds()
        assert 500 < left <= 600, left
        if backend == "sqlite":
            second = cli("tick", "--at", "2026-12-01T09:00Z")
            assert second.returncode == 1
            assert "another `upward worker` is already running" in second.stderr
    finally:
        _, err = proc.communicate(timeout=60)
        engine.dispose()
    assert proc.returncode == 0, err


def test_digest_send_refuses_a_program_that_has_not_started(cli: Cli) -> None:
    start = working_day_in_december_next_year()
    cli.create_program("Later", "pilot", start.isoformat())
    (cli.cwd / "lead.csv").write_text(
        "slack_user_id,role,timezone\nU07LEAD0001,lead,Europe/London\n"
    )
    assert cli("roster", "import", "lead.csv", "--program", "Later").returncode == 0

    preview = cli("digest", "preview", "--program", "Later")
    sent = cli("digest", "send", "--program", "Later")

    assert preview.returncode == 0
    assert f"the program starts on {start:%a %-d %b}: nothing to report yet" in preview.stdout
    assert "last week" not in preview.stdout
    assert sent.returncode == 1 and "Traceback" not in sent.stderr
    assert sent.stderr.startswith(f"upward: error: 'Later' starts on {start:%a %-d %b %Y}, after ")
    offline = cli("digest", "send", "--program", "Later", offline=True)
    assert offline.stderr == sent.stderr, "the program's refusal comes before the missing token"
    assert cli.slack.workspace.calls_to("chat.postMessage") == []

    # A digest that could go out, without a token: refused, and nothing is queued for later.
    cli.create_program("Now", "pilot", "2026-12-01")
    assert cli("roster", "import", "lead.csv", "--program", "Now").returncode == 0
    tokenless = cli("digest", "send", "--program", "Now", "--week", "2026-W49", offline=True)
    assert tokenless.returncode == 1 and "SLACK_BOT_TOKEN is not set" in tokenless.stderr
    assert cli.count(OutboxMessage) == 0
