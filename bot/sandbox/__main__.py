"""``python -m bot.sandbox``: run the Slack stand-in until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence

from bot.sandbox.faults import FaultPlan
from bot.sandbox.ratelimit import RateLimits
from bot.sandbox.seed import DEMO_SEED_PATH, SeedError
from bot.sandbox.server import SlackStandIn


def build_parser() -> argparse.ArgumentParser:
    """The command line of the stand-in."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.sandbox",
        description="A local stand-in for Slack's Web API (tests, benchmarks, demo).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default 0: any free)")
    parser.add_argument(
        "--seed",
        default=str(DEMO_SEED_PATH),
        help="workspace seed, YAML or JSON (default: the demo workspace)",
    )
    parser.add_argument("--no-rate-limits", action="store_true", help="never answer 429")
    parser.add_argument(
        "--rate-limit-scale",
        type=float,
        default=1.0,
        help="multiply every rate-limit window (0.1: ten times faster)",
    )
    parser.add_argument(
        "--trigger-ttl", type=float, default=3.0, help="seconds a trigger_id stays valid (Slack: 3)"
    )
    parser.add_argument(
        "--ack-timeout",
        type=float,
        default=3.0,
        help="Socket Mode: seconds to wait for an ack before redelivering (Slack: 3)",
    )
    parser.add_argument(
        "--socket-port", type=int, default=0, help="Socket Mode's WebSocket port (default 0: any)"
    )
    _add_fault_options(parser)
    parser.add_argument("--verbose", action="store_true", help="log every request")
    return parser


def _add_fault_options(parser: argparse.ArgumentParser) -> None:
    """The --fault-* options, in a group of their own: which calls fail, how, and how often."""
    faults = parser.add_argument_group("fault injection")
    faults.add_argument(
        "--fault-5xx-rate",
        type=float,
        default=0.0,
        help="share of calls answered with HTTP 500/503",
    )
    faults.add_argument(
        "--fault-drop-rate",
        type=float,
        default=0.0,
        help="share of calls whose connection is closed without an answer",
    )
    faults.add_argument(
        "--fault-slow-rate", type=float, default=0.0, help="share of calls answered late"
    )
    faults.add_argument(
        "--fault-slow-seconds", type=float, default=2.0, help="delay of a slow answer in seconds"
    )
    faults.add_argument(
        "--fault-methods",
        default="",
        help="comma-separated methods the faults apply to (default: all)",
    )
    faults.add_argument(
        "--fault-after-commit",
        action="store_true",
        help="fail after the method's effect happened (posted, yet 5xx)",
    )
    faults.add_argument("--fault-seed", type=int, default=0, help="seed of the fault RNG")


def main(argv: Sequence[str] | None = None) -> int:
    """Start the stand-in, print where it listens, serve until interrupted."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    methods = frozenset(m.strip() for m in args.fault_methods.split(",") if m.strip()) or None
    try:
        plan = FaultPlan(
            error_rate=args.fault_5xx_rate,
            drop_rate=args.fault_drop_rate,
            slow_rate=args.fault_slow_rate,
            slow_seconds=args.fault_slow_seconds,
            methods=methods,
            after_commit=args.fault_after_commit,
            seed=args.fault_seed,
        )
        limits = (
            RateLimits.off()
            if args.no_rate_limits
            else RateLimits(time_scale=args.rate_limit_scale)
        )
        stand_in = SlackStandIn(
            args.seed,
            host=args.host,
            port=args.port,
            rate_limits=limits,
            faults=plan,
            trigger_ttl=args.trigger_ttl,
            ack_timeout=args.ack_timeout,
            socket_port=args.socket_port,
        )
    except (SeedError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with stand_in:
        print(
            f"Slack stand-in listening on {stand_in.api_url} (bot token {stand_in.bot_token})",
            flush=True,
        )
        print(
            f"Signing secret {stand_in.signing_secret}; state at {stand_in.url}/sandbox/state",
            flush=True,
        )
        print(
            f"Socket Mode: app-level token {stand_in.app_token} (apps.connections.open); "
            f"connections at {stand_in.url}/sandbox/socket-mode",
            flush=True,
        )
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    print("Slack stand-in stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
