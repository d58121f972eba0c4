"""The `upward` command as a person runs it: a real process, real databases, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import URL

from bot.core.credentials import shown_url
from bot.migrate import alembic_config, head_revision
from tests.dbs import engine_for

UPWARD = [sys.executable, "-m", "bot"]


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    full_env.update(env or {})
    return subprocess.run(
        [*UPWARD, *args], capture_output=True, text=True, env=full_env, cwd=cwd, timeout=120
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("upward: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_help_lists_the_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "db" in result.stdout and "content" in result.stdout


@pytest.mark.parametrize(
    "command", [["db", "--help"], ["db", "upgrade", "--help"], ["content", "validate", "--help"]]
)
def test_every_command_has_help(command: list[str]) -> None:
    result = run(*command)
    assert result.returncode == 0 and "Usage:" in result.stdout


# What `upward --help` must not wait for: each is imported by the commands that use it.
HEAVY = (
    "sqlalchemy",
    "alembic",
    "slack_bolt",
    "slack_sdk",
    "pydantic",
    "yaml",
    "holidays",
    "apscheduler",
    "matplotlib",
    "gunicorn",
)


def test_import_and_help_load_nothing_heavy() -> None:
    """`import bot.cli` and rendering every group's help load none of the heavy libraries (start-up
    time is measured in bench/startup.py, not here)."""
    code = (
        "import sys\n"
        "from bot.cli import cli\n"
        "for args in (['--help'], ['program', 'create', '--help'], ['export', '--help']):\n"
        "    cli.main(args, prog_name='upward', standalone_mode=False)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"


def test_console_script_is_installed() -> None:
    exe = Path(sys.executable).with_name("upward")
    result = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "Usage: upward" in result.stdout


def test_db_upgrade_builds_the_schema_and_is_repeatable(
    empty_database: URL, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": empty_database.render_as_string(hide_password=False)}
    first = run("db", "upgrade", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert f"to revision {head_revision()}" in first.stdout
    second = run("db", "upgrade", env=env, cwd=tmp_path)
    assert second.returncode == 0 and "nothing to do" in second.stdout
    eng = engine_for(empty_database)
    assert {"programs", "people", "outbox", "circles", "alembic_version"} <= set(
        inspect(eng).get_table_names()
    )
    eng.dispose()
    current = run("db", "current", env=env, cwd=tmp_path)
    assert "up to date" in current.stdout and current.returncode == 0


def test_db_current_fails_and_says_how_to_upgrade_when_the_schema_is_behind(
    empty_database: URL, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": empty_database.render_as_string(hide_password=False)}
    where = shown_url(empty_database)  # no user name or password shown
    empty = run("db", "current", env=env, cwd=tmp_path)
    assert empty.returncode == 1
    assert empty.stdout == f"{where}: revision none, no schema yet: run `upward db upgrade`\n"

    previous = ScriptDirectory.from_config(alembic_config()).get_revision(head_revision())
    assert isinstance(previous.down_revision, str)
    run("db", "upgrade", "--revision", previous.down_revision, env=env, cwd=tmp_path)
    behind = run("db", "current", env=env, cwd=tmp_path)
    assert behind.returncode == 1
    assert behind.stdout == (
        f"{where}: revision {previous.down_revision}, behind (newest is {head_revision()}): run"
        " `upward db upgrade`\n"
    )


def test_tick_until_a_past_instant_says_it_is_past(tmp_path: Path) -> None:
    result = run("tick", "--until", "2020-01-01T00:00Z", cwd=tmp_path)
    assert_one_line_error(result, "--until 2020-01-01T00:00Z is in the past (it is now 20")
    assert "give a later --until, or an earlier --at to start from" in result.stderr
    assert "before --at" not in result.stderr
    assert not (tmp_path / "upward.db").exists(), "nothing was touched"


def test_default_database_is_a_sqlite_file_in_the_working_directory(tmp_path: Path) -> None:
    result = run("db", "upgrade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "upward.db").exists()


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    result = run(
        "db",
        "upgrade",
        env={"DATABASE_URL": "postgresql://someone:pw@127.0.0.1:1/nowhere"},
        cwd=tmp_path,
    )
    assert_one_line_error(result, "cannot use the database", "127.0.0.1:1")
    assert "pw@" not in result.stderr


def test_malformed_database_url_is_one_line(tmp_path: Path) -> None:
    result = run(
        "db", "upgrade", env={"DATABASE_URL": "postgres://u:topsecret@host:port/db"}, cwd=tmp_path
    )
    assert_one_line_error(result, "DATABASE_URL")
    assert "topsecret" not in result.stderr


def test_unwritable_sqlite_path_is_one_line_and_creates_nothing(tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "x.db"
    result = run("db", "upgrade", env={"DATABASE_URL": f"sqlite:///{target}"}, cwd=tmp_path)
    assert_one_line_error(result, "cannot use the database", "writable")
    assert not target.exists()


def test_unknown_command_is_a_usage_error() -> None:
    result = run("frobnicate")
    assert result.returncode == 2 and "No such command" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--at", "9999-12-31T23:59:59Z"],
        ["--at", "0001-01-01T00:00:00+05:00"],
        ["--at", "2026-12-01T00:00Z", "--until", "9999-12-31T00:00Z", "--every", "1w"],
    ],
)
def test_tick_refuses_an_instant_upward_cannot_run_at_in_one_line(
    args: list[str], tmp_path: Path
) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'u.db'}", "SLACK_BOT_TOKEN": "xoxb-1-unused"}
    assert run("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    result = run("tick", *args, env=env, cwd=tmp_path)
    assert_one_line_error(result, "is outside the years Upward can run at (1970 to 8999)")
    assert "OverflowError" not in result.stderr


def test_a_step_past_the_end_of_the_calendar_is_never_taken(tmp_path: Path) -> None:
    """`--every` larger than what is left of the calendar: one tick at --at, then done."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'u.db'}", "SLACK_BOT_TOKEN": "xoxb-1-unused"}
    assert run("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    result = run("tick", "--at", "8999-12-01T00:00Z", "--every", "99999999w", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("8999-12-01T00:00+00:00: nothing due")
