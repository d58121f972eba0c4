"""The stand-in's workspace: thread-safe state, the rules methods share, and a read-back API.

Methods mutate ``ws.state`` inside ``with ws.mutation():``; tests read what a person sees through
the read-back methods (``dm_messages``, ``ephemerals``, ``home_tab``, ...), which return copies.
The records it holds (``State`` and the one-use grants) are ``bot/sandbox/state.py``'s, the
read-back methods ``bot/sandbox/readback.py``'s.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.sandbox.errors import SlackError
from bot.sandbox.model import Channel, IdFactory, TsFactory, User
from bot.sandbox.readback import ReadBack
from bot.sandbox.seed import Seed, load_seed
from bot.sandbox.state import State


class Workspace(ReadBack):
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

    # -- people, changed at run time -------------------------------------------------------
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
