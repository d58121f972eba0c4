"""A private, throwaway PostgreSQL cluster for tests that stop and start the server.

The shared server at 127.0.0.1:5432 serves every other test in parallel, so a test that restarts
PostgreSQL gets its own cluster: initdb into a temporary folder, a free port, `pg_ctl` to stop and
start it (same port, same data), and everything removed afterwards. PostgreSQL refuses to run as
root, so as root the binaries run as the `postgres` OS user.
"""

from __future__ import annotations

import os
import pwd
import random
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg
from sqlalchemy.engine import URL

from bot.config import parse_database_url
from tests.dbs import _pid_alive

# Debian's PostgreSQL 15, as CI installs it; UPWARD_TEST_PG_BIN points elsewhere (`pg_config
# --bindir`).
PG_BIN = Path(os.environ.get("UPWARD_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
OS_USER = "postgres"


class ClusterError(Exception):
    """The private cluster could not be set up or controlled; the message says what to do."""


class PostgresCluster:
    """One PostgreSQL cluster in a temporary folder, listening on 127.0.0.1 at a free port."""

    def __init__(self, bin_dir: Path = PG_BIN):
        missing = [
            name for name in ("initdb", "pg_ctl", "postgres") if not (bin_dir / name).is_file()
        ]
        if missing:
            raise ClusterError(
                f"PostgreSQL server binaries {', '.join(missing)} not found in {bin_dir}: install"
                " PostgreSQL 15 (apt-get install postgresql-15) or set UPWARD_TEST_PG_BIN to the"
                " folder `pg_config --bindir` prints"
            )
        self.bin_dir = bin_dir
        self._as_root = os.geteuid() == 0
        self._remove_stale_clusters()
        self.root = Path(tempfile.mkdtemp(prefix=f"upward-pg-{os.getpid()}-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = _free_port()
        if self._as_root:
            try:
                owner = pwd.getpwnam(OS_USER)
            except KeyError:
                shutil.rmtree(self.root, ignore_errors=True)
                raise ClusterError(
                    f"running as root, but there is no `{OS_USER}` OS user to run PostgreSQL as"
                    " (PostgreSQL refuses root): install PostgreSQL from your distribution, which"
                    " creates it"
                ) from None
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        try:
            self._run(
                "initdb",
                "-D",
                str(self.data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
            )
        except ClusterError:
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    def _command(self, program: str, *args: str) -> list[str]:
        """The command line for one of PostgreSQL's programs, as the `postgres` user when we are
        root."""
        command = [str(self.bin_dir / program), *args]
        return ["runuser", "-u", OS_USER, "--", *command] if self._as_root else command

    def _run(self, program: str, *args: str) -> str:
        command = self._command(program, *args)
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            server_log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise ClusterError(
                f"`{' '.join(command)}` exited {result.returncode}:"
                f" {result.stderr.strip() or result.stdout.strip()}"
                + (f"\nserver log:\n{server_log}" if server_log else "")
            )
        return result.stdout

    def _remove_stale_clusters(self) -> None:
        """Stop and remove clusters left by test runs whose process is gone (e.g. killed with
        -9)."""
        for root in Path(tempfile.gettempdir()).glob("upward-pg-*-*"):
            match = re.match(r"upward-pg-(\d+)-", root.name)
            if not match or _pid_alive(int(match.group(1))):
                continue
            if (root / "data" / "postmaster.pid").exists():
                subprocess.run(
                    self._command("pg_ctl", "-D", str(root / "data"), "-m", "immediate", "stop"),
                    capture_output=True,
                    timeout=60,
                )
            shutil.rmtree(root, ignore_errors=True)

    def start(self) -> None:
        """Start the server (same port and data every time) and wait until it accepts
        connections."""
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            # Throwaway data: durability only costs time here.
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; `fast` disconnects every client at once, as a restart would."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str = "postgres") -> URL:
        return parse_database_url(f"postgresql://postgres@127.0.0.1:{self.port}/{database}")

    def create_database(self, name: str) -> URL:
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def destroy(self) -> None:
        """Stop the server if it runs and remove every file of the cluster."""
        try:
            if self.running:
                self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _free_port() -> int:
    """A free port below the ephemeral range, so no client connection takes it while we are down."""
    low = 32768
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    candidates = range(20000, max(low, 20001))
    for port in random.sample(candidates, min(200, len(candidates))):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise ClusterError(
        "no free TCP port found between 20000 and the ephemeral range for a private PostgreSQL"
    )
