"""Logging: the libraries' routine INFO lines (APScheduler's every job run) stay quiet unless
asked for."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.logs import LIBRARIES, configure_logging


@pytest.fixture()
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in LIBRARIES}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, was in levels.items():
        logging.getLogger(name).setLevel(was)


@pytest.mark.usefixtures("restored_logging")
def test_apscheduler_logs_only_warnings_unless_asked() -> None:
    configure_logging("text")

    assert not logging.getLogger("apscheduler.executors.default").isEnabledFor(logging.INFO)
    assert logging.getLogger("apscheduler.scheduler").isEnabledFor(logging.WARNING)
    assert logging.getLogger("bot.worker").isEnabledFor(logging.INFO)

    configure_logging("text", verbose=True)

    assert logging.getLogger("apscheduler.executors.default").isEnabledFor(logging.INFO)
