"""Ack latency of block_actions answers: `upward serve` beside a bare Bolt app, same server, same run.

    python bench/ack_latency.py [--database-url postgresql://postgres@127.0.0.1:5432/test] [--requests 1000]

Both apps run under gunicorn (gthread, the same worker settings) against the Slack stand-in;
50 concurrent simulated executives click real answer buttons Upward posted. Prints a table and
exits 1 when Upward's p99 is over 100 ms or over 1.5 times the bare app's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import Settings, parse_database_url  # noqa: E402
from bot.content.loader import load_catalog  # noqa: E402
from bot.db import make_engine, make_session_factory, session_scope  # noqa: E402
from bot.migrate import upgrade  # noqa: E402
from bot.models import utcnow  # noqa: E402
from bot.programs.service import create_program  # noqa: E402
from bot.roster.enroll import enroll  # noqa: E402
from bot.roster.service import parse_roster  # noqa: E402
from bot.sandbox import DEMO_SEED_PATH, SignedSender, SlackStandIn  # noqa: E402
from bot.sandbox import payloads  # noqa: E402
from bot.slack.client import make_web_client  # noqa: E402
from bot.slack.directory import SlackDirectory  # noqa: E402
from bot.tick import run_tick  # noqa: E402

CONCURRENCY = 50
WORKERS, THREADS = 2, 16


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(150):
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.communicate()[1].decode()[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return  # it answers (the bare app has no /healthz)
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} never answered")


def start(cmd: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_healthy(f"http://127.0.0.1:{port}/healthz", proc)
    return proc


def prepare(settings: Settings, slack: SlackStandIn) -> None:
    """A pilot for the demo roster, ticked until every executive has a module in their DM."""
    catalog = load_catalog()
    engine = make_engine(settings.database)
    upgrade(engine)
    sessions = make_session_factory(engine)
    roster = (ROOT / "bot" / "sandbox" / "demo_roster.csv").read_text()
    with session_scope(sessions) as session:
        program = create_program(session, catalog=catalog, name=f"Bench {time.time_ns()}", template_id="pilot",
                                 start=dt.date(2026, 12, 1), timezone="UTC", now=utcnow())
        rows, _ = parse_roster(roster, filename="demo_roster.csv")
        enroll(session, program=program, rows=rows, directory=SlackDirectory(make_web_client(settings)),
               catalog=catalog, filename="demo_roster.csv", now=utcnow())
    client = make_web_client(settings)
    for hour in range(72):
        run_tick(sessions, client, catalog=catalog, now=dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc) + dt.timedelta(hours=hour))
    engine.dispose()


def answer_payloads(slack: SlackStandIn, count: int) -> list[dict]:
    """block_actions payloads for real answer buttons in executives' DMs, round-robin."""
    clicks = []
    for user in [u for u in slack.workspace.snapshot()["users"] if u["id"].startswith("U07EXEC")]:
        for message in slack.workspace.dm_messages(user["id"]):
            for block in message.get("blocks") or []:
                for element in block.get("elements") or []:
                    if str(element.get("action_id", "")).startswith(("learning.answer:", "learning.rate:")):
                        with slack.workspace.lock:
                            action = payloads.action_entry(block, element, option=None)
                            clicks.append(payloads.block_actions(
                                slack.workspace, user_id=user["id"], action=action, message=message,
                                channel_id=slack.workspace.dm_channel_id(user["id"]), is_ephemeral=False))
    if not clicks:
        raise SystemExit("no answer buttons were posted; nothing to click")
    return [clicks[i % len(clicks)] for i in range(count)]


def measure(sender: SignedSender, clicks: list[dict]) -> list[float]:
    def one(payload: dict) -> float:
        started = time.perf_counter()
        response = sender.send_interaction(payload)
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise SystemExit(f"HTTP {response.status}: {response.text[:200]}")
        return elapsed * 1000

    for payload in clicks[:CONCURRENCY]:  # warm both servers' workers and pools
        one(payload)
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        return list(pool.map(one, clicks))


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="upward-bench-")
    url = parse_database_url(args.database_url or f"sqlite:///{tmp}/bench.db")
    with SlackStandIn(DEMO_SEED_PATH, rate_limits=False) as slack:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
        env.update(DATABASE_URL=url.render_as_string(hide_password=False), SLACK_API_URL=slack.api_url,
                   SLACK_BOT_TOKEN=slack.bot_token, SLACK_SIGNING_SECRET=slack.signing_secret)
        settings = Settings(database_url=env["DATABASE_URL"], slack_api_url=slack.api_url,
                            slack_bot_token=slack.bot_token, slack_signing_secret=slack.signing_secret)
        prepare(settings, slack)
        clicks = answer_payloads(slack, args.requests)
        results = {}
        upward_port, bare_port = free_port(), free_port()
        servers = {
            "bare Bolt app (ack only)": ([sys.executable, "-m", "gunicorn", "bench.bare_app:wsgi", "-b", f"127.0.0.1:{bare_port}",
                                          "-k", "gthread", "-w", str(WORKERS), "--threads", str(THREADS), "--log-level", "warning"], bare_port),
            "upward serve": ([sys.executable, "-m", "bot", "serve", "--port", str(upward_port), "--workers", str(WORKERS),
                              "--threads", str(THREADS)], upward_port),
        }
        for name, (cmd, port) in servers.items():
            proc = start(cmd, env, port)
            try:
                results[name] = measure(SignedSender(f"http://127.0.0.1:{port}/slack/events", slack.signing_secret), clicks)
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)
    bare, upward = results["bare Bolt app (ack only)"], results["upward serve"]
    backend = url.get_backend_name()
    print(f"ack latency, block_actions answers, {len(clicks)} requests at {CONCURRENCY} concurrent, "
          f"gunicorn gthread {WORKERS}x{THREADS}, {backend}, {os.cpu_count()} cores")
    print(f"{'server':<26}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for name, values in results.items():
        print(f"{name:<26}{pct(values, 50):>9.1f}{pct(values, 99):>9.1f}{max(values):>9.1f}")
    ratio = pct(upward, 99) / pct(bare, 99)
    ok = pct(upward, 99) < 100 and ratio <= 1.5
    print(f"target: upward p99 < 100 ms and <= 1.5x bare p99 -> p99 ratio {ratio:.2f}: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
