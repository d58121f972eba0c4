"""The weekly digest at program scale: a year of a 1,000 and a 10,000-executive program, on SQLite
and PostgreSQL.

    python bench/digest.py [--quick] [--breakdown] [--backend sqlite|postgresql] [--postgres-url
    URL]

Each program is generated from a fixed seed and loaded in bulk (COPY on PostgreSQL, executemany on
SQLite) into a database migrated by Alembic: one executive in five is joined by a mentor; every
executive gets a module a week for 52 weeks (first-attempt answer when they engage), a baseline and
a closing self-assessment (six ratings each), the weekly KPI check-in (its outbox row, with the real
blocks, and the values of those who reply), a monthly circle of five with pulse and attendance,
mentor notes and the mentors' monthly focus-behaviour observation. About one executive in ten fades
out during the year. The digest of the last week is then computed once to warm up and RUNS times
timed (`--breakdown` adds RUNS instrumented runs timing each query of bot/digest/metrics.py).

Prints one table and exits 1 when the PostgreSQL median at the larger size is 1 s or more, or when
ten times the executives costs more than MAX_RATIO times the time on either backend. `--quick`
uses 200 and 2,000 executives (a smoke run; the same checks apply).
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import inspect
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.common import POSTGRES_URL, Loader, Row, analyze, database, outbox_columns  # noqa: E402
from bot.content.loader import Catalog, load_catalog  # noqa: E402
from bot.core.calendar import at_local  # noqa: E402
from bot.db import make_engine  # noqa: E402
from bot.digest import metrics, service  # noqa: E402
from bot.digest.service import Week, compute  # noqa: E402
from bot.kpis.blocks import CHECKIN_TEXT, checkin  # noqa: E402
from bot.learning.service import BASELINE_ID, CLOSING_ID  # noqa: E402
from bot.migrate import upgrade  # noqa: E402
from bot.models import (  # noqa: E402
    OBSERVED,
    Answer,
    Base,
    Circle,
    CircleMember,
    Delivery,
    Kpi,
    KpiObservation,
    Membership,
    MentorNote,
    OutboxMessage,
    Person,
    Program,
)
from bot.programs.service import create_program  # noqa: E402
from bot.slack import records  # noqa: E402

TARGET_SECONDS = 1.0
MAX_RATIO = 12.0  # "ten times the data costs about ten times the time"
RUNS = 5
SIZES, QUICK_SIZES = (1_000, 10_000), (200, 2_000)
WEEKS = 52
START = dt.date(2025, 11, 24)  # a Monday; the 52nd week starts on Monday 16 November 2026
TZ = "Europe/Berlin"
TEMPLATE = "enterprise"
CIRCLE = 5  # executives per circle, with one mentor
CHUNK = 500  # executives generated and loaded at a time
DATABASE = "upward_bench_digest"
UTC = dt.UTC
NOTE = (
    "Good session: we compared how each of us reads the quarterly dashboard, and two executives"
    " agreed to ask their most junior colleague first in Monday's stand-up. Next time: the hiring"
    " panel."
)


Rows = dict[type[Base], list[dict[str, Any]]]
Batches = Iterator[tuple[type[Base], list[dict[str, Any]]]]


@cache
def midnight(day: dt.date) -> dt.datetime:
    """00:00 in the program's zone on `day`, in UTC."""
    return at_local(day, dt.time(0, 0), TZ)


def clamp(x: float, lo: float, hi: float) -> float:
    return lo if x < lo else hi if x > hi else x


@dataclass
class Executive:
    engage: float  # chance of finishing a module
    reply: float  # chance of answering a week's check-in
    skill: float  # chance of a right first attempt
    pulse: float  # usual circle pulse
    fades_at: int  # week from which they mostly stop (WEEKS: never)


class Year:
    """A seeded year of one program's rows, produced table by table in chunks of executives."""

    def __init__(
        self, session: Session, program: Program, catalog: Catalog, executives: int, seed: int
    ):
        self.rng = random.Random(seed)
        self.program_id, self.n = program.id, executives
        self.created = dt.datetime.combine(START - dt.timedelta(days=7), dt.time(9), tzinfo=UTC)
        self.template = catalog.programs[TEMPLATE]
        self.modules = [catalog.modules[m] for m in self.template.modules]
        self.assessment = [q.id for q in self.template.assessment]
        kpis = session.scalars(
            select(Kpi).where(Kpi.program_id == program.id).order_by(Kpi.id)
        ).all()
        self.self_kpis = [k for k in kpis if k.kind != OBSERVED]
        self.focus = next(k for k in kpis if k.kind == OBSERVED)
        self.checkin_blocks = [
            [b.to_dict() for b in checkin(self.self_kpis, week=self.monday(w), answers={})]
            for w in range(WEEKS)
        ]
        self.mentor_ids = range(executives + 1, executives + executives // CIRCLE + 1)
        self.people: dict[int, Executive] = {}
        self.delivery_id = 0
        self.cutoff = midnight(self.monday(WEEKS))

    @staticmethod
    def monday(week: int) -> dt.date:
        return START + dt.timedelta(weeks=week)

    def roster(self) -> Batches:
        """People and memberships: the executives, then one mentor per five of them."""
        rng = self.rng
        people, members = [], []
        for pid in range(1, self.n + len(self.mentor_ids) + 1):
            mentor = pid in self.mentor_ids
            if not mentor:
                fades = rng.random() < 0.1
                self.people[pid] = Executive(
                    engage=clamp(rng.gauss(0.75, 0.15), 0.1, 0.98),
                    reply=clamp(rng.gauss(0.65, 0.2), 0.02, 0.95),
                    skill=clamp(rng.gauss(0.68, 0.12), 0.2, 0.95),
                    pulse=clamp(rng.gauss(4.0, 0.6), 1, 5),
                    fades_at=rng.randrange(8, WEEKS) if fades else WEEKS,
                )
            people.append(
                dict(
                    id=pid,
                    slack_user_id=f"U{pid:09d}",
                    email=f"person{pid}@example.com",
                    display_name=f"Person {pid}",
                    timezone=None,
                    country="DE",
                    department=f"dept-{pid % 40:02d}",
                    status="opted_out" if not mentor and rng.random() < 0.01 else "active",
                    created_at=self.created,
                    updated_at=self.created,
                )
            )
            members.append(
                dict(
                    program_id=self.program_id,
                    person_id=pid,
                    role="mentor" if mentor else "executive",
                    joined_at=self.created,
                    left_at=None,
                )
            )
        yield Person, people
        yield Membership, members

    def learning(self) -> Batches:
        """Deliveries, answers, check-ins (outbox) and their KPI answers, CHUNK executives at a
        time."""
        for first in range(1, self.n + 1, CHUNK):
            rows: Rows = defaultdict(list)
            for pid in range(first, min(first + CHUNK, self.n + 1)):
                self._executive(pid, rows)
            yield from (
                (model, rows[model]) for model in (Delivery, Answer, KpiObservation, OutboxMessage)
            )

    def _delivery(
        self,
        rows: Rows,
        pid: int,
        kind: str,
        module_id: str,
        sequence: int,
        sent: dt.datetime,
        done: dt.datetime | None,
    ) -> int:
        self.delivery_id += 1
        status = (
            "completed"
            if done
            else "sent"
            if sent >= self.cutoff - dt.timedelta(days=7)
            else "expired"
        )
        rows[Delivery].append(
            dict(
                id=self.delivery_id,
                program_id=self.program_id,
                person_id=pid,
                kind=kind,
                module_id=module_id,
                sequence=sequence,
                status=status,
                due_at=sent,
                sent_at=sent,
                reminded_at=None,
                completed_at=done,
                channel_id=f"D{pid:09d}",
                message_ts=f"{sent.timestamp():.6f}",
                created_at=self.created,
            )
        )
        return self.delivery_id

    def _ratings(self, rows: Rows, delivery_id: int, at: dt.datetime, values: list[int]) -> None:
        for question_id, value in zip(self.assessment, values, strict=False):
            rows[Answer].append(
                dict(
                    delivery_id=delivery_id,
                    question_id=question_id,
                    attempt=1,
                    value=str(value),
                    correct=None,
                    answered_at=at,
                )
            )

    def _executive(self, pid: int, rows: Rows) -> None:
        rng, me = self.rng, self.people[pid]
        spread = dt.timedelta(minutes=pid % 60)
        minutes = dt.timedelta(minutes=1)
        # Baseline self-assessment in the first week, closing one in week 49 (six 1-5 ratings each).
        base = [rng.randint(1, 4) for _ in self.assessment]
        sent = midnight(START) + dt.timedelta(hours=9) + spread
        if rng.random() < 0.9:
            at = sent + rng.randint(30, 3 * 24 * 60) * minutes
            self._ratings(
                rows, self._delivery(rows, pid, "baseline", BASELINE_ID, 0, sent, at), at, base
            )
        else:
            self._delivery(rows, pid, "baseline", BASELINE_ID, 0, sent, None)
        for week in range(WEEKS):
            monday = self.monday(week)
            faded = week >= me.fades_at
            # The module: synthetic library ids, then the template's real modules in the last 15
            # weeks.
            real = week - (WEEKS - len(self.modules))
            if real >= 0:
                module = self.modules[(real + pid % 3) % len(self.modules)]
                module_id, question_id = module.id, rng.choice(module.questions).id
            else:
                module_id, question_id = f"m{week:02d}", f"q{rng.randint(1, 3)}"
            sent = midnight(monday + dt.timedelta(days=2)) + dt.timedelta(hours=9) + spread
            finishes = rng.random() < (0.08 if faded else me.engage)
            done = sent + rng.randint(10, 5 * 24 * 60) * minutes if finishes else None
            delivery_id = self._delivery(rows, pid, "module", module_id, week + 1, sent, done)
            if (
                done or rng.random() < 0.2
            ):  # the first question's first attempt; some answer and never finish
                rows[Answer].append(
                    dict(
                        delivery_id=delivery_id,
                        question_id=question_id,
                        attempt=1,
                        value=rng.choice("abc"),
                        correct=rng.random() < me.skill,
                        answered_at=(
                            done - 2 * minutes if done else sent + rng.randint(5, 600) * minutes
                        ),
                    )
                )
            # The Friday check-in (sent to everyone still enrolled) and, for those who reply, 1-3
            # KPI values.
            friday = midnight(monday + dt.timedelta(days=4)) + dt.timedelta(hours=10) + spread
            rows[OutboxMessage].append(
                dict(
                    **outbox_columns(records.kpi_checkin(self.program_id, pid, monday)),
                    method="chat.postMessage",
                    payload={
                        "channel": f"U{pid:09d}",
                        "text": CHECKIN_TEXT,
                        "blocks": self.checkin_blocks[week],
                    },
                    status="sent",
                    attempts=1,
                    next_attempt_at=friday,
                    claimed_by=None,
                    claimed_until=None,
                    error=None,
                    channel_id=f"D{pid:09d}",
                    slack_ts=f"{friday.timestamp():.6f}",
                    program_id=self.program_id,
                    person_id=pid,
                    created_at=friday,
                    sent_at=friday,
                )
            )
            if rng.random() < (0.03 if faded else me.reply):
                at = friday + rng.randint(5, 55 * 60) * minutes
                for kpi in rng.sample(self.self_kpis, rng.choice((1, 1, 2))):
                    lift = (kpi.scale_max - kpi.scale_min) * 0.25 * week / WEEKS
                    value = round(
                        clamp(
                            rng.gauss(kpi.scale_min + 1.5 + lift, 1.0), kpi.scale_min, kpi.scale_max
                        )
                    )
                    rows[KpiObservation].append(
                        dict(
                            kpi_id=kpi.id,
                            person_id=pid,
                            source="self",
                            observer_id=None,
                            period_start=monday,
                            value=value,
                            recorded_at=at,
                        )
                    )
        sent = midnight(self.monday(48)) + dt.timedelta(hours=9) + spread
        if me.fades_at == WEEKS and rng.random() < 0.85:
            at = sent + rng.randint(30, 4 * 24 * 60) * minutes
            closing = [int(clamp(b + rng.choice((0, 0, 1, 1, 2)), 1, 5)) for b in base]
            self._ratings(
                rows,
                self._delivery(rows, pid, "closing", CLOSING_ID, WEEKS + 1, sent, at),
                at,
                closing,
            )
        else:
            self._delivery(rows, pid, "closing", CLOSING_ID, WEEKS + 1, sent, None)

    def circles(self) -> Batches:
        """Twelve monthly circles of five executives and a mentor; notes, pulse, mentor
        observations."""
        rng, circle_id = self.rng, 0
        executives = list(self.people)
        month = START.replace(day=1)
        for _ in range(12):
            month = (month + dt.timedelta(days=32)).replace(day=1)
            end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
            formed = midnight(month) + dt.timedelta(hours=8)
            closed = midnight(end) + dt.timedelta(hours=17) if midnight(end) < self.cutoff else None
            week = (month - START).days // 7
            rng.shuffle(executives)
            circles, members, notes, observed = [], [], [], []
            for number, first in enumerate(range(0, len(executives), CIRCLE), start=1):
                circle_id += 1
                mentor = self.mentor_ids[number - 1]
                circles.append(
                    dict(
                        id=circle_id,
                        program_id=self.program_id,
                        period_start=month,
                        period_end=end,
                        number=number,
                        channel_name=f"circle-{month:%Y-%m}-{number}",
                        slack_channel_id=f"C{circle_id:09d}",
                        prompt_id=None,
                        meeting_at=formed + dt.timedelta(days=10),
                        status="archived" if closed else "active",
                        formed_at=formed,
                        closing_posted_at=closed,
                        archived_at=closed + dt.timedelta(days=3) if closed else None,
                        asked_met_at=formed + dt.timedelta(days=12),
                    )
                )
                members.append(
                    dict(
                        circle_id=circle_id,
                        person_id=mentor,
                        role="mentor",
                        joined_at=formed,
                        left_at=None,
                        attended=True,
                        met_response="yes",
                        pulse=None,
                    )
                )
                for pid in executives[first : first + CIRCLE]:
                    me = self.people[pid]
                    faded = week >= me.fades_at
                    attended = rng.random() < (0.15 if faded else 0.5 + 0.45 * me.engage)
                    rated = attended and rng.random() < 0.85
                    pulse = (
                        round(clamp(rng.gauss(me.pulse - (1.5 if faded else 0), 0.6), 1, 5))
                        if rated
                        else None
                    )
                    response = "yes" if attended else rng.choice(("not_yet", "couldnt", None))
                    members.append(
                        dict(
                            circle_id=circle_id,
                            person_id=pid,
                            role="executive",
                            joined_at=formed,
                            left_at=None,
                            attended=attended,
                            met_response=response,
                            pulse=pulse,
                        )
                    )
                    if closed and rng.random() < 0.9:
                        observed.append(
                            dict(
                                kpi_id=self.focus.id,
                                person_id=pid,
                                source="mentor",
                                observer_id=mentor,
                                period_start=month,
                                value=round(clamp(rng.gauss(2.5 + me.engage, 0.8), 1, 5)),
                                recorded_at=closed + dt.timedelta(hours=2),
                            )
                        )
                if rng.random() < 0.3:
                    notes.append(
                        dict(
                            circle_id=circle_id,
                            author_id=mentor,
                            text=NOTE,
                            created_at=formed + rng.randint(10, 20) * dt.timedelta(days=1),
                        )
                    )
            yield Circle, circles
            yield CircleMember, members
            yield MentorNote, notes
            yield KpiObservation, observed


def generate(engine: Engine, catalog: Catalog, executives: int) -> tuple[int, int]:
    """Migrate, create the program and load its year; returns (program id, answers + KPI
    observations)."""
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        program = create_program(
            session,
            catalog=catalog,
            name="Benchmark",
            template_id=TEMPLATE,
            start=START,
            timezone=TZ,
            now=dt.datetime.combine(START - dt.timedelta(days=7), dt.time(9), tzinfo=UTC),
        )
        year = Year(session, program, catalog, executives, seed=executives)
    loader = Loader(engine)
    try:
        for model, rows in [*year.roster(), *year.learning(), *year.circles()]:
            loader.load(model, rows)
    finally:
        loader.close()
    analyze(engine)
    with engine.connect() as conn:
        counted = sum(
            conn.scalar(select(func.count()).select_from(m)) or 0 for m in (Answer, KpiObservation)
        )
    return year.program_id, counted


QUERIES = [
    (metrics, name)
    for name, fn in inspect.getmembers(metrics, inspect.isfunction)
    if fn.__module__ == metrics.__name__ and not name.startswith("_")
] + [(service, "undeliverable"), (service, "latest_mentors")]


@contextmanager
def timed_queries() -> Iterator[dict[str, float]]:
    """While open, each metrics function (and the service's own lookups) adds its time to the
    dict."""
    spent: dict[str, float] = defaultdict(float)
    originals = [(module, name, getattr(module, name)) for module, name in QUERIES]

    def timed(name: str, fn):  # type: ignore[no-untyped-def]
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - start

        return wrapper

    for module, name, fn in originals:
        setattr(module, name, timed(name, fn))
    try:
        yield spent
    finally:
        for module, name, fn in originals:
            setattr(module, name, fn)


def run_digest(engine: Engine, catalog: Catalog, program_id: int) -> tuple[float, service.Digest]:
    """One digest of the last generated week in a fresh session (as a job run would), and its
    time."""
    with Session(engine) as session:
        program = session.get(Program, program_id)
        assert program is not None
        week = Week.of(Year.monday(WEEKS - 1), program.timezone)
        start = time.perf_counter()
        digest = compute(session, program=program, catalog=catalog, week=week)
        return time.perf_counter() - start, digest


@dataclass
class Result:
    backend: str
    executives: int
    rows: int
    generated: float
    times: list[float]
    digest: service.Digest
    queries: dict[str, list[float]]


def measure(
    backend: str, executives: int, catalog: Catalog, tmp: Path, postgres_url: str, breakdown: bool
) -> Result:
    """Generate one program in a fresh database, then time its digest (and each query with
    --breakdown)."""
    name = DATABASE if backend == "postgresql" else f"digest-{executives}"
    with database(backend, name, tmp, postgres_url) as url:
        engine = make_engine(url)
        try:
            start = time.perf_counter()
            program_id, rows = generate(engine, catalog, executives)
            generated = time.perf_counter() - start
            _, digest = run_digest(engine, catalog, program_id)  # warm-up
            times = [run_digest(engine, catalog, program_id)[0] for _ in range(RUNS)]
            queries: dict[str, list[float]] = defaultdict(list)
            for _ in range(RUNS if breakdown else 0):
                with timed_queries() as spent:
                    total, _ = run_digest(engine, catalog, program_id)
                for _module, name in QUERIES:
                    queries[name].append(spent.get(name, 0.0))
                queries["(rest of compute)"].append(total - sum(spent.values()))
        finally:
            engine.dispose()
    return Result(backend, executives, rows, generated, times, digest, queries)


def run(
    backends: list[str],
    sizes: tuple[int, int],
    postgres_url: str = POSTGRES_URL,
    breakdown: bool = False,
) -> dict[tuple[str, int], Result]:
    """Generate and time each backend at each size."""
    catalog = load_catalog(ROOT / "content")
    results: dict[tuple[str, int], Result] = {}
    with tempfile.TemporaryDirectory(prefix="upward-bench-digest-") as tmp:
        for backend in backends:
            for executives in sizes:
                results[backend, executives] = measure(
                    backend, executives, catalog, Path(tmp), postgres_url, breakdown
                )
    return results


def _median(results: dict[tuple[str, int], Result], backend: str, executives: int) -> float:
    return statistics.median(results[backend, executives].times)


def checks(
    results: dict[tuple[str, int], Result], sizes: tuple[int, int]
) -> list[tuple[bool, str]]:
    """Each target as (passed, line): PostgreSQL under TARGET_SECONDS at the larger size, and the
    ratio."""
    small, large = sizes
    backends = list(dict.fromkeys(backend for backend, _ in results))
    out = []
    if "postgresql" in backends:
        median = _median(results, "postgresql", large)
        out.append(
            (
                median < TARGET_SECONDS,
                (
                    f"postgresql, {large:,} executives: median {median:.3f} s (target <"
                    f" {TARGET_SECONDS:g} s)"
                ),
            )
        )
    for backend in backends:
        ratio = _median(results, backend, large) / _median(results, backend, small)
        out.append(
            (
                ratio <= MAX_RATIO,
                (
                    f"{backend}, {large // small}x the executives: {ratio:.1f}x the time (target <="
                    f" {MAX_RATIO:g}x)"
                ),
            )
        )
    return out


def table_rows(results: dict[tuple[str, int], Result], sizes: tuple[int, int]) -> list[Row]:
    """One row of bench/run.py's table per backend."""
    small, large = sizes
    out = []
    for backend in dict.fromkeys(backend for backend, _ in results):
        big, little = _median(results, backend, large), _median(results, backend, small)
        ratio = big / little
        pg = backend == "postgresql"
        ok = ratio <= MAX_RATIO and (big < TARGET_SECONDS or not pg)
        out.append(
            Row(
                f"digest, {backend}, {large:,} executives, a year",
                f"median {big:.3f} s, worst {max(results[backend, large].times):.3f} s",
                f"{small:,} executives: {little:.3f} s ({ratio:.1f}x for {large // small}x)",
                (f"< {TARGET_SECONDS:g} s; " if pg else "")
                + f"<= {MAX_RATIO:g}x for {large // small}x",
                ok,
                (
                    (
                        f"{backend}: {results[backend, large].rows:,} answers + observations"
                        f" generated in {results[backend, large].generated:.0f} s"
                    ),
                ),
            )
        )
    return out


def main() -> int:
    """Print the table; exit status 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="200 and 2,000 executives: a smoke run"
    )
    parser.add_argument("--breakdown", action="store_true", help="time each digest query too")
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgresql"),
        action="append",
        help="only this one (repeatable)",
    )
    parser.add_argument(
        "--postgres-url", default=POSTGRES_URL, help=f"the server to create {DATABASE} on"
    )
    args = parser.parse_args()
    sizes = QUICK_SIZES if args.quick else SIZES
    small, large = sizes
    results = run(
        args.backend or ["sqlite", "postgresql"], sizes, args.postgres_url, args.breakdown
    )

    header = (
        f"{'backend':<10} {'executives':>10} {'answers+observations':>20} {'generate s':>10} "
        f"{'median s':>8} {'worst s':>7} {f'{large // small}x time':>8}"
    )
    print(header)
    print("-" * len(header))
    for (backend, executives), r in results.items():
        ratio = ""
        if executives == large:
            ratio = f"{_median(results, backend, large) / _median(results, backend, small):.1f}"
        print(
            f"{backend:<10} {executives:>10,} {r.rows:>20,} {r.generated:>10.1f} "
            f"{statistics.median(r.times):>8.3f} {max(r.times):>7.3f} {ratio:>8}"
        )
    for (backend, executives), r in results.items():
        d = r.digest
        completion = (
            f"{d.completion[0].value:.0%}" if d.completion[0].value is not None else "hidden"
        )
        print(
            f"  {backend} {executives:,}: digest of {d.week.label}: {d.enrolled:,} enrolled,"
            f" {d.active[0]:,} active, completion {completion}, {len(d.kpis)} KPI trends,"
            f" {d.at_risk_total:,} at risk"
        )
    outcome = checks(results, sizes)
    for ok, line in outcome:
        print(f"{'PASS' if ok else 'FAIL'}  {line}")

    if args.breakdown:
        for (backend, executives), r in results.items():
            print(f"\nper query, {backend}, {executives:,} executives (median of {RUNS} runs, s):")
            for name, spent in sorted(
                r.queries.items(), key=lambda item: -statistics.median(item[1])
            ):
                print(f"  {name:<24} {statistics.median(spent):>8.4f}")
    return 0 if all(ok for ok, _ in outcome) else 1


if __name__ == "__main__":
    sys.exit(main())
