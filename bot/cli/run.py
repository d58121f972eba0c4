"""`upward serve`, `upward tick` and `upward worker`: running Upward."""

from __future__ import annotations

import datetime as dt
import logging
import re

import click

from bot.cli.errors import UserError
from bot.cli.runtime import runtime
from bot.core.words import count

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on (0.0.0.0 for all).",
)
@click.option(
    "--port", default=3000, show_default=True, type=click.IntRange(0, 65535), help="TCP port."
)
@click.option(
    "--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="Web processes."
)
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Threads per process.",
)
@click.option(
    "--sandbox",
    is_flag=True,
    help="Run against a local Slack stand-in with a seeded demo workspace.",
)
def serve(host: str, port: int, workers: int, threads: int, sandbox: bool) -> None:
    """Serve Slack's requests: POST /slack/events (signature verified) and GET /healthz.

    With SLACK_APP_TOKEN set, connects over Socket Mode instead (no public URL needed).
    """
    from bot import serve as web  # the web stack (bolt, gunicorn) is only this command's
    from bot.logs import configure_logging

    settings = runtime().settings
    configure_logging(settings.log_format, secrets=settings.secret_values())
    log = logging.getLogger("upward.serve")
    if sandbox:
        from bot.sandbox_mode import serve_sandbox  # the stand-in, only with --sandbox

        serve_sandbox(settings, host=host, port=port, threads=threads)
    elif settings.slack_app_token is not None:
        log.info("SLACK_APP_TOKEN is set: connecting to Slack over Socket Mode.")
        web.serve_socket_mode(settings)
    else:
        # A log line, not a bare echo: with UPWARD_LOG_FORMAT=json every line on stderr is JSON.
        log.info("Upward listening on http://%s:%s/slack/events (health: /healthz)", host, port)
        web.serve_http(settings, host=host, port=port, workers=workers, threads=threads)


# The years an instant may fall in: a tick plans, counts weeks and looks up holidays some years on
# either side of it, and Python's calendar runs from the year 1 to 9999.
FIRST_YEAR, LAST_YEAR = 1970, 8999


def _parse_instant(value: str, option: str) -> dt.datetime:
    try:
        instant = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(
            f"{option} {value!r} is not an ISO-8601 instant, e.g. 2026-12-01T09:00:00+01:00"
        ) from None
    if not FIRST_YEAR <= instant.year <= LAST_YEAR:  # judged before any arithmetic can overflow
        raise UserError(
            f"{option} {value!r} is outside the years Upward can run at ({FIRST_YEAR} to"
            f" {LAST_YEAR}): give an instant such as 2026-12-01T09:00:00Z"
        )
    return instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC)


def _parse_duration(value: str) -> dt.timedelta:
    match = re.fullmatch(r"\s*(\d+)\s*([smhdw])\s*", value.lower())
    if not match or int(match.group(1)) == 0:
        raise UserError(
            f"--every {value!r} is not a duration: use a number and a unit, e.g. 30m, 1h, 1d"
        )
    return dt.timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def _steps(
    at: str | None, until: str | None, every: str
) -> tuple[dt.datetime, dt.datetime, dt.timedelta]:
    from bot.models import utcnow

    start = _parse_instant(at, "--at") if at else utcnow()
    end = _parse_instant(until, "--until") if until else start
    step = _parse_duration(every)
    if end < start and at is None:
        raise UserError(
            f"--until {until} is in the past (it is now {start.isoformat(timespec='minutes')}):"
            " give a later --until, or an earlier --at to start from"
        )
    if end < start:
        raise UserError("--until is before --at: give an end after the start")
    if (end - start) / step > 100_000:
        raise UserError("that is more than 100,000 steps: use a larger --every")
    return start, end, step


@click.command()
@click.option(
    "--at", "at", help="Run as of this ISO-8601 instant (default: now; no offset means UTC)."
)
@click.option(
    "--until",
    "until",
    help="Fast-forward: step from --at to this instant, running the duties at each step.",
)
@click.option(
    "--every",
    "every",
    default="1h",
    show_default=True,
    help="Step size with --until: 15m, 1h, 1d, ...",
)
def tick(at: str | None, until: str | None, every: str) -> None:
    """Run every due duty once as of an instant (now by default) and exit.

    Idempotent: running it twice for the same instant sends nothing twice.
    """
    from bot.db import sqlite_worker_lock
    from bot.tick import replayer, run_tick  # every feature's jobs: only the commands that run them

    start, end, step = _steps(at, until, every)
    rt = runtime()
    lock = sqlite_worker_lock(rt.settings.database)  # one sender at a time on SQLite, as a worker
    lease = dt.timedelta(seconds=rt.settings.outbox_lease_seconds)
    replay = replayer(rt.settings, rt.sessions, rt.catalog)
    totals = {"modules": 0, "reminders": 0, "sent": 0, "failed": 0}
    # Each instant from the start, never by adding a step past the end (it could leave the
    # calendar).
    for n in range((end - start) // step + 1):
        now = start + n * step
        report = run_tick(
            rt.sessions, rt.clients, catalog=rt.catalog, now=now, lease=lease, replay=replay
        )
        if report.busy or start == end:
            click.echo(report.line())
        for name in totals:
            totals[name] += getattr(report, name)
    if start != end:
        click.echo(_totals_line(start, end, totals))
    if lock is not None:
        lock.close()


def _totals_line(start: dt.datetime, end: dt.datetime, totals: dict[str, int]) -> str:
    return (
        f"{start.isoformat(timespec='minutes')} → {end.isoformat(timespec='minutes')}:"
        f" {count(totals['modules'], 'module')} and {count(totals['reminders'], 'reminder')}"
        f" queued, {count(totals['sent'], 'message')} sent"
        + (f", {totals['failed']} failed (see `upward program show`)" if totals["failed"] else "")
    )


@click.command()
@click.option(
    "--interval",
    default=60,
    show_default=True,
    type=click.IntRange(5, 3600),
    help="Seconds between ticks.",
)
@click.option(
    "--verbose",
    is_flag=True,
    help="Also log the libraries' routine INFO lines (APScheduler's job runs, Slack's SDK).",
)
def worker(interval: int, verbose: bool) -> None:
    """Run the duties every minute until stopped (SIGTERM finishes the current tick, then exits)."""
    from bot.logs import configure_logging
    from bot.worker import StopSignal, run_worker  # the scheduler: only this command runs it

    stop = StopSignal()  # first: a SIGTERM during start-up stops it cleanly (exit 0)
    rt = runtime()
    configure_logging(rt.settings.log_format, verbose=verbose, secrets=rt.settings.secret_values())
    if not rt.settings.multi_workspace:
        rt.settings.require_bot_token()
    rt.engine  # noqa: B018 -- checks the database is reachable and current before starting
    rt.close()  # the worker opens its own engine; no idle pool is held meanwhile
    run_worker(rt.settings, interval_seconds=interval, stop=stop)
