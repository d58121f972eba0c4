"""The engine Upward builds: how it behaves when the database misbehaves."""

from __future__ import annotations

import socket
import time

import pytest
from sqlalchemy.engine import URL

from bot.db import CONNECT_TIMEOUT_SECONDS, DatabaseUnavailable, check_database, make_engine


def test_a_postgresql_server_that_never_answers_fails_fast_instead_of_hanging() -> None:
    # A socket that listens but never speaks: the TCP handshake succeeds (the kernel queues it),
    # then nothing, as with a server behind a network fault. Without a connect timeout libpq waits
    # for ever, and a /healthz or a tick hangs until gunicorn or the operator kills it.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        engine = make_engine(
            URL.create(
                "postgresql+psycopg",
                username="upward",
                host="127.0.0.1",
                port=port,
                database="upward",
            )
        )
        started = time.monotonic()
        with pytest.raises(DatabaseUnavailable):
            check_database(engine)
        took = time.monotonic() - started
        engine.dispose()
    assert took < CONNECT_TIMEOUT_SECONDS * 3, f"gave up after {took:.1f} s"
