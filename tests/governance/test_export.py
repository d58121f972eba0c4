"""Exports: the documented columns in order, exact values, no reflections, forgotten people
blanked."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bot.governance.export import COLUMNS, columns_markdown, export_rows, write
from bot.governance.forget import forget_person
from bot.models import Delivery
from tests.governance.scenario import Scenario, at, build


@pytest.fixture()
def world(session: Session) -> Scenario:
    return build(session)


def rows(session: Session, world: Scenario, what: str) -> list[dict]:
    return list(export_rows(session, program_id=world.program.id, what=what))


@pytest.mark.parametrize("what", list(COLUMNS))
def test_every_export_has_exactly_the_documented_columns_in_order(
    session: Session, world: Scenario, what: str
) -> None:
    exported = rows(session, world, what)
    assert exported
    assert all(tuple(row) == COLUMNS[what] for row in exported)
    assert ", ".join(f"`{c}`" for c in COLUMNS[what]) in columns_markdown()


def test_the_readme_documents_the_columns_the_code_exports() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert columns_markdown() in readme, (
        "README's export section is out of date: paste columns_markdown() into it"
    )


def test_answers_export_excludes_reflections_and_formats_values(
    session: Session, world: Scenario
) -> None:
    exported = rows(session, world, "answers")
    assert all(row["question_id"] != "reflection" for row in exported)
    assert "private thoughts" not in json.dumps(exported)
    assert exported == [
        {
            "program": "Mini",
            "slack_user_id": "UADA0001",
            "department": "Sales",
            "module_id": "baseline",
            "kind": "baseline",
            "question_id": "self-digital",
            "attempt": 1,
            "value": "3",
            "correct": None,
            "answered_at": "2026-12-01T09:10:00Z",
        },
        {
            "program": "Mini",
            "slack_user_id": "UADA0001",
            "department": "Sales",
            "module_id": "m1",
            "kind": "module",
            "question_id": "m1-q1",
            "attempt": 1,
            "value": "b",
            "correct": True,
            "answered_at": "2026-12-03T09:50:00Z",
        },
        {
            "program": "Mini",
            "slack_user_id": "UADA0001",
            "department": "Sales",
            "module_id": "m1",
            "kind": "module",
            "question_id": "m1-q2",
            "attempt": 1,
            "value": "a",
            "correct": False,
            "answered_at": "2026-12-03T09:51:00Z",
        },
        {
            "program": "Mini",
            "slack_user_id": "UBOB0002",
            "department": "Ops",
            "module_id": "m1",
            "kind": "module",
            "question_id": "m1-q1",
            "attempt": 1,
            "value": "c",
            "correct": False,
            "answered_at": "2026-12-02T11:00:00Z",
        },
    ]


def test_kpis_export_names_the_observed_person_and_the_observer(
    session: Session, world: Scenario
) -> None:
    exported = rows(session, world, "kpis")
    assert len(exported) == 4
    assert exported[0] == {
        "program": "Mini",
        "kpi_key": "confidence",
        "kpi_name": "Confidence",
        "slack_user_id": "UADA0001",
        "department": "Sales",
        "source": "mentor",
        "observer_slack_user_id": "UMIA0003",
        "period_start": "2026-12-01",
        "value": 4,
        "recorded_at": "2026-12-20T12:00:00Z",
    }
    self_report = next(
        r for r in exported if r["slack_user_id"] == "UBOB0002" and r["source"] == "self"
    )
    assert self_report == {
        "program": "Mini",
        "kpi_key": "asked-first",
        "kpi_name": "Asked first",
        "slack_user_id": "UBOB0002",
        "department": "Ops",
        "source": "self",
        "observer_slack_user_id": None,
        "period_start": "2026-12-07",
        "value": 3,
        "recorded_at": "2026-12-08T18:00:00Z",
    }


def test_circles_export_has_one_row_per_member(session: Session, world: Scenario) -> None:
    exported = rows(session, world, "circles")
    circle = {
        "program": "Mini",
        "circle_number": 1,
        "channel_name": "upward-mini-dec-1",
        "period_start": "2026-12-01",
        "period_end": "2026-12-31",
        "status": "active",
        "meeting_at": "2026-12-10T15:00:00Z",
    }
    assert exported == [
        {
            **circle,
            "slack_user_id": "UMIA0003",
            "role": "mentor",
            "attended": True,
            "met_response": "yes",
            "pulse": 5,
        },
        {
            **circle,
            "slack_user_id": "UADA0001",
            "role": "executive",
            "attended": True,
            "met_response": "yes",
            "pulse": 4,
        },
        {
            **circle,
            "slack_user_id": "UBOB0002",
            "role": "executive",
            "attended": None,
            "met_response": None,
            "pulse": None,
        },
    ]


def test_deliveries_export_has_null_for_missing_times(session: Session, world: Scenario) -> None:
    exported = rows(session, world, "deliveries")
    assert [(r["slack_user_id"], r["module_id"]) for r in exported] == [
        ("UADA0001", "baseline"),
        ("UADA0001", "m1"),
        ("UBOB0002", "m1"),
    ]
    assert exported[1] == {
        "program": "Mini",
        "slack_user_id": "UADA0001",
        "department": "Sales",
        "module_id": "m1",
        "kind": "module",
        "sequence": 1,
        "status": "completed",
        "due_at": "2026-12-02T09:00:00Z",
        "sent_at": "2026-12-02T09:01:00Z",
        "reminded_at": "2026-12-03T09:00:00Z",
        "completed_at": "2026-12-03T10:00:00Z",
    }
    assert exported[2]["reminded_at"] is None and exported[2]["completed_at"] is None


def test_forgotten_people_keep_anonymous_rows_with_empty_identity(
    session: Session, world: Scenario
) -> None:
    forget_person(session, slack_user_id="UADA0001", now=at(28))
    forget_person(session, slack_user_id="UMIA0003", now=at(28))
    session.expire_all()
    answers = rows(session, world, "answers")
    assert [(r["slack_user_id"], r["department"], r["value"], r["correct"]) for r in answers] == [
        (None, None, "", None),
        (None, None, "", True),
        (None, None, "", False),
        ("UBOB0002", "Ops", "c", False),
    ]
    assert [r["slack_user_id"] for r in rows(session, world, "circles")] == [None, None, "UBOB0002"]
    assert {r["slack_user_id"] for r in rows(session, world, "deliveries")} == {None, "UBOB0002"}
    kpis = rows(session, world, "kpis")
    assert {r["slack_user_id"] for r in kpis} == {"UBOB0002"}
    assert all(r["observer_slack_user_id"] is None for r in kpis)
    assert "forgotten-" not in json.dumps(answers + kpis)


def test_export_streams_more_rows_than_one_batch(session: Session, world: Scenario) -> None:
    session.execute(
        insert(Delivery),
        [
            {
                "program_id": world.program.id,
                "person_id": world.bob.id,
                "module_id": f"x{i:04d}",
                "sequence": 10 + i,
                "created_at": at(1),
            }
            for i in range(2100)
        ],
    )
    stream = export_rows(session, program_id=world.program.id, what="deliveries")
    assert iter(stream) is stream  # a generator, not a list
    modules = [r["module_id"] for r in stream]
    assert len(modules) == 2103 and modules[-1] == "x2099"


def test_csv_has_a_header_unix_line_endings_and_plain_cells() -> None:
    out = io.StringIO(newline="")
    n = write(
        [{"a": "x,y", "b": None, "c": True, "d": False, "e": "Zoë"}],
        "csv",
        out,
        columns=["a", "b", "c", "d", "e"],
    )
    assert n == 1
    assert out.getvalue() == 'a,b,c,d,e\n"x,y",,true,false,Zoë\n'


def test_csv_with_no_rows_is_just_the_header() -> None:
    out = io.StringIO(newline="")
    assert write(iter([]), "csv", out, columns=COLUMNS["kpis"]) == 0
    assert out.getvalue() == ",".join(COLUMNS["kpis"]) + "\n"


def test_jsonl_is_one_object_per_line_with_nulls() -> None:
    out = io.StringIO(newline="")
    write([{"a": 1, "b": None, "c": "Zoë"}, {"a": 2, "b": True, "c": ""}], "jsonl", out)
    lines = out.getvalue().split("\n")
    assert lines[-1] == "" and [json.loads(line) for line in lines[:-1]] == [
        {"a": 1, "b": None, "c": "Zoë"},
        {"a": 2, "b": True, "c": ""},
    ]


def test_timestamps_are_utc_with_z_whatever_the_input_zone(
    session: Session, world: Scenario
) -> None:
    due = session.scalars(
        select(Delivery).where(Delivery.person_id == world.ada.id, Delivery.module_id == "m1")
    ).one()
    due.due_at = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    session.flush()
    assert rows(session, world, "deliveries")[1]["due_at"] == "2026-12-02T09:00:00Z"
