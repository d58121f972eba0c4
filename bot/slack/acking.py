"""Ack at once, work later: interactive listeners hand their work to a small bounded pool.

Slack gives an app 3 seconds to acknowledge. Acks are cheap; the work after them (database writes,
message updates) is not. Keeping the work in its own small pool means a burst of clicks cannot
starve the threads that answer Slack: updates may lag a moment, acks do not.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

log = logging.getLogger(__name__)

Work = Callable[..., None]  # work(body=..., action=..., context=..., client=...)


class _Counted(ThreadPoolExecutor):
    """A thread pool that knows how many of its tasks are queued or running.

    Each task runs in a copy of its submitter's context, so the request id (bot.logs.request_id)
    follows a request into its listener and its work, and onto every line they log.
    """

    def __init__(self, threads: int, name: str, busy: threading.Condition, counts: dict[str, int]):
        super().__init__(max_workers=threads, thread_name_prefix=name)
        self._busy, self._counts, self._name = busy, counts, name

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._busy:
            self._counts[self._name] += 1
        future = super().submit(contextvars.copy_context().run, fn, *args, **kwargs)
        future.add_done_callback(self._done)
        return future

    def _done(self, _: Future[Any]) -> None:
        with self._busy:
            self._counts[self._name] -= 1
            self._busy.notify_all()


class WorkPool:
    """The app's threads: Bolt's listeners (which only ack) and the post-ack work; failures are
    logged.

    A listener hands its work over before it returns, so once both pools are idle every request
    answered so far has been handled completely (what `wait_idle` tells tests).
    """

    def __init__(self, threads: int, *, listener_threads: int = 32):
        self._busy = threading.Condition()
        self._counts = {"upward-work": 0, "upward-listener": 0}
        self._pool = _Counted(threads, "upward-work", self._busy, self._counts)
        # Bolt's own executor for listeners; a listener acks within milliseconds, then returns.
        self.listeners = _Counted(listener_threads, "upward-listener", self._busy, self._counts)

    def submit(self, work: Work, **kwargs: Any) -> None:
        self._pool.submit(self._run, work, kwargs)

    def wait_idle(self, timeout: float) -> bool:
        """Block until no listener or work is queued or running; False if that took over `timeout`
        s."""
        with self._busy:
            return self._busy.wait_for(lambda: not any(self._counts.values()), timeout)

    @staticmethod
    def _run(work: Work, kwargs: dict[str, Any]) -> None:
        try:
            work(**kwargs)
        except Exception:
            log.exception("work after ack failed in %s", getattr(work, "__name__", work))

    def shutdown(self) -> None:
        self.listeners.shutdown(wait=True)
        self._pool.shutdown(wait=True)


def acked(work: Work) -> Callable[..., None]:
    """A block_actions listener that acks, then runs `work(body, action, context, client)` in the
    pool."""

    def listener(ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
        ack()
        action = (body.get("actions") or [{}])[0]
        context["work"].submit(work, body=body, action=action, context=context, client=client)

    listener.__name__ = f"acked_{getattr(work, '__name__', 'work')}"
    return listener
