"""Ack at once, work later: interactive listeners hand their work to a small bounded pool.

Slack gives an app 3 seconds to acknowledge. Acks are cheap; the work after them (database writes,
message updates) is not. Keeping the work in its own small pool means a burst of clicks cannot
starve the threads that answer Slack: updates may lag a moment, acks do not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

log = logging.getLogger(__name__)

Work = Callable[..., None]  # work(body=..., action=..., context=..., client=...)


class WorkPool:
    """The app's post-ack work queue; failures are logged, never raised into Bolt."""

    def __init__(self, threads: int):
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="upward-work")

    def submit(self, work: Work, **kwargs: Any) -> None:
        self._pool.submit(self._run, work, kwargs)

    @staticmethod
    def _run(work: Work, kwargs: dict[str, Any]) -> None:
        try:
            work(**kwargs)
        except Exception:
            log.exception("work after ack failed in %s", getattr(work, "__name__", work))

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)


def acked(work: Work) -> Callable[..., None]:
    """A block_actions listener that acks, then runs `work(body, action, context, client)` in the pool."""

    def listener(ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
        ack()
        action = (body.get("actions") or [{}])[0]
        context["work"].submit(work, body=body, action=action, context=context, client=client)

    listener.__name__ = f"acked_{getattr(work, '__name__', 'work')}"
    return listener
