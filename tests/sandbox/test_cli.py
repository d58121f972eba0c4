"""``python -m bot.sandbox`` starts, prints its URL, serves, and stops on SIGTERM."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

from slack_sdk import WebClient

from bot.sandbox import DEMO_SEED_PATH, load_seed

ROOT = Path(__file__).resolve().parents[2]


def test_cli_serves_the_demo_workspace_until_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.sandbox", "--port", "0", "--no-rate-limits"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(
            r"listening on (http://127\.0\.0\.1:\d+/api/) \(bot token (xoxb-\S+)\)", line
        )
        assert match, line
        client = WebClient(base_url=match.group(1), token=match.group(2))
        assert client.auth_test()["team_id"] == load_seed(DEMO_SEED_PATH).team_id
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_cli_reports_a_bad_seed(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.sandbox", "--seed", str(tmp_path / "nope.yaml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 2 and "does not exist" in result.stderr
