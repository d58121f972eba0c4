"""`upward export` and `upward person forget` as an operator runs them: a real process on a real
database."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from bot.db import make_engine
from bot.governance.export import COLUMNS
from bot.migrate import upgrade
from bot.models import Person
from tests.governance.scenario import build

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Upward:
    env: dict[str, str]
    cwd: Path
    url: URL

    def __call__(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            env=self.env,
            cwd=self.cwd,
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=120,
        )

    def person(self, slack_user_id: str) -> Person | None:
        engine = make_engine(self.url)
        with Session(engine) as session:
            found = session.scalars(
                select(Person).where(Person.slack_user_id == slack_user_id)
            ).one_or_none()
        engine.dispose()
        return found


@pytest.fixture()
def upward(empty_database: URL, tmp_path: Path) -> Iterator[Upward]:
    engine = make_engine(empty_database)
    upgrade(engine)
    with Session(engine) as session:
        build(session)
        session.commit()
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=empty_database.render_as_string(hide_password=False), PYTHONPATH=str(REPO)
    )
    # A folder of its own: the SQLite database file lives in tmp_path.
    cwd = tmp_path / "work"
    cwd.mkdir()
    yield Upward(env, cwd, empty_database)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout and result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("upward: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_export_csv_and_jsonl_to_stdout_and_to_a_file(upward: Upward) -> None:
    result = upward("export", "--program", "mini", "--format", "csv", "--what", "answers")
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stdout and "private thoughts" not in result.stdout
    table = list(csv.reader(io.StringIO(result.stdout)))
    assert tuple(table[0]) == COLUMNS["answers"]
    assert table[2] == [
        "Mini",
        "UADA0001",
        "Sales",
        "m1",
        "module",
        "m1-q1",
        "1",
        "b",
        "true",
        "2026-12-03T09:50:00Z",
    ]
    assert len(table) == 5

    result = upward("export", "--program", "Mini", "--format", "jsonl", "--what", "kpis")
    assert result.returncode == 0, result.stderr
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(objects) == 4 and all(tuple(o) == COLUMNS["kpis"] for o in objects)
    assert {o["observer_slack_user_id"] for o in objects} == {"UMIA0003", None}

    result = upward(
        "export",
        "--program",
        "Mini",
        "--format",
        "csv",
        "--what",
        "circles",
        "--out",
        "circles.csv",
    )
    assert result.returncode == 0 and result.stdout == "", result.stderr
    assert "Wrote 3 rows of 'Mini' circles to circles.csv." in result.stderr
    written = (upward.cwd / "circles.csv").read_bytes().decode("utf-8")
    assert written.startswith(",".join(COLUMNS["circles"]) + "\n") and written.count("\n") == 4

    result = upward(
        "export",
        "--program",
        "Mini",
        "--format",
        "jsonl",
        "--what",
        "deliveries",
        "--out",
        "d.jsonl",
    )
    assert result.returncode == 0, result.stderr
    lines = (upward.cwd / "d.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["module_id"] for line in lines] == ["baseline", "m1", "m1"]
    assert sorted(p.name for p in upward.cwd.iterdir()) == ["circles.csv", "d.jsonl"]


def test_export_bad_input_is_one_line_and_writes_nothing(upward: Upward) -> None:
    result = upward(
        "export", "--program", "Nope", "--format", "csv", "--what", "answers", "--out", "x.csv"
    )
    assert_one_line_error(result, "no program named 'Nope'", "programs: Mini")
    result = upward(
        "export",
        "--program",
        "Mini",
        "--format",
        "csv",
        "--what",
        "answers",
        "--out",
        "missing/x.csv",
    )
    assert_one_line_error(result, "cannot write --out missing/x.csv", "exists and is writable")
    assert list(upward.cwd.iterdir()) == []


def test_export_format_and_what_are_choices() -> None:
    # Rejected by click before any database is opened, so no process or backend is needed.
    from click.testing import CliRunner

    from bot.cli.governance import export_command

    result = CliRunner().invoke(
        export_command, ["--program", "Mini", "--format", "xlsx", "--what", "answers"]
    )
    assert result.exit_code == 2 and "Invalid value for '--format'" in result.output
    result = CliRunner().invoke(
        export_command, ["--program", "Mini", "--format", "csv", "--what", "people"]
    )
    assert result.exit_code == 2 and "Invalid value for '--what'" in result.output


def test_person_forget_prints_the_summary_and_refuses_a_second_time(upward: Upward) -> None:
    declined = upward("person", "forget", "UADA0001", stdin="n\n")
    assert (
        declined.returncode == 1
        and "Erase the personal data of UADA0001 (Ada Lovelace)" in declined.stdout
    )
    assert upward.person("UADA0001") is not None

    result = upward("person", "forget", "UADA0001", "--yes")
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.strip()
        == "Forgot UADA0001: 3 answers anonymised, 1 reflection deleted, 0 mentor notes deleted, "
        "2 KPI observations deleted, 2 pending messages cancelled, 1 program membership ended, "
        "1 sent message body cleared."
    )
    assert upward.person("UADA0001") is None

    # Once forgotten, the real id is unknown: the same one-line error as for any unknown id.
    assert_one_line_error(
        upward("person", "forget", "UADA0001", "--yes"), "no person with Slack user id 'UADA0001'"
    )
