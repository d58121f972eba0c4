"""Ack latency of block_actions answers: `upward serve` beside a bare Bolt app, same server, same
run.

    python bench/ack_latency.py [--backend postgresql|sqlite] [--database-url URL] [--requests 1000]

A pilot for the demo roster (a scratch PostgreSQL database by default) is ticked until every
executive has modules in their DM; the clicks are real answer buttons Upward posted, signed as
Slack signs them. Both apps are served the same way (gunicorn's uvicorn worker, the app in
threads behind bot.asgi's front, the same worker settings) against the Slack stand-in, in
alternating rounds; bench/loadgen.py sends the clicks from its own process over kept-alive
connections, after a warm-up round, in two shapes: 50 always in flight (a closed loop:
the servers run flat out) and bursts of 50 at the same instant once a second. Upward does its real
work after each ack (record the answer, update the message through the outbox); each round waits
for it to finish before the next.
Prints a table and exits 1 when, in either shape, Upward's p99 is TARGET_MS or more, or over
TARGET_RATIO times the bare app's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import POSTGRES_URL, Row, database, report, upward_env  # noqa: E402
from bot.config import Settings, parse_database_url  # noqa: E402
from bot.content.loader import load_catalog  # noqa: E402
from bot.db import make_engine, make_session_factory, session_scope  # noqa: E402
from bot.migrate import upgrade  # noqa: E402
from bot.models import utcnow  # noqa: E402
from bot.programs.service import create_program  # noqa: E402
from bot.roster.enroll import enroll  # noqa: E402
from bot.roster.service import parse_roster  # noqa: E402
from bot.sandbox import (  # noqa: E402
    DEMO_SEED_PATH,
    SlackStandIn,
    payloads,
    signature_headers,
)
from bot.sandbox.requests import FORM  # noqa: E402
from bot.slack.client import make_web_client  # noqa: E402
from bot.slack.directory import SlackDirectory  # noqa: E402
from bot.tick import run_tick  # noqa: E402

CONCURRENCY = 50
WORKERS, THREADS = 2, 16
SERVER = "gunicorn + uvicorn worker, a2wsgi threads"
TARGET_MS, TARGET_RATIO = 100.0, 1.5
ROUNDS = 4  # alternating rounds per server and load shape
BURST_PERIOD = 1.0  # seconds between bursts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(150):
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {log.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return  # it answers (the bare app has no /healthz)
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} never answered")


def start(cmd: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """Start a server (its output to `log`, never a pipe that could fill and stall it) and wait for
    it."""
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    wait_healthy(f"http://127.0.0.1:{port}/healthz", proc, log)
    return proc


def prepare(settings: Settings, slack: SlackStandIn) -> None:
    """A pilot for the demo roster, ticked until every executive has a module in their DM."""
    catalog = load_catalog()
    engine = make_engine(settings.database)
    upgrade(engine)
    sessions = make_session_factory(engine)
    roster = (ROOT / "bot" / "sandbox" / "demo_roster.csv").read_text()
    with session_scope(sessions) as session:
        program = create_program(
            session,
            catalog=catalog,
            name=f"Bench {time.time_ns()}",
            template_id="pilot",
            start=dt.date(2026, 12, 1),
            timezone="UTC",
            now=utcnow(),
        )
        rows, _ = parse_roster(roster, filename="demo_roster.csv")
        enroll(
            session,
            program=program,
            rows=rows,
            directory=SlackDirectory(make_web_client(settings)),
            catalog=catalog,
            filename="demo_roster.csv",
            now=utcnow(),
        )
    client = make_web_client(settings)
    for hour in range(72):
        run_tick(
            sessions,
            client,
            catalog=catalog,
            now=dt.datetime(2026, 12, 1, tzinfo=dt.UTC) + dt.timedelta(hours=hour),
        )
    engine.dispose()


def answer_payloads(slack: SlackStandIn, count: int) -> list[dict]:
    """block_actions payloads for real answer buttons in executives' DMs, round-robin."""
    clicks = []
    for user in [u for u in slack.workspace.snapshot()["users"] if u["id"].startswith("U07EXEC")]:
        for message in slack.workspace.dm_messages(user["id"]):
            for block in message.get("blocks") or []:
                for element in block.get("elements") or []:
                    if str(element.get("action_id", "")).startswith(
                        ("learning.answer:", "learning.rate:")
                    ):
                        with slack.workspace.lock:
                            action = payloads.action_entry(block, element, option=None)
                            clicks.append(
                                payloads.block_actions(
                                    slack.workspace,
                                    user_id=user["id"],
                                    action=action,
                                    message=message,
                                    channel_id=slack.workspace.dm_channel_id(user["id"]),
                                    is_ephemeral=False,
                                )
                            )
    if not clicks:
        raise SystemExit("no answer buttons were posted; nothing to click")
    return [clicks[i % len(clicks)] for i in range(count)]


def cpu_seconds(root: int) -> float:
    """User + system CPU time of a process and all its descendants (from /proc), in seconds."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [child for child, parent in parents.items() if parent == pid]
        tree.update(children)
        frontier += children
    return sum(times.get(pid, 0.0) for pid in tree)


def signed_requests(clicks: list[dict], signing_secret: str) -> list[dict]:
    """Each click as Slack sends it (form-encoded `payload`, v0 signature), signed now."""
    now = int(time.time())
    out = []
    for payload in clicks:
        body = urlencode({"payload": json.dumps(payload)})
        out.append(
            {
                "body": body,
                "headers": {"Content-Type": FORM, **signature_headers(body, signing_secret, now)},
            }
        )
    return out


def measure(
    url: str, clicks: list[dict], signing_secret: str, tmp: Path, period: float | None = None
) -> list[float]:
    """Latencies (ms) of the clicks sent to `url` by bench/loadgen.py in its own process (bursts
    with `period`)."""
    path = tmp / "requests.json"
    path.write_text(json.dumps(signed_requests(clicks, signing_secret)))
    loadgen = [sys.executable, str(ROOT / "bench" / "loadgen.py"), str(path), url, str(CONCURRENCY)]
    done = subprocess.run(
        loadgen + ([str(period)] if period else []), capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        raise SystemExit(f"load generator failed: {done.stderr[-2000:]}")
    result = json.loads(done.stdout)
    if result["errors"]:
        raise SystemExit(f"{len(result['errors'])} requests failed, e.g. {result['errors'][:3]}")
    return result["ms"]


def settle(count: Callable[[], int], timeout: float = 60) -> int:
    """Wait until `count()` stops changing for a second (the post-ack work is done); its last
    value."""
    deadline = time.monotonic() + timeout
    seen = count()
    while time.monotonic() < deadline:
        time.sleep(1)
        now = count()
        if now == seen:
            break
        seen = now
    return seen


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


# The two shapes of "50 concurrent requests": 50 always in flight (the server flat out), and bursts
# of 50 at the same instant once a second (a module lands and many answer at once).
MODES = {"closed loop": None, "bursts": BURST_PERIOD}


@dataclass
class Result:
    backend: str
    requests: int
    ms: dict[tuple[str, str], list[float]]  # (server, mode) -> latencies
    updates: int  # chat.update calls Upward made during and after its runs (its real post-ack work)
    cpu_ms: dict[
        str, float
    ]  # CPU per request: each server's processes, and this process (the stand-in)

    def ratio(self, mode: str) -> float:
        return pct(self.ms["upward", mode], 99) / pct(self.ms["bare", mode], 99)

    def ok(self, mode: str) -> bool:
        return pct(self.ms["upward", mode], 99) < TARGET_MS and self.ratio(mode) <= TARGET_RATIO


def run(
    database_url: str | None = None,
    requests: int = 1000,
    *,
    backend: str = "postgresql",
    postgres_url: str = POSTGRES_URL,
) -> Result:
    """Prepare a pilot, then measure the bare app and `upward serve` one after the other."""
    with tempfile.TemporaryDirectory(prefix="upward-bench-ack-") as tmp, ExitStack() as stack:
        if database_url:
            url = parse_database_url(database_url)
        else:
            url = stack.enter_context(
                database(backend, "upward_bench_ack", Path(tmp), postgres_url)
            )
        slack = stack.enter_context(SlackStandIn(DEMO_SEED_PATH, rate_limits=False))
        env = upward_env(url, slack) | {"BENCH_THREADS": str(THREADS)}
        settings = Settings(
            database_url=env["DATABASE_URL"],
            slack_api_url=slack.api_url,
            slack_bot_token=slack.bot_token,
            slack_signing_secret=slack.signing_secret,
        )
        prepare(settings, slack)
        clicks = answer_payloads(
            slack, len(MODES) * ROUNDS * (-(-requests // ROUNDS) + CONCURRENCY)
        )
        upward_port, bare_port = free_port(), free_port()
        servers = {
            "bare": (
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "bench.bare_app:asgi",
                    "-b",
                    f"127.0.0.1:{bare_port}",
                    "-k",
                    "uvicorn_worker.UvicornH11Worker",
                    "-w",
                    str(WORKERS),
                    "--log-level",
                    "warning",
                ],
                bare_port,
            ),
            "upward": (
                [
                    sys.executable,
                    "-m",
                    "bot",
                    "serve",
                    "--port",
                    str(upward_port),
                    "--workers",
                    str(WORKERS),
                    "--threads",
                    str(THREADS),
                ],
                upward_port,
            ),
        }
        procs = {
            name: start(cmd, env, port, Path(tmp) / f"{name}.log")
            for name, (cmd, port) in servers.items()
        }
        results: dict[tuple[str, str], list[float]] = {
            (name, mode): [] for name in servers for mode in MODES
        }
        cpu: dict[str, float] = {}
        updates = 0
        per_round = (
            -(-requests // ROUNDS) + CONCURRENCY
        )  # each round starts with an uncounted warm-up round
        rounds = [(n, mode) for n in range(ROUNDS) for mode in MODES]
        try:
            # Rounds alternate between the two servers, so a change in the machine's load (other
            # processes, the stand-in's own work) falls on both rather than on whichever ran second.
            for i, (_n, mode) in enumerate(rounds):
                chunk = clicks[i * per_round : (i + 1) * per_round]
                for name, (_, port) in servers.items():
                    before = len(slack.workspace.calls_to("chat.update"))
                    server_cpu, own_cpu = cpu_seconds(procs[name].pid), time.process_time()
                    url_ = f"http://127.0.0.1:{port}/slack/events"
                    results[name, mode] += measure(
                        url_, chunk, slack.signing_secret, Path(tmp), MODES[mode]
                    )
                    if (
                        name == "upward"
                    ):  # let the post-ack work finish before the other server's round
                        updates += (
                            settle(lambda: len(slack.workspace.calls_to("chat.update"))) - before
                        )
                    share = 1000 / (len(rounds) * len(chunk))
                    cpu[name] = (
                        cpu.get(name, 0.0) + (cpu_seconds(procs[name].pid) - server_cpu) * share
                    )
                    stand_in = f"stand-in during {name}"
                    cpu[stand_in] = cpu.get(stand_in, 0.0) + (time.process_time() - own_cpu) * share
        finally:
            for proc in procs.values():
                proc.send_signal(signal.SIGTERM)
            for proc in procs.values():
                proc.wait(timeout=30)
    return Result(url.get_backend_name(), requests, results, updates, cpu)


def table_rows(result: Result) -> list[Row]:
    r = result
    rows = []
    for mode, period in MODES.items():
        up, bare = r.ms["upward", mode], r.ms["bare", mode]
        shape = (
            f"{CONCURRENCY} always in flight"
            if period is None
            else f"bursts of {CONCURRENCY} every {period:g} s"
        )
        rows.append(
            Row(
                f"ack latency, block_actions, {shape}, {r.backend}",
                f"upward p50 {pct(up, 50):.1f} ms, p99 {pct(up, 99):.1f} ms ({r.ratio(mode):.2f}x)",
                f"bare Bolt app p50 {pct(bare, 50):.1f} ms, p99 {pct(bare, 99):.1f} ms",
                f"p99 < {TARGET_MS:g} ms, <= {TARGET_RATIO:g}x bare",
                r.ok(mode),
            )
        )
    rows[-1].notes = (
        (
            f"{r.requests:,} answer clicks per server and shape, in {ROUNDS} alternating rounds"
            f" each after a warm-up; {SERVER} {WORKERS}x{THREADS} for both; upward's"
            f" post-ack work made {r.updates:,} chat.update calls; load generator, stand-in,"
            f" PostgreSQL and both servers share this machine's {os.cpu_count()} cores"
        ),
        "CPU per click (ms, the server's including its work after the ack, and the stand-in's): "
        + ", ".join(f"{k} {v:.2f}" for k, v in r.cpu_ms.items()),
    )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", help="an existing database (default: a scratch one on --backend)"
    )
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    result = run(
        args.database_url, args.requests, backend=args.backend, postgres_url=args.postgres_url
    )
    print(
        f"ack latency, block_actions answers, {result.requests} requests per shape at {CONCURRENCY}"
        f" concurrent, {SERVER} {WORKERS}x{THREADS}, {result.backend}, {os.cpu_count()}"
        " cores"
    )
    print(f"{'server':<26}{'shape':<13}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for (name, mode), values in result.ms.items():
        label = "bare Bolt app (ack only)" if name == "bare" else "upward serve"
        print(
            f"{label:<26}{mode:<13}{pct(values, 50):>9.1f}{pct(values, 99):>9.1f}"
            f"{max(values):>9.1f}"
        )
    return report(table_rows(result))


if __name__ == "__main__":
    sys.exit(main())
