"""`upward demo`: run the pilot, print a summary and the final digest, write the transcript."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from bot.demo import pilot, report, scenario
from bot.demo.cast import SimulationError
from bot.demo.transcript import Person, Transcript, write_html
from bot.digest.service import Week
from bot.errors import UpwardError

Echo = Callable[[str], None]


class DemoError(UpwardError):
    """Something the person running the demo can fix (e.g. an output folder that cannot be
    written)."""


def prepare(out: Path) -> Path:
    """Create the output folder, check it is writable, and remove the previous run's database."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".upward-demo-write-test"
        probe.write_text("ok")
        probe.unlink()
        for suffix in ("", "-wal", "-shm", "-journal"):
            (out / f"demo.db{suffix}").unlink(missing_ok=True)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise DemoError(
            f"cannot write to {out}: {reason}. Choose another folder with --out DIR"
        ) from None
    return out


@contextlib.contextmanager
def logs_to(path: Path) -> Iterator[None]:
    """Send every log record, and anything a thread or server prints on stderr, to a file instead of
    the terminal."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = path.open("w", encoding="utf-8")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for noisy in ("slack_sdk", "slack_bolt", "urllib3", "alembic", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.captureWarnings(True)
    try:
        with contextlib.redirect_stderr(stream):
            yield
    finally:
        logging.captureWarnings(False)
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
        stream.close()


def people(workspace) -> list[Person]:  # type: ignore[no-untyped-def]
    """Everyone on the demo roster, lead first, with how they are simulated."""
    habits = scenario.roles()
    order = {"lead": 0, "mentor": 1, "executive": 2}
    found = []
    for user in workspace.seed.users:
        if user.id not in habits:
            continue
        role = (
            "lead"
            if user.id == scenario.LEAD
            else "mentor"
            if user.id in scenario.MENTORS
            else "executive"
        )
        found.append(Person(user.id, user.real_name, user.title, user.tz, role, habits[user.id]))
    return sorted(found, key=lambda p: order[p.role])


def run_demo(out: Path, *, echo: Echo) -> Path:
    """The whole demo; returns the transcript's path."""
    started = time.perf_counter()
    out = prepare(out)
    database = out / "demo.db"
    echo(
        "Upward demo: a 4-week reverse-mentoring pilot at Northwind Labs, in fast-forward "
        f"({scenario.START:%a %-d %b} – {scenario.END:%a %-d %b %Y})"
    )
    try:
        with (
            logs_to(out / "demo.log"),
            pilot.pilot_run(f"sqlite:///{database}", progress=echo) as run,
        ):
            rows = report.summary(run.world, run.cast, ticks=run.ticks)
            digest, week = report.final_digest(run.world)
            page = write_html(
                Transcript(
                    workspace=run.world.slack.workspace,
                    people=people(run.world.slack.workspace),
                    program=run.program,
                    period="4-week",
                    summary=rows,
                    journal=run.cast.journal,
                )
            )
    except SimulationError as exc:
        raise DemoError(
            f"the demo stopped: {exc}. {out / 'demo.log'} has Upward's log of the run"
        ) from None
    index = write_page(out, page)
    show_results(rows, digest, week, echo=echo)
    echo(
        f"Transcript of what everyone saw in Slack: {index} (open it in any browser; it needs no"
        " network)"
    )
    echo(
        f"Database: {database} · log: {out / 'demo.log'} · finished in"
        f" {time.perf_counter() - started:.1f} s"
    )
    return index


def write_page(out: Path, page: str) -> Path:
    """Write the transcript to OUT/index.html whole (through a temporary file) and return its
    path."""
    index = out / "index.html"
    try:
        partial = out / ".index.html.partial"
        partial.write_text(page, encoding="utf-8")
        os.replace(partial, index)
    except OSError as exc:
        raise DemoError(
            f"cannot write {index}: {exc.strerror or exc}. Choose another folder with --out DIR"
        ) from None
    return index


def show_results(rows: list[tuple[str, str]], digest: str, week: Week, *, echo: Echo) -> None:
    """Print the summary's rows, then the last weekly digest as the lead got it."""
    width = max(len(label) for label, _ in rows)
    echo("")
    echo("Summary")
    for label, figures in rows:
        echo(f"  {label:<{width}}  {figures}")
    echo("")
    sent = week.monday + dt.timedelta(days=7)
    echo(
        f"The last weekly digest, as the lead got it in Slack on {sent:%a %-d %b} at 09:00 London "
        "(`upward digest preview` prints the same)"
    )
    echo("")
    echo("\n".join(f"  {line}" if line else "" for line in digest.splitlines()))
    echo("")
