"""PostgreSQL restarted under a running `upward worker` and `upward serve`: both carry on by
themselves.

The shared server serves the other tests in parallel, so this test restarts a private cluster of its
own (tests/pgcluster.py). Real processes, real HTTP, the Slack stand-in: messages go out before the
outage, a quick restart goes unnoticed, /healthz says 503 while the server is down for longer, and
afterwards, without restarting either process, /healthz is 200 again, a click is recorded, and every
message (including one a tick had claimed but not sent when the server went away) lands in Slack
exactly once.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import URL

from bot.content.loader import load_catalog
from bot.db import make_engine, make_session_factory, session_scope
from bot.migrate import upgrade
from bot.models import OutboxMessage, OutboxStatus, Person, PersonStatus, utcnow
from bot.programs.service import create_program
from bot.roster.enroll import enroll
from bot.roster.service import parse_roster
from bot.sandbox import DEMO_SEED_PATH, SignedSender, SimulatedUser, SlackStandIn
from bot.slack.client import make_web_client
from bot.slack.directory import SlackDirectory
from tests.e2e.conftest import eventually, stack_settings
from tests.e2e.test_scale_out import delivered, enqueue, start_worker, stop, wait_all_sent
from tests.e2e.test_serve import _env, _free_port, _get, _wait_healthy
from tests.pgcluster import ClusterError, PostgresCluster

EXEC = "U07EXEC0003"  # Sofia Lindqvist
# A send the stand-in holds this long after posting: the server is stopped while the worker waits.
SLOW_SEND_SECONDS = 4.0


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    """A private PostgreSQL this module may stop and start; removed afterwards."""
    try:
        pg = PostgresCluster()
    except ClusterError as exc:
        pytest.fail(str(exc), pytrace=False)  # fail, never skip: CI has PostgreSQL 15
    try:
        pg.start()
        yield pg
    finally:
        pg.destroy()


@pytest.fixture()
def database(cluster: PostgresCluster) -> URL:
    """A fresh database on the private cluster, migrated to head."""
    if not cluster.running:  # an earlier test failed while the server was down
        cluster.start()
    url = cluster.create_database(f"upward_{uuid.uuid4().hex[:8]}")
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def enrol_paused_executive(url: URL, slack: SlackStandIn) -> None:
    """EXEC in a program that starts in two months (so no duty falls due), paused: Home offers
    Resume."""
    settings = stack_settings(url, slack)
    catalog = load_catalog(settings.content_dir)
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as session:
        start = utcnow().date() + dt.timedelta(days=60)
        program = create_program(
            session,
            catalog=catalog,
            name="Pilot",
            template_id="pilot",
            start=start,
            timezone="Europe/London",
            now=utcnow(),
        )
        rows, problems = parse_roster(
            f"slack_user_id,role\n{EXEC},executive\n", filename="roster.csv"
        )
        assert not problems
        report = enroll(
            session,
            program=program,
            rows=rows,
            directory=SlackDirectory(make_web_client(settings)),
            catalog=catalog,
            filename="roster.csv",
            now=utcnow(),
        )
        assert not report.problems, report.problems
        session.execute(
            update(Person).where(Person.slack_user_id == EXEC).values(status=PersonStatus.paused)
        )
    engine.dispose()


def health(url: str) -> tuple[int, dict]:
    try:
        return _get(f"{url}/healthz")
    except OSError as exc:  # no answer at all is an outage of the web process, not of the database
        return 0, {"error": str(exc)}


def children(pid: int) -> set[int]:
    """Process ids whose parent is `pid` (gunicorn's worker processes)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def outbox_statuses(url: URL, users: list[str]) -> dict[str, OutboxStatus]:
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        rows = session.execute(
            select(OutboxMessage.idempotency_key, OutboxMessage.status).where(
                OutboxMessage.idempotency_key.in_([f"hello:{u}" for u in users])
            )
        ).all()
    engine.dispose()
    return {key.removeprefix("hello:"): status for key, status in rows}


def posted_to(slack: SlackStandIn, users: list[str]) -> list[str]:
    """The users of `users` a chat.postMessage was made to, in call order."""
    return [
        c.args["channel"]
        for c in slack.workspace.calls_to("chat.postMessage")
        if c.args["channel"] in users
    ]


def start_web(url: URL, slack: SlackStandIn, tmp_path: Path) -> tuple[subprocess.Popen[str], str]:
    """`upward serve` with two gunicorn workers, logging to web.log; the process and its URL."""
    port = _free_port()
    with (tmp_path / "web.log").open("w") as log:
        web = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--port", str(port), "--workers", "2"],
            env=_env(url, slack),
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    return web, f"http://127.0.0.1:{port}"


def person_status(url: URL) -> PersonStatus:
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        status = session.scalars(select(Person.status).where(Person.slack_user_id == EXEC)).one()
    engine.dispose()
    return status


def test_worker_and_web_process_recover_from_a_postgresql_restart_on_their_own(
    cluster: PostgresCluster, database: URL, tmp_path: Path
) -> None:
    worker_log = tmp_path / "worker.log"
    with SlackStandIn(DEMO_SEED_PATH, rate_limits=False) as slack:
        enrol_paused_executive(database, slack)
        before = enqueue(database, slack, 3)
        worker = start_worker(database, slack, tmp_path, "worker", lease=5)
        web, bot_url = start_web(database, slack, tmp_path)
        try:
            _wait_healthy(bot_url, web)
            web_workers = eventually(
                lambda: len(children(web.pid)) == 2 and children(web.pid), timeout=10
            )
            assert web_workers, "gunicorn started its 2 workers"
            assert wait_all_sent(database, 3, timeout=20)["sent"] == 3, (
                "the messages queued at the start were sent"
            )
            assert eventually(lambda: "3 sent" in worker_log.read_text(), timeout=10), (
                "the tick that sent them to end"
            )
            assert [health(bot_url)[0] for _ in range(10)] == [
                200
            ] * 10  # the web workers hold pooled connections

            # A quick restart between two ticks, with nothing asking meanwhile: every pooled
            # connection is dead, and each process must find that out before using one (pre-ping).
            cluster.stop("fast")
            cluster.start()
            assert [health(bot_url)[0] for _ in range(10)] == [200] * 10, (
                "the first requests after a restart succeed"
            )

            # A tick in flight when the server goes: it has claimed two rows and waits for Slack's
            # answer to the first (posted, not yet recorded); the second is claimed but not sent.
            slack.faults.configure(
                slow_rate=1.0,
                slow_seconds=SLOW_SEND_SECONDS,
                methods=frozenset({"chat.postMessage"}),
            )
            in_flight = enqueue(database, slack, 2)
            posted = slack.workspace.wait_until(lambda: posted_to(slack, in_flight), timeout=15)
            assert "tick failed" not in worker_log.read_text(), (
                "the first tick after the quick restart worked"
            )
            assert len(posted) == 1 and outbox_statuses(database, in_flight) == dict.fromkeys(
                in_flight, OutboxStatus.sending
            )
            cluster.stop("fast")
            slack.faults.clear()

            for _ in range(4):  # whichever gunicorn worker answers says the database is down
                assert health(bot_url) == (503, {"ok": False})
            assert (
                "health check failed: cannot use the database" in (tmp_path / "web.log").read_text()
            ), "the reason is in the log"
            # The in-flight tick fails when it records its send, the next one as it starts.
            failing = eventually(
                lambda: worker_log.read_text().count("tick failed") >= 2, timeout=20
            )
            assert failing, "two ticks failed during the outage"
            assert worker.poll() is None, (
                f"the worker exited during the outage:\n{worker_log.read_text()}"
            )
            assert web.poll() is None, (tmp_path / "web.log").read_text()
            assert posted_to(slack, in_flight) == posted, (
                "nothing was sent while the database was down"
            )

            cluster.start()
            after = enqueue(database, slack, 2)  # due once the server is back
            assert eventually(
                lambda: all(health(bot_url)[0] == 200 for _ in range(4)), timeout=10
            ), "/healthz back to 200"

            sofia = SimulatedUser(
                slack, SignedSender(f"{bot_url}/slack/events", slack.signing_secret), EXEC
            )
            assert sofia.open_home().status == 200
            slack.workspace.wait_until(lambda: "Resume Upward" in str(sofia.home()), timeout=10)
            assert sofia.click_in_view(home=True, text="Resume Upward").status == 200
            assert eventually(lambda: person_status(database) == PersonStatus.active, timeout=10), (
                "the click recorded"
            )
            slack.workspace.wait_until(lambda: "Snooze a week" in str(sofia.home()), timeout=10)

            counts = wait_all_sent(database, 7, timeout=30)
            assert counts == Counter({"sent": 7}), counts
            assert worker.poll() is None and web.poll() is None, "neither process was restarted"
            assert children(web.pid) == web_workers, "gunicorn's workers lived through the outage"
        finally:
            stop(worker, web)

    everyone = before + in_flight + after
    seen = delivered(slack, everyone)
    assert seen == Counter({f"hello:{u}": 1 for u in everyone}), seen
    # The in-flight message was found in the conversation after recovery, not posted again.
    assert Counter(posted_to(slack, everyone)) == Counter(everyone)
    log = worker_log.read_text()
    assert "Traceback" not in log, f"one line per failed tick, not a traceback:\n{log}"
    failures = [line for line in log.splitlines() if "tick failed" in line]
    assert failures and all("cannot use the database" in line for line in failures), log
    assert "the database is reachable again" in log
    assert worker.returncode == 0 and web.returncode == 0, (tmp_path / "web.log").read_text()
