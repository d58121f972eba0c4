"""Program data as flat rows for BI tools: `upward export --what answers|kpis|circles|deliveries`.

Every export is one row per record with the stable columns below, in this order. Values are the
same in both formats: timestamps are ISO-8601 UTC ending in `Z` (e.g. `2026-12-01T09:30:00Z`),
dates are `YYYY-MM-DD`, and a missing value is `null` in JSONL and an empty cell in CSV. CSV
files are UTF-8 with a header row and `\\n` line endings; booleans are `true`/`false`. JSONL has one
JSON object per line with the columns as keys.

People who asked to be forgotten keep their anonymous rows (so counts and averages still add
up) but their `slack_user_id` and `department` are empty.

- **answers**: one row per answer to a module, baseline or closing question. Reflection answers
  (`question_id` = `reflection`) are free text written by executives and are never exported.
  Columns: program, slack_user_id, department, module_id, kind (`module`/`baseline`/`closing`),
  question_id, attempt (1 is the scored one), value, correct, answered_at.
- **kpis**: one row per KPI observation. Columns: program, kpi_key, kpi_name, slack_user_id (the
  person observed), department, source (`self`/`mentor`), observer_slack_user_id (the mentor, empty
  for self-reports), period_start (Monday of the week for self-reports, first of the month for
  mentor observations), value, recorded_at.
- **circles**: one row per circle member. Columns: program, circle_number, channel_name,
  period_start, period_end, status, meeting_at, slack_user_id, role, attended, met_response
  (`yes`/`not_yet`/`couldnt`), pulse.
- **deliveries**: one row per module (or assessment) planned for a person. Columns: program,
  slack_user_id, department, module_id, kind, sequence, status, due_at, sent_at, reminded_at,
  completed_at.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal, TextIO

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from bot.governance.columns import COLUMNS
from bot.models import Answer, Circle, CircleMember, Delivery, Kpi, KpiObservation, Person, Program

Format = Literal["csv", "jsonl"]
What = Literal["answers", "kpis", "circles", "deliveries"]

REFLECTION_QUESTION_ID = "reflection"
# Rows fetched per round trip: memory stays flat however large the program is.
BATCH_SIZE = 1000

_DESCRIPTIONS: dict[str, str] = {
    "answers": (
        "One row per answer to a module, baseline or closing question. Reflection answers"
        " (`question_id` = `reflection`) are free text written by executives and are **never"
        " exported**. `kind` is `module`, `baseline` or `closing`; `attempt` 1 is the scored one;"
        " `correct` is empty for questions without a right answer (self-assessments)."
    ),
    "kpis": (
        "One row per KPI observation. `slack_user_id` and `department` are the person observed;"
        " `source` is `self` or `mentor`; `observer_slack_user_id` is the mentor (empty for"
        " self-reports); `period_start` is the Monday of the week for self-reports, and the first"
        " day of the circle's period for mentor observations (the first of the month for monthly"
        " circles)."
    ),
    "circles": (
        "One row per circle member (a circle with four members is four rows). `status` is"
        " `forming`, `active`, `closing` or `archived`; `role` is `executive` or `mentor`;"
        " `met_response` is `yes`, `not_yet` or `couldnt`; `pulse` is the member's rating of the"
        " circle."
    ),
    "deliveries": (
        "One row per module (or baseline/closing assessment) planned for a person. `status` is"
        " `pending`, `sent`, `completed`, `expired`, `skipped` or `failed`."
    ),
}


def columns_markdown() -> str:
    """The README section documenting every export's columns, in Markdown."""
    lines = [
        "## Exports for BI tools",
        "",
        (
            "`upward export --program NAME --format csv|jsonl --what"
            " answers|kpis|circles|deliveries [--out FILE]`"
        ),
        "writes one row per record to stdout, or to FILE (written in full or not at all).",
        "",
        "- Columns are stable and always in the order below.",
        (
            "- Timestamps are ISO-8601 UTC ending in `Z` (`2026-12-01T09:30:00Z`); dates are"
            " `YYYY-MM-DD`."
        ),
        "- A missing value is `null` in JSONL and an empty cell in CSV.",
        "- CSV is UTF-8 with a header row and `\\n` line endings; booleans are `true`/`false`.",
        "- JSONL is one JSON object per line, keyed by column name.",
        (
            "- People who asked to be forgotten (`upward person forget`) keep their anonymous rows,"
            " so counts and"
        ),
        "  averages still add up, but their `slack_user_id` and `department` are empty.",
        "",
    ]
    for what, columns in COLUMNS.items():
        lines += [
            f"### `--what {what}`",
            "",
            _DESCRIPTIONS[what],
            "",
            ", ".join(f"`{c}`" for c in columns),
            "",
        ]
    return "\n".join(lines)


def export_rows(session: Session, *, program_id: int, what: str) -> Iterator[dict[str, Any]]:
    """Rows of one export for one program, streamed in batches, with values ready to serialise."""
    if what not in COLUMNS:
        raise ValueError(f"unknown export {what!r}: choose one of {', '.join(COLUMNS)}")
    program_name = session.scalar(select(Program.name).where(Program.id == program_id))
    if program_name is None:
        raise ValueError(f"no program with id {program_id}")
    columns = COLUMNS[what]
    query = _QUERIES[what](program_id)
    for row in session.execute(query.execution_options(yield_per=BATCH_SIZE)):
        values = row._mapping
        out: dict[str, Any] = {}
        for name in columns:
            value = program_name if name == "program" else values[name]
            if name in _PERSONAL and values[f"{name}__forgotten"] is not None:
                value = None
            out[name] = _plain(value)
        yield out


def write(
    rows: Iterable[dict[str, Any]],
    fmt: str,
    stream: TextIO,
    *,
    columns: Sequence[str] | None = None,
) -> int:
    """Write `rows` as CSV (header first) or JSONL to a text stream; returns how many rows.

    `columns` fixes the CSV header (needed when there may be no rows); by default the first row's
    keys. The stream should be opened with newline="" so CSV line endings stay `\\n`.
    """
    if fmt == "jsonl":
        count = 0
        for row in rows:
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
        return count
    if fmt != "csv":
        raise ValueError(f"unknown format {fmt!r}: choose csv or jsonl")
    writer = csv.writer(stream, lineterminator="\n")
    iterator = iter(rows)
    first = next(iterator, None)
    header = list(columns) if columns is not None else list(first or ())
    writer.writerow(header)
    if first is None:
        return 0
    count = 0
    for row in _chain(first, iterator):
        writer.writerow([_csv_cell(row.get(name)) for name in header])
        count += 1
    return count


def _chain(first: dict[str, Any], rest: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield first
    yield from rest


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _plain(value: Any) -> Any:
    """A JSON-ready value: UTC `...Z` timestamps, ISO dates, enum values."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


# Columns that identify a person; each query also selects `<column>__forgotten` (that person's
# forgotten_at) so a forgotten person's identity is blanked in one place.
_PERSONAL = ("slack_user_id", "department", "observer_slack_user_id")


def _identity() -> tuple[Any, ...]:
    """The person's id and department, each with the forgotten_at that blanks it."""
    return (
        Person.slack_user_id,
        Person.forgotten_at.label("slack_user_id__forgotten"),
        Person.department,
        Person.forgotten_at.label("department__forgotten"),
    )


def _answers(program_id: int) -> Select[Any]:
    return (
        select(
            *_identity(),
            Delivery.module_id,
            Delivery.kind,
            Answer.question_id,
            Answer.attempt,
            Answer.value,
            Answer.correct,
            Answer.answered_at,
        )
        .join(Delivery, Answer.delivery_id == Delivery.id)
        .join(Person, Delivery.person_id == Person.id)
        .where(Delivery.program_id == program_id, Answer.question_id != REFLECTION_QUESTION_ID)
        .order_by(Delivery.sequence, Delivery.id, Answer.question_id, Answer.attempt, Answer.id)
    )


def _kpis(program_id: int) -> Select[Any]:
    observer = aliased(Person)
    return (
        select(
            Kpi.key.label("kpi_key"),
            Kpi.name.label("kpi_name"),
            *_identity(),
            KpiObservation.source,
            observer.slack_user_id.label("observer_slack_user_id"),
            observer.forgotten_at.label("observer_slack_user_id__forgotten"),
            KpiObservation.period_start,
            KpiObservation.value,
            KpiObservation.recorded_at,
        )
        .join(Kpi, KpiObservation.kpi_id == Kpi.id)
        .join(Person, KpiObservation.person_id == Person.id)
        .outerjoin(observer, KpiObservation.observer_id == observer.id)
        .where(Kpi.program_id == program_id)
        .order_by(KpiObservation.period_start, Kpi.key, KpiObservation.id)
    )


def _circles(program_id: int) -> Select[Any]:
    return (
        select(
            Circle.number.label("circle_number"),
            Circle.channel_name,
            Circle.period_start,
            Circle.period_end,
            Circle.status,
            Circle.meeting_at,
            Person.slack_user_id,
            Person.forgotten_at.label("slack_user_id__forgotten"),
            CircleMember.role,
            CircleMember.attended,
            CircleMember.met_response,
            CircleMember.pulse,
        )
        .join(CircleMember, CircleMember.circle_id == Circle.id)
        .join(Person, CircleMember.person_id == Person.id)
        .where(Circle.program_id == program_id)
        .order_by(Circle.period_start, Circle.number, CircleMember.id)
    )


def _deliveries(program_id: int) -> Select[Any]:
    return (
        select(
            *_identity(),
            Delivery.module_id,
            Delivery.kind,
            Delivery.sequence,
            Delivery.status,
            Delivery.due_at,
            Delivery.sent_at,
            Delivery.reminded_at,
            Delivery.completed_at,
        )
        .join(Person, Delivery.person_id == Person.id)
        .where(Delivery.program_id == program_id)
        .order_by(Delivery.sequence, Delivery.id)
    )


_QUERIES = {"answers": _answers, "kpis": _kpis, "circles": _circles, "deliveries": _deliveries}
