"""Slack's per-method rate limits as token buckets, with an honest Retry-After.

A ``Limit(calls, per)`` bucket holds ``burst`` (default ``calls``) tokens and refills at
``calls / per`` tokens a second, so short bursts pass and the long-run rate is Slack's.
``time_scale`` shrinks every window so a test sees a minute's limit in a fraction of a second.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Limit:
    """``calls`` per ``per`` seconds, allowing a burst of ``burst`` (default: ``calls``)."""

    calls: int
    per: float
    burst: int | None = None


# Tier numbers per minute, as Slack documents them.
TIER_LIMITS = {1: 1, 2: 20, 3: 50, 4: 100}
METHOD_TIERS = {
    "conversations.create": 2,
    "conversations.archive": 2,
    "conversations.unarchive": 2,
    "conversations.setTopic": 2,
    "conversations.setPurpose": 2,
    "users.list": 2,
    "conversations.list": 2,
    "chat.update": 3,
    "chat.delete": 3,
    "chat.scheduleMessage": 3,
    "conversations.open": 3,
    "conversations.invite": 3,
    "conversations.kick": 3,
    "conversations.history": 3,
    "conversations.replies": 3,
    "conversations.members": 3,
    "conversations.info": 3,
    "users.lookupByEmail": 3,
    "team.info": 3,
    "files.completeUploadExternal": 3,
    "chat.postEphemeral": 4,
    "chat.getPermalink": 4,
    "users.info": 4,
    "views.open": 4,
    "views.update": 4,
    "views.push": 4,
    "views.publish": 4,
    "files.getUploadURLExternal": 4,
    "files.info": 4,
    "auth.test": 4,
}
DEFAULT_TIER = 3


@dataclass
class RateLimits:
    """Which limits apply; ``RateLimits.off()`` disables them all."""

    enabled: bool = True
    time_scale: float = 1.0
    per_method: dict[str, Limit] = field(default_factory=dict)
    # chat.postMessage: about one message a second per channel, short bursts tolerated...
    post_message_per_channel: Limit = Limit(calls=1, per=1.0, burst=3)
    # ...under a workspace ceiling Slack describes as "several hundred messages per minute".
    post_message_workspace: Limit = Limit(calls=300, per=60.0)

    @classmethod
    def off(cls) -> RateLimits:
        """No rate limiting at all."""
        return cls(enabled=False)

    def for_method(self, method: str) -> Limit:
        """The limit of a method other than chat.postMessage, overrides first."""
        if method in self.per_method:
            return self.per_method[method]
        return Limit(TIER_LIMITS[METHOD_TIERS.get(method, DEFAULT_TIER)], 60.0)


class _Bucket:
    def __init__(self, limit: Limit, scale: float, now: float) -> None:
        self.capacity = float(limit.burst or limit.calls)
        self.rate = limit.calls / (limit.per * scale)  # tokens per second
        self.tokens = self.capacity
        self.updated = now

    def wait(self, now: float) -> float:
        """Seconds until a token is free (0: one is free now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        # The epsilon absorbs float error: 3 s at 20/min must refill exactly one token.
        return 0.0 if self.tokens >= 1 - 1e-9 else (1 - self.tokens) / self.rate


class RateLimiter:
    """Decides per call whether Slack would answer 429, and after how long to retry."""

    def __init__(
        self, limits: RateLimits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or RateLimits()
        self._clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()

    def configure(self, limits: RateLimits | None = None, **changes: Any) -> RateLimits:
        """Replace the limits (or change some fields); buckets start full again."""
        with self._lock:
            self.limits = replace(limits or self.limits, **changes)
            self._buckets.clear()
            return self.limits

    def _bucket(self, key: tuple[str, str], limit: Limit, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(limit, self.limits.time_scale, now)
        return bucket

    def check(self, method: str, channel: str | None = None) -> int | None:
        """Take a token for this call; None if allowed, else Retry-After in whole seconds (>= 1)."""
        with self._lock:
            if not self.limits.enabled:
                return None
            now = self._clock()
            limits = self.limits
            if method == "chat.postMessage" and method not in limits.per_method:
                buckets = [
                    self._bucket((method, "*"), limits.post_message_workspace, now),
                    self._bucket((method, channel or ""), limits.post_message_per_channel, now),
                ]
            else:
                buckets = [self._bucket((method, "*"), self.limits.for_method(method), now)]
            wait = max(b.wait(now) for b in buckets)
            if wait > 0:
                # Retry-After is an integer header: round up so the retry is never early.
                return max(1, math.ceil(wait))
            for bucket in buckets:
                bucket.tokens -= 1
            return None

    def describe(self) -> dict[str, Any]:
        """JSON-ready view of the current settings."""
        limits = self.limits
        return {
            "enabled": limits.enabled,
            "time_scale": limits.time_scale,
            "per_method": {m: vars(limit) for m, limit in limits.per_method.items()},
            "post_message_per_channel": vars(limits.post_message_per_channel),
            "post_message_workspace": vars(limits.post_message_workspace),
        }


def limits_from_json(data: Mapping[str, Any], base: RateLimits | None = None) -> RateLimits:
    """RateLimits from JSON like ``{"enabled": true, "per_method": {"users.info": [3, 1]}}``."""

    def limit(value: Any) -> Limit:
        if isinstance(value, Mapping):
            return Limit(int(value["calls"]), float(value["per"]), value.get("burst"))
        calls, per, *burst = value
        return Limit(int(calls), float(per), int(burst[0]) if burst else None)

    result = replace(base or RateLimits())
    if "enabled" in data:
        result.enabled = bool(data["enabled"])
    if "time_scale" in data:
        result.time_scale = float(data["time_scale"])
    if "per_method" in data:
        result.per_method = {m: limit(v) for m, v in data["per_method"].items()}
    for key in ("post_message_per_channel", "post_message_workspace"):
        if key in data:
            setattr(result, key, limit(data[key]))
    return result
