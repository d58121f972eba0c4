"""Who this process is, as the outbox's claim column records it."""

from __future__ import annotations

import os
import socket


def worker_id() -> str:
    """`host:pid`, at most 64 characters (the width of the outbox's claimed_by column)."""
    return f"{socket.gethostname()}:{os.getpid()}"[:64]
