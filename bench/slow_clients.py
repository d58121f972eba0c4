"""/healthz and signed clicks while slow and idle clients hold connections to `upward serve`.

    python bench/slow_clients.py [--clients 50] [--seconds 10]

`upward serve` with its default processes and threads (SQLite, the Slack stand-in) answers
/healthz and a signed click on a button in a DM, one after the other, first with nothing else
connected (the reference), then for --seconds while --clients connections stay open: a third send
their headers a byte at a time, a third complete headers and then a body a byte at a time, a third
connect and send nothing (bot/sandbox/slow_clients.py). A request counts as unanswered after 10 s.
Prints a table and exits 1 unless every request was answered and the slowest took under 1 s.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from slack_sdk import WebClient  # noqa: E402

from bench.ack_latency import free_port, pct, start  # noqa: E402
from bench.common import Row, report, upward_env  # noqa: E402
from bot.config import parse_database_url  # noqa: E402
from bot.db import make_engine  # noqa: E402
from bot.migrate import upgrade  # noqa: E402
from bot.sandbox import DEMO_SEED_PATH, SignedSender, SimulatedUser, SlackStandIn  # noqa: E402
from bot.sandbox.slow_clients import SlowClients  # noqa: E402

CLIENTS, SECONDS = 50, 10.0
TARGET_MS = 1000.0
GIVE_UP = 10.0  # seconds after which a request counts as unanswered
EXEC = "U07EXEC0003"
BUTTON = {
    "type": "actions",
    "elements": [
        {
            "type": "button",
            "action_id": "retired.button",
            "text": {"type": "plain_text", "text": "Old button"},
        }
    ],
}


@dataclass
class Result:
    clients: int
    seconds: float
    quiet: list[float]  # ms, nothing else connected
    slow: list[float]  # ms, with the slow clients connected
    unanswered: int
    still_open: int  # slow clients the server had not let go at the end (headers and idle)
    bodies_let_go: int  # of the clients trickling a body


def _timed(call: Callable[[], int]) -> float | None:
    started = time.perf_counter()
    try:
        ok = call() == 200
    except OSError:
        ok = False
    return (time.perf_counter() - started) * 1000 if ok else None


def run(clients: int = CLIENTS, seconds: float = SECONDS) -> Result:
    """Serve, measure without and then with `clients` slow clients for `seconds`."""
    with tempfile.TemporaryDirectory(prefix="upward-bench-slow-") as tmp:
        url = parse_database_url(f"sqlite:///{Path(tmp) / 'slow.db'}")
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        with SlackStandIn(DEMO_SEED_PATH, rate_limits=False) as slack:
            port = free_port()
            cmd = [sys.executable, "-m", "bot", "serve", "--port", str(port)]
            proc = start(cmd, upward_env(url, slack), port, Path(tmp) / "serve.log")
            base = f"http://127.0.0.1:{port}"
            try:
                WebClient(base_url=slack.api_url, token=slack.bot_token).chat_postMessage(
                    channel=EXEC, text="An old message", blocks=[BUTTON]
                )
                sender = SignedSender(f"{base}/slack/events", slack.signing_secret, timeout=GIVE_UP)
                person = SimulatedUser(slack, sender, EXEC)

                def health() -> int:
                    with urllib.request.urlopen(f"{base}/healthz", timeout=GIVE_UP) as response:
                        return response.status

                calls = (health, lambda: person.click_button("Old button").status)

                def measure(until: float) -> list[float | None]:
                    out: list[float | None] = []
                    while time.monotonic() < until or not out:
                        out += [_timed(call) for call in calls]
                    return out

                quiet = measure(time.monotonic() + 2)
                with SlowClients("127.0.0.1", port, count=clients) as slow:
                    loaded = measure(time.monotonic() + seconds)
                    still_open = slow.open_count("headers") + slow.open_count("idle")
                    bodies_let_go = slow.opened("body") - slow.open_count("body")
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)
    return Result(
        clients,
        seconds,
        [ms for ms in quiet if ms is not None],
        [ms for ms in loaded if ms is not None],
        sum(1 for ms in quiet + loaded if ms is None),
        still_open,
        bodies_let_go,
    )


def table_rows(r: Result) -> list[Row]:
    slow = r.slow or [float("inf")]
    ok = r.unanswered == 0 and max(slow) < TARGET_MS
    return [
        Row(
            f"/healthz and signed clicks, {r.clients} slow or idle clients connected",
            f"p50 {pct(slow, 50):.1f} ms, p99 {pct(slow, 99):.1f} ms, max {max(slow):.1f} ms;"
            f" {r.unanswered} unanswered",
            f"none connected: p50 {pct(r.quiet, 50):.1f} ms, p99 {pct(r.quiet, 99):.1f} ms",
            f"every request answered, max < {TARGET_MS:g} ms",
            ok,
            (
                f"`upward serve` defaults (2 processes x 8 threads), SQLite; {len(r.slow):,}"
                f" requests in {r.seconds:g} s with the clients connected; at the end"
                f" {r.still_open} clients sending headers a byte at a time or nothing were still"
                f" connected and {r.bodies_let_go} trickling a body had been answered 408",
            ),
        )
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--seconds", type=float, default=SECONDS)
    args = parser.parse_args()
    return report(table_rows(run(args.clients, args.seconds)))


if __name__ == "__main__":
    sys.exit(main())
