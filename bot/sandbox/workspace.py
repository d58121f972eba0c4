"""The stand-in's workspace: thread-safe state, the rules methods share, and a read-back API.

The records it holds (``State`` and the one-use grants) are ``bot/sandbox/state.py``'s.

Methods mutate ``ws.state`` inside ``with ws.mutation():``; tests read what a person sees through
the read-back methods (``dm_messages``, ``ephemerals``, ``home_tab``, ...), which return copies.
"""

from __future__ import annotations

import copy
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from bot.sandbox.errors import SlackError
from bot.sandbox.model import CallRecord, Channel, IdFactory, TsFactory, User
from bot.sandbox.seed import Seed, load_seed
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


class Workspace:
    """One Slack workspace with one installed bot, seeded from a file or a dict."""

    def __init__(
        self,
        seed: Seed,
        *,
        id_seed: int = 0,
        trigger_ttl: float = 3.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.seed = seed
        self.trigger_ttl = trigger_ttl  # Slack's trigger_ids expire after 3 seconds
        self.clock = clock
        self.public_url = "http://127.0.0.1"  # the server sets its real address on start
        self.lock = threading.RLock()
        self._changed = threading.Condition(self.lock)
        self.ids_seed = id_seed
        self.ids = IdFactory(id_seed)
        self.rng = random.Random(id_seed + 1)  # generated block_ids, view hashes
        self._ts = TsFactory()
        users = {seed.bot.id: seed.bot, **{u.id: u for u in seed.users}}
        for uid in users:
            self.ids.reserve(uid)
        self.state = State(users=users)
        for raw in seed.channels:
            self._seed_channel(raw)

    @classmethod
    def from_seed(
        cls, source: Mapping[str, Any] | str | Path | None = None, **kwargs: Any
    ) -> Workspace:
        """A workspace from a seed mapping or file (None: the demo workspace)."""
        return cls(load_seed(source), **kwargs)

    def _seed_channel(self, raw: Mapping[str, Any]) -> None:
        humans = [u.id for u in self.seed.users if not u.deleted]
        members = humans if raw.get("members") == "all" else list(raw.get("members", []))
        now = int(self.clock())
        channel = Channel(
            id=raw["id"],
            name=raw["name"],
            created=now,
            creator=raw.get("creator", self.bot_user_id),
            members=members,
            is_private=bool(raw.get("is_private")),
            is_general=bool(raw.get("is_general")),
            is_archived=bool(raw.get("is_archived")),
        )
        channel.topic.update(value=raw.get("topic", ""), creator=channel.creator, last_set=now)
        channel.purpose.update(value=raw.get("purpose", ""), creator=channel.creator, last_set=now)
        self.ids.reserve(channel.id)
        self.state.channels[channel.id] = channel

    # -- identity ---------------------------------------------------------------------------
    @property
    def team_id(self) -> str:
        return self.seed.team_id

    @property
    def domain(self) -> str:
        return self.seed.domain

    @property
    def app_id(self) -> str:
        return self.seed.app_id

    @property
    def signing_secret(self) -> str:
        return self.seed.signing_secret

    @property
    def bot_user_id(self) -> str:
        return self.seed.bot.id

    @property
    def bot_id(self) -> str:
        return self.seed.bot.bot_id or ""

    @property
    def bot_token(self) -> str:
        return self.seed.tokens[0]

    @property
    def client_id(self) -> str:
        return self.seed.client_id

    @property
    def client_secret(self) -> str:
        return self.seed.client_secret

    def owns_token(self, token: str | None) -> bool:
        """Whether a token was ever this workspace's (seeded, issued by an install, or revoked)."""
        return bool(token) and (
            token in self.seed.tokens
            or token in self.state.issued_tokens
            or token in self.state.revoked_tokens
        )

    def token_error(self, token: str | None) -> str | None:
        """The auth error a token earns (not_authed, invalid_auth, token_revoked) or None."""
        if not token:
            return "not_authed"
        if token in self.state.revoked_tokens:
            return "token_revoked"
        return (
            None
            if token in self.seed.tokens or token in self.state.issued_tokens
            else "invalid_auth"
        )

    def revoke_token(self, token: str) -> None:
        """Make a token answer ``token_revoked`` from now on (app uninstalled)."""
        with self.mutation():
            self.state.revoked_tokens.add(token)

    # -- shared machinery -------------------------------------------------------------------
    @contextmanager
    def mutation(self) -> Iterator[State]:
        """Hold the lock while changing state, then wake ``wait_until`` callers."""
        with self._changed:
            try:
                yield self.state
            finally:
                self._changed.notify_all()

    def now(self) -> float:
        return self.clock()

    def new_ts(self) -> str:
        return self._ts.next(self.clock())

    def user(self, user_id: str | None) -> User:
        """The user, or Slack's ``user_not_found``."""
        found = self.state.users.get(user_id or "")
        if found is None:
            raise SlackError("user_not_found")
        return found

    def channel(self, channel_id: str | None) -> Channel:
        """A conversation the bot can see, or ``channel_not_found`` (private ones hide)."""
        found = self.state.channels.get(channel_id or "")
        if found is None or (
            (found.is_private or found.is_im or found.is_mpim)
            and (self.bot_user_id not in found.members)
        ):
            raise SlackError("channel_not_found")
        return found

    def find_channel_by_name(self, name: str) -> Channel | None:
        """A public or private channel by name (archived ones included)."""
        name = name.lstrip("#")
        channels = self.state.channels.values()
        return next((c for c in channels if c.name == name and not c.is_im), None)

    def open_dm(self, user_ids: list[str]) -> tuple[Channel, bool]:
        """The bot's DM (one person) or group DM (several), opened if needed; (channel, existed)."""
        key = frozenset([self.bot_user_id, *user_ids])
        existing = self.state.dms.get(key)
        if existing:
            return self.state.channels[existing], True
        now = int(self.clock())
        if len(user_ids) == 1:
            channel = Channel(
                id=self.ids.new("D"),
                name=user_ids[0],
                created=now,
                creator=self.bot_user_id,
                is_im=True,
                user=user_ids[0],
                members=[user_ids[0], self.bot_user_id],
            )
        else:
            names = "--".join(self.state.users[u].name for u in [*user_ids, self.bot_user_id])
            channel = Channel(
                id=self.ids.new("C"),
                name=f"mpdm-{names}-1",
                created=now,
                creator=self.bot_user_id,
                is_mpim=True,
                is_private=True,
                members=[*user_ids, self.bot_user_id],
            )
        self.state.channels[channel.id] = channel
        self.state.dms[key] = channel.id
        return channel, False

    def bot_message(self, **fields: Any) -> dict[str, Any]:
        """A message as the bot posts it, with a fresh ts; None fields are left out."""
        message = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "ts": self.new_ts(),
            "bot_profile": {
                "id": self.bot_id,
                "app_id": self.app_id,
                "name": self.seed.bot.name,
                "deleted": False,
                "team_id": self.team_id,
            },
        }
        message.update({k: v for k, v in fields.items() if v is not None})
        return message

    def user_message(self, user_id: str, text: str, **fields: Any) -> dict[str, Any]:
        """A message as a person types it."""
        message = {
            "type": "message",
            "user": user_id,
            "text": text,
            "team": self.team_id,
            "ts": self.new_ts(),
        }
        message.update({k: v for k, v in fields.items() if v is not None})
        return message

    def post(self, channel: Channel, message: dict[str, Any]) -> dict[str, Any]:
        """Store a message; a reply also updates its parent's thread summary as Slack does."""
        thread_ts = message.get("thread_ts")
        if thread_ts and thread_ts != message["ts"]:
            parent = channel.by_ts[thread_ts]
            parent["thread_ts"] = thread_ts
            parent["reply_count"] = parent.get("reply_count", 0) + 1
            reply_users = parent.setdefault("reply_users", [])
            if message["user"] not in reply_users:
                reply_users.append(message["user"])
            parent["reply_users_count"] = len(reply_users)
            parent["latest_reply"] = message["ts"]
            message["parent_user_id"] = parent.get("user")
        channel.add(message)
        return message

    def system_message(self, channel: Channel, subtype: str, user: str, text: str) -> None:
        """A message Slack posts itself when someone joins, leaves or edits a channel."""
        self.post(channel, self.user_message(user, text, subtype=subtype))

    # -- read-back API for tests --------------------------------------------------------------
    def user_info(self, user_id: str) -> dict[str, Any]:
        """The users.info object of a person."""
        with self.lock:
            return self.user(user_id).to_api(self.team_id, self.clock())

    def add_user(self, **fields: Any) -> dict[str, Any]:
        """Add a person at run time (``id`` optional); returns their users.info object."""
        with self.mutation():
            user = User(id=fields.pop("id", None) or self.ids.new("U"), **fields)
            self.state.users[user.id] = user
            return user.to_api(self.team_id, self.clock())

    def deactivate_user(self, user_id: str) -> None:
        """Mark a person deleted (deactivated), as an admin would."""
        with self.mutation():
            self.user(user_id).deleted = True

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
