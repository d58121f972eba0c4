"""CLI start-up: how long `upward --help` takes, from exec to exit, as a person waits for it.

    python bench/startup.py [--runs N]

Each command is run N times (default 20) as a fresh process through the virtualenv's `upward`
console script, in an empty folder, after one uncounted run (the file cache); the median and the
worst are reported beside the floor for any click command on this machine, the interpreter
importing click alone. Target: `upward --help` under 0.3 s. The notes give the same for two
commands that do some work without a database (`content validate` loads the catalog) and how
many modules `import bot.cli` loads. `python -X importtime -c 'import bot.cli'` shows where the time
goes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import Row, print_table  # noqa: E402

TARGET_SECONDS = 0.3
RUNS = 20
UPWARD = Path(sys.executable).with_name("upward")


def timed(argv: list[str], runs: int, cwd: str) -> list[float]:
    """Seconds each of `runs` runs of `argv` took, after one uncounted run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    times = []
    for i in range(runs + 1):
        start = time.perf_counter()
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
        if i:
            times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.decode()[-300:]}")
    return times


def shown(times: list[float]) -> str:
    return f"median {statistics.median(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms"


def modules_of_bot_cli() -> int:
    """How many modules `import bot.cli` leaves loaded, beyond a bare interpreter's."""
    code = "import sys; n = len(sys.modules); import bot.cli; print(len(sys.modules) - n)"
    return int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout)


def table_rows(runs: int = RUNS) -> list[Row]:
    """bench/run.py's row: `upward --help` against the target, the floor beside it."""
    upward = [str(UPWARD)] if UPWARD.exists() else [sys.executable, "-m", "bot"]
    with tempfile.TemporaryDirectory(prefix="upward-startup-") as folder:
        help_times = timed([*upward, "--help"], runs, folder)
        floor = timed([sys.executable, "-c", "import click"], runs, folder)
        subcommand = timed([*upward, "program", "create", "--help"], runs, folder)
        validate = timed([*upward, "content", "validate"], runs, folder)
    median = statistics.median(help_times)
    return [
        Row(
            f"CLI start-up, `upward --help`, {runs} runs",
            shown(help_times),
            f"python -c 'import click': {shown(floor)}",
            f"< {TARGET_SECONDS * 1000:.0f} ms",
            median < TARGET_SECONDS,
            (
                f"`upward program create --help`: {shown(subcommand)}",
                f"`upward content validate` (loads and checks the catalog): {shown(validate)}",
                f"`import bot.cli` loads {modules_of_bot_cli()} modules",
            ),
        )
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS, help="runs of each command")
    rows = table_rows(parser.parse_args().runs)
    print_table(rows)
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
