"""Ack at once, work later: interactive listeners hand their work to a small bounded pool.

Slack gives an app 3 seconds to acknowledge. Acks are cheap; the work after them (database writes,
message updates) is not. Keeping the work in its own small pool means a burst of clicks cannot
starve the threads that answer Slack: updates may lag a moment, acks do not.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.db import session_scope
from bot.errors import SOMETHING_WENT_WRONG, InvalidInput, UpwardError
from bot.slack import inbox, replies

log = logging.getLogger(__name__)

Work = Callable[..., None]  # what a listener hands the pool after its ack


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


@dataclass(frozen=True)
class Caller:
    """Who made a request, and where: read from the request Slack signed, never from a value."""

    user_id: str
    channel_id: str | None = None
    team_id: str | None = None

    @classmethod
    def of(cls, body: dict) -> Caller:
        channel = replies.text_at(body, "channel_id") or replies.text_at(body, "channel", "id")
        team = replies.text_at(body, "team_id") or replies.text_at(body, "team", "id")
        return cls(replies.user_of(body), channel, team)


P = TypeVar("P")
# An action: the rules of one request, over the request's own session; it raises an UpwardError to
# refuse (nothing it wrote is kept) and returns the Reply to carry out after the commit.
Act = Callable[[Session, Caller, P, dt.datetime], replies.Reply]
# Reads what an action needs out of a request's body; raises InvalidInput when it cannot.
Parse = Callable[[dict], P]


def perform(
    act: Act[P],
    parse: Parse[P],
    *,
    body: dict,
    context: dict,
    client: WebClient,
    request_id: int | None = None,
) -> None:
    """Parse a request, do its action and write its answer in one transaction, then carry out the
    Reply.

    `request_id` is the request's inbox row: marked done first thing in that transaction, so the
    request is done once even when a second process reaches it. A refusal or invalid input becomes
    one private reply with its text; anything unexpected is logged and the person hears that
    nothing was recorded (the action's transaction rolled back).
    """
    now, sessions = context["clock"](), context["sessions"]
    try:
        parsed = parse(body)
        with session_scope(sessions) as session:
            if request_id is not None and not inbox.finish(session, request_id, now=now):
                return  # another process did this request
            reply = act(session, Caller.of(body), parsed, now)
            answer = replies.queue(session, context, body, reply)
    except UpwardError as exc:
        reply = replies.Reply(text=exc.text)
    except Exception:
        log.exception("%s failed after its ack", getattr(act, "__name__", act))
        reply = replies.Reply(text=SOMETHING_WENT_WRONG)
    else:
        replies.carry_out(context, client, body, reply, answer)
        return
    with session_scope(sessions) as session:  # the answer to a request that changed nothing
        if request_id is not None and not inbox.finish(session, request_id, now=now):
            return
        answer = replies.queue(session, context, body, reply)
    replies.carry_out(context, client, body, reply, answer)


def _received(body: dict, context: BoltContext) -> int | None:
    """Write the request to the inbox before its ack (a request the worker replays is there
    already); None when it was received before, so this copy must do nothing."""
    if "inbox_id" in context:
        return context["inbox_id"]
    return inbox.receive(
        context["sessions"],
        body,
        now=context["clock"](),
        worker_id=replies.web_worker_id(),
        lease=context.get("inbox_lease", inbox.LEASE),
    )


def on_click(act: Act[P], parse: Parse[P], *, at_once: bool = False) -> Callable[..., None]:
    """A block_actions (or slash command) listener: written to the inbox, acked, then `perform`ed
    in the work pool.

    `at_once` performs in the listener's own thread right after the ack instead, for a reply that
    cannot wait in the pool's queue (a modal, which must use the click's trigger_id in 3 s). A
    request the worker replays from the inbox is performed at once too.
    """

    def listener(ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
        work = {"act": act, "parse": parse, "body": body, "context": context, "client": client}
        if "inbox_id" in context:  # the worker replays it: done before the (empty) ack returns
            perform(**work, request_id=context["inbox_id"])
            ack()
            return
        request_id = _received(body, context)
        ack()
        if request_id is None:
            return
        if at_once:
            perform(**work, request_id=request_id)
        else:
            context["work"].submit(perform, **work, request_id=request_id)

    listener.__name__ = f"on_{getattr(act, '__name__', 'action')}"
    return listener


def on_submit(act: Act[P], parse: Parse[P]) -> Callable[..., None]:
    """A view_submission listener: input the parser cannot read is shown under its field in the
    still-open modal (the ack's `errors`); otherwise the request is written to the inbox, acked
    (which closes the modal) and `perform`ed."""

    def listener(ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
        try:
            parsed = parse(body)
        except InvalidInput as exc:
            if exc.field:
                ack(response_action="errors", errors={exc.field: exc.text})
                return
            # (A replayed submission was read once already, so it never fails to parse here.)
            ack()
            replies.deliver(context, client, body, replies.Reply(exc.text))
            return
        replaying = "inbox_id" in context  # then done before the (empty) ack returns
        request_id = _received(body, context)
        if not replaying:
            ack()
        if request_id is not None:
            perform(
                act,
                lambda _: parsed,
                body=body,
                context=context,
                client=client,
                request_id=request_id,
            )
        if replaying:
            ack()

    listener.__name__ = f"on_{getattr(act, '__name__', 'submission')}"
    return listener


def clicked_value(body: dict, field: str = "value") -> str:
    """A text field of the clicked action (its value, a picked date...); "" when it has none."""
    return replies.text_at(clicked(body), field) or ""


def clicked(body: dict) -> dict:
    """The action a block_actions request carries (the first; Slack sends one)."""
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else None
    return first if isinstance(first, dict) else {}
