"""What people see in a stand-in workspace, read back for tests: copies taken under its lock.

`ReadBack` is mixed into `Workspace`, which provides what is declared at the top of the class (the
state, its lock and condition, the clock and the workspace's identity). Every method here only
reads: it holds the lock while it looks and returns copies (or fresh API-shaped dicts), so a test
can keep what it got while the bot changes the workspace. `wait_until` blocks until the bot has
done something. Changes go through `Workspace.mutation()`, never through here.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from bot.sandbox.model import CallRecord, Channel, User
from bot.sandbox.seed import Seed
from bot.sandbox.state import State

T = TypeVar("T")

# Subtypes Slack posts by itself (joins, topic changes); read-back hides them unless asked.
SYSTEM_SUBTYPES = frozenset(
    {
        "channel_join",
        "channel_leave",
        "channel_topic",
        "channel_purpose",
        "channel_archive",
        "channel_unarchive",
    }
)


class ReadBack:
    """The read-back API of a workspace (``dm_messages``, ``ephemerals``, ``home_tab``, ...)."""

    seed: Seed
    state: State
    lock: threading.RLock
    _changed: threading.Condition  # the lock's condition, notified on every mutation
    clock: Callable[[], float]
    public_url: str
    team_id: str
    domain: str
    app_id: str
    bot_user_id: str
    bot_id: str

    if TYPE_CHECKING:

        def user(self, user_id: str | None) -> User: ...

        def find_channel_by_name(self, name: str) -> Channel | None: ...

    def user_info(self, user_id: str) -> dict[str, Any]:
        """The users.info object of a person."""
        with self.lock:
            return self.user(user_id).to_api(self.team_id, self.clock())

    def dm_channel_id(self, user_id: str) -> str | None:
        """The id of the bot's DM with a person, if it has been opened."""
        with self.lock:
            return self.state.dms.get(frozenset([self.bot_user_id, user_id]))

    def dm_messages(self, user_id: str) -> list[dict[str, Any]]:
        """Top-level messages in the bot's DM with a person, oldest first."""
        channel_id = self.dm_channel_id(user_id)
        return self.channel_messages(channel_id) if channel_id else []

    def channel_messages(self, channel_id: str, *, system: bool = False) -> list[dict[str, Any]]:
        """Top-level messages of a conversation, oldest first (``system`` adds joins etc.)."""
        with self.lock:
            channel = self.state.channels[channel_id]
            return copy.deepcopy(
                [
                    m
                    for m in channel.top_level()
                    if system or m.get("subtype") not in SYSTEM_SUBTYPES
                ]
            )

    def message(self, channel_id: str, ts: str) -> dict[str, Any] | None:
        """One message by channel and ts."""
        with self.lock:
            found = self.state.channels[channel_id].by_ts.get(ts)
            return copy.deepcopy(found)

    def thread_replies(self, channel_id: str, ts: str) -> list[dict[str, Any]]:
        """The replies (without the parent) of a thread, oldest first."""
        with self.lock:
            return copy.deepcopy(self.state.channels[channel_id].thread(ts)[1:])

    def ephemerals(self, user_id: str, channel_id: str | None = None) -> list[dict[str, Any]]:
        """Ephemeral messages only this person sees, oldest first."""
        with self.lock:
            return copy.deepcopy(
                [
                    e
                    for e in self.state.ephemerals
                    if e["user"] == user_id and channel_id in (None, e["channel"])
                ]
            )

    def home_tab(self, user_id: str) -> dict[str, Any] | None:
        """The App Home view last published for a person."""
        with self.lock:
            view_id = self.state.home_views.get(user_id)
            return copy.deepcopy(self.state.views[view_id]) if view_id else None

    def open_views(self, user_id: str) -> list[dict[str, Any]]:
        """The person's open modal stack, bottom first (the last one is on screen)."""
        with self.lock:
            stack = self.state.modal_stacks.get(user_id, [])
            return copy.deepcopy([self.state.views[v] for v in stack])

    def view_errors(self, view_id: str) -> dict[str, str]:
        """Field errors the app answered to the last submission of a modal."""
        with self.lock:
            return dict(self.state.view_errors.get(view_id, {}))

    def channel_info(self, channel_id: str) -> dict[str, Any]:
        """A conversation as the bot sees it, plus its ``members``."""
        with self.lock:
            channel = self.state.channels[channel_id]
            shown = channel.to_api(self.bot_user_id, num_members=True)
            return {**shown, "members": list(channel.members)}

    def channel_by_name(self, name: str) -> dict[str, Any] | None:
        """``channel_info`` of the channel with that name, if any."""
        with self.lock:
            found = self.find_channel_by_name(name)
            return self.channel_info(found.id) if found else None

    @property
    def calls(self) -> list[CallRecord]:
        """Every Web API call received so far, in order."""
        with self.lock:
            return list(self.state.calls)

    def calls_to(self, method: str) -> list[CallRecord]:
        """The calls of one method."""
        return [c for c in self.calls if c.method == method]

    @property
    def responses(self) -> list[dict[str, Any]]:
        """Every post the app made to a response_url, with where it landed."""
        with self.lock:
            return copy.deepcopy(self.state.responses)

    def files(self) -> list[dict[str, Any]]:
        """Files uploaded so far (shared or not)."""
        with self.lock:
            return [f.to_api(self.public_url) for f in self.state.files.values()]

    def file_content(self, file_id: str) -> bytes | None:
        """The uploaded bytes of a file."""
        with self.lock:
            record = self.state.files.get(file_id)
            return record.data if record else None

    def wait_until(self, predicate: Callable[[], T | None], timeout: float = 5.0) -> T:
        """Block until ``predicate()`` is truthy (re-checked on every change); return its value."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                result = predicate()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"sandbox state did not satisfy the condition in {timeout}s")
                self._changed.wait(remaining)

    def snapshot(self) -> dict[str, Any]:
        """The whole state as JSON-ready data (for GET /sandbox/state)."""
        with self.lock:
            now = self.clock()
            state = self.state
            return copy.deepcopy(
                {
                    "team": {
                        "id": self.team_id,
                        "name": self.seed.team_name,
                        "domain": self.domain,
                    },
                    "bot": {
                        "user_id": self.bot_user_id,
                        "bot_id": self.bot_id,
                        "app_id": self.app_id,
                    },
                    "users": [u.to_api(self.team_id, now) for u in state.users.values()],
                    "channels": [
                        {
                            **c.to_api(self.bot_user_id, num_members=True),
                            "members": c.members,
                            "messages": c.messages,
                        }
                        for c in state.channels.values()
                    ],
                    "ephemerals": state.ephemerals,
                    "views": state.views,
                    "modal_stacks": state.modal_stacks,
                    "home_views": state.home_views,
                    "files": [f.to_api(self.public_url) for f in state.files.values()],
                    "responses": state.responses,
                    "call_count": len(state.calls),
                }
            )
