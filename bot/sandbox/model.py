"""Plain records of the stand-in's workspace: users, conversations, files, logged calls.

Each record renders itself in the Web API's wire shape (``to_api``) so methods stay short.
"""

from __future__ import annotations

import random
import string
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

# Slack shows long zone names; zoneinfo only knows abbreviations, so translate the common ones.
_TZ_LABELS = {
    "PST": "Pacific Standard Time",
    "PDT": "Pacific Daylight Time",
    "MST": "Mountain Standard Time",
    "MDT": "Mountain Daylight Time",
    "CST": "Central Standard Time",
    "CDT": "Central Daylight Time",
    "EST": "Eastern Standard Time",
    "EDT": "Eastern Daylight Time",
    "AKST": "Alaska Standard Time",
    "AKDT": "Alaska Daylight Time",
    "HST": "Hawaii-Aleutian Standard Time",
    "GMT": "Greenwich Mean Time",
    "BST": "British Summer Time",
    "UTC": "Coordinated Universal Time",
    "WET": "Western European Time",
    "WEST": "Western European Summer Time",
    "CET": "Central European Time",
    "CEST": "Central European Summer Time",
    "EET": "Eastern European Time",
    "EEST": "Eastern European Summer Time",
    "JST": "Japan Standard Time",
    "KST": "Korea Standard Time",
    "AEST": "Australian Eastern Standard Time",
    "AEDT": "Australian Eastern Daylight Time",
    "NZST": "New Zealand Standard Time",
    "NZDT": "New Zealand Daylight Time",
}
# "IST" means three different zones.
_IST_LABELS = {
    "Asia/Kolkata": "India Standard Time",
    "Asia/Calcutta": "India Standard Time",
    "Europe/Dublin": "Irish Standard Time",
    "Asia/Jerusalem": "Israel Standard Time",
}

_ID_ALPHABET = string.digits + "ABCDEFGHJKLMNPQRSTUVWXYZ"


def tz_fields(tz: str, now: float) -> tuple[str, int]:
    """(tz_label, tz_offset in seconds) of an IANA zone at the instant ``now``."""
    local = datetime.fromtimestamp(now, UTC).astimezone(ZoneInfo(tz))
    offset = local.utcoffset()
    seconds = int(offset.total_seconds()) if offset is not None else 0
    abbreviation = local.tzname() or ""
    if abbreviation == "IST" and tz in _IST_LABELS:
        return _IST_LABELS[tz], seconds
    if abbreviation in _TZ_LABELS:
        return _TZ_LABELS[abbreviation], seconds
    sign = "+" if seconds >= 0 else "-"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"GMT{sign}{hours:02d}:{minutes:02d}", seconds


class IdFactory:
    """Slack-looking ids (``C07AB12CD3``): seeded so a run is reproducible, never repeated."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(seed)
        self._used: set[str] = set()

    def reserve(self, existing: str) -> None:
        """Mark an id from the seed as taken."""
        self._used.add(existing)

    def new(self, prefix: str, length: int = 10) -> str:
        """A fresh id with the given one-letter prefix."""
        while True:
            candidate = prefix + "".join(self._rng.choices(_ID_ALPHABET, k=length))
            if candidate not in self._used:
                self._used.add(candidate)
                return candidate

    def token(self, length: int = 24) -> str:
        """A random lowercase token (hashes, trigger and response-url secrets)."""
        return "".join(self._rng.choices(string.ascii_lowercase + string.digits, k=length))


class TsFactory:
    """Message timestamps: ``"1732460000.000100"``, unique and strictly increasing like Slack's."""

    def __init__(self) -> None:
        self._last_us = 0

    def next(self, now: float) -> str:
        """The next ts at or after ``now``."""
        us = max(int(now * 1_000_000), self._last_us + 1)
        self._last_us = us
        return f"{us // 1_000_000}.{us % 1_000_000:06d}"


@dataclass
class User:
    """A workspace member (or the bot's own user)."""

    id: str
    name: str
    real_name: str
    email: str = ""
    tz: str = "UTC"
    title: str = ""
    display_name: str = ""
    deleted: bool = False
    is_admin: bool = False
    is_bot: bool = False
    bot_id: str | None = None
    app_id: str | None = None

    def to_api(self, team_id: str, now: float) -> dict[str, Any]:
        """The users.info ``user`` object, tz_label and tz_offset computed for ``now``."""
        tz_label, tz_offset = tz_fields(self.tz, now)
        first, _, last = self.real_name.partition(" ")
        profile: dict[str, Any] = {
            "title": self.title,
            "phone": "",
            "skype": "",
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.display_name,
            "display_name_normalized": self.display_name,
            "first_name": first,
            "last_name": last,
            "status_text": "",
            "status_emoji": "",
            "team": team_id,
            "image_48": f"https://avatars.example.invalid/{self.id}_48.png",
        }
        if self.email:
            profile["email"] = self.email
        if self.is_bot:
            profile.update(bot_id=self.bot_id, api_app_id=self.app_id, always_active=True)
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": tz_label,
            "tz_offset": tz_offset,
            "profile": profile,
            "is_admin": self.is_admin,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": int(now),
            "is_email_confirmed": bool(self.email),
        }


def _text_setting(value: str = "", creator: str = "", last_set: int = 0) -> dict[str, Any]:
    return {"value": value, "creator": creator, "last_set": last_set}


@dataclass
class Channel:
    """A conversation: public or private channel, DM (``is_im``) or group DM (``is_mpim``)."""

    id: str
    name: str
    created: int
    creator: str
    is_private: bool = False
    is_im: bool = False
    is_mpim: bool = False
    is_general: bool = False
    is_archived: bool = False
    user: str | None = None  # the person on the other side of a DM
    members: list[str] = field(default_factory=list)
    topic: dict[str, Any] = field(default_factory=_text_setting)
    purpose: dict[str, Any] = field(default_factory=_text_setting)
    # Every message, thread replies included, in ts order; the index finds one by ts.
    messages: list[dict[str, Any]] = field(default_factory=list)
    by_ts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, message: dict[str, Any]) -> None:
        """Append a message (its ts is the newest in the workspace)."""
        self.messages.append(message)
        self.by_ts[message["ts"]] = message

    def remove(self, ts: str) -> None:
        """Delete one message."""
        message = self.by_ts.pop(ts)
        self.messages.remove(message)

    def top_level(self) -> list[dict[str, Any]]:
        """What conversations.history lists: no thread replies except broadcasts, oldest first."""
        return [
            m
            for m in self.messages
            if m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast"
        ]

    def thread(self, thread_ts: str) -> list[dict[str, Any]]:
        """A thread's parent and replies, oldest first."""
        return [m for m in self.messages if m["ts"] == thread_ts or m.get("thread_ts") == thread_ts]

    def to_api(self, viewer: str, *, num_members: bool = False) -> dict[str, Any]:
        """The conversations.info ``channel`` object as ``viewer`` sees it."""
        if self.is_im:
            return {
                "id": self.id,
                "created": self.created,
                "is_im": True,
                "is_org_shared": False,
                "user": self.user,
                "is_user_deleted": False,
                "priority": 0,
                "is_archived": False,
            }
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "is_channel": not (self.is_private or self.is_mpim),
            "is_group": self.is_private and not self.is_mpim,
            "is_im": False,
            "is_mpim": self.is_mpim,
            "is_private": self.is_private or self.is_mpim,
            "created": self.created,
            "is_archived": self.is_archived,
            "is_general": self.is_general,
            "unlinked": 0,
            "name_normalized": self.name,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "pending_shared": [],
            "is_pending_ext_shared": False,
            "is_member": viewer in self.members,
            "creator": self.creator,
            "topic": dict(self.topic),
            "purpose": dict(self.purpose),
            "previous_names": [],
        }
        if num_members:
            body["num_members"] = len(self.members)
        return body


@dataclass
class FileRecord:
    """A file announced by files.getUploadURLExternal; ``data`` is None until its bytes arrive."""

    id: str
    name: str
    length: int
    user: str
    created: int
    upload_url: str
    title: str = ""
    mimetype: str = "application/octet-stream"
    data: bytes | None = None
    completed: bool = False
    channels: list[str] = field(default_factory=list)
    shares: dict[str, list[str]] = field(default_factory=dict)  # channel -> message ts list

    def to_api(self, base_url: str) -> dict[str, Any]:
        """The ``file`` object of files.info / files.completeUploadExternal."""
        filetype = self.name.rsplit(".", 1)[-1].lower() if "." in self.name else "binary"
        return {
            "id": self.id,
            "created": self.created,
            "timestamp": self.created,
            "name": self.name,
            "title": self.title or self.name,
            "mimetype": self.mimetype,
            "filetype": filetype,
            "user": self.user,
            "size": len(self.data) if self.data is not None else self.length,
            "mode": "hosted",
            "is_external": False,
            "is_public": bool(self.channels),
            "url_private": f"{base_url}/sandbox/files/{self.id}/{self.name}",
            "permalink": f"{base_url}/sandbox/files/{self.id}/{self.name}",
            "channels": list(self.channels),
            "shares": {"public": {c: [{"ts": ts} for ts in tss] for c, tss in self.shares.items()}},
        }


@dataclass(frozen=True)
class CallRecord:
    """One Web API call as the stand-in received and answered it."""

    method: str
    args: dict[str, Any]
    status: int
    ok: bool
    error: str | None
    at: float
    fault: str | None = None  # which injected fault, if any, shaped the answer
    team: str | None = None  # the team the call's token (or OAuth code) belongs to
    token_tail: str | None = None  # the last 8 characters of the token it carried (which install)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for /sandbox/calls."""
        return asdict(self)
