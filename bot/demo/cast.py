"""The machinery of a simulated pilot: simulated time, people who notice messages and react later.

An `Actor` watches their DM with Upward and their circle channels in the Slack stand-in and, after
a delay that suits their `Timing`, acts on what they see through real signed requests: clicks on
the posted buttons, a date picked in a date picker, a modal submitted, `/circle` commands. The
`Cast` runs everyone's reactions in time order between two ticks. The people themselves (what an
executive, a mentor or a lead does) are in `bot.demo.roles`; `upward demo` and the end-to-end
digest test cast their pilots with them.
"""

from __future__ import annotations

import copy
import datetime as dt
import heapq
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.content.loader import Catalog
from bot.sandbox import SimulatedUser, SlackStandIn, payloads


class SimulationError(RuntimeError):
    """The app did not answer a simulated person as Slack would need (a bug, not a habit)."""


class SimClock:
    """Simulated time, shared by Upward's listeners (a datetime) and the stand-in (epoch
    seconds)."""

    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, now: dt.datetime) -> None:
        self.now = now

    def epoch(self) -> float:
        return self.now.timestamp()


class World(Protocol):
    """Where the cast acts: the stand-in, the app's clock, and a way to wait for the app."""

    slack: SlackStandIn
    catalog: Catalog
    clock: SimClock

    def session(self) -> Session: ...

    def person(self, user_id: str) -> SimulatedUser: ...

    def settle(self) -> None:
        """Wait until the app has finished everything it was asked so far (listeners run after the
        ack)."""


@dataclass(frozen=True)
class Timing:
    """When someone gets round to a message: some minutes after it arrives, in their office
    hours."""

    minutes: tuple[int, int] = (0, 0)  # a delay drawn from this range
    office_hours: tuple[int, int] | None = (
        None  # (from, to) local hours on weekdays; None: any time
    )

    def reply_at(self, arrived: dt.datetime, tz: str, rng: random.Random) -> dt.datetime:
        """The instant they act on something that arrived at `arrived`."""
        at = (
            arrived + dt.timedelta(minutes=rng.randint(*self.minutes))
            if self.minutes[1]
            else arrived
        )
        if self.office_hours is None:
            return at
        start, end = self.office_hours
        local = at.astimezone(ZoneInfo(tz))
        while local.weekday() >= 5 or not start <= local.hour < end:
            if local.hour >= end or local.weekday() >= 5:
                local = (local + dt.timedelta(days=1)).replace(hour=start, minute=0)
            else:
                local = local.replace(hour=start, minute=0)
            local += dt.timedelta(minutes=rng.randint(5, 50))
        return local.astimezone(dt.UTC)


@dataclass
class Activity:
    """Something a simulated person did, for the transcript: when, who, where and what."""

    at: dt.datetime
    user_id: str
    channel_id: str
    text: str
    view: dict[str, Any] | None = None  # the modal they filled in, as they left it


@dataclass(order=True)
class _Reaction:
    due: dt.datetime
    order: int
    act: Callable[[], None] = field(compare=False)


class Actor:
    """One person: notices new messages from Upward, then reacts to each when their timing says."""

    def __init__(self, cast: Cast, user_id: str, timing: Timing):
        self.cast, self.user_id, self.timing = cast, user_id, timing
        self.person = cast.world.person(user_id)
        cast.actors.append(self)
        self.tz = cast.ws.user(user_id).tz
        self._read: dict[str, str] = {}  # channel -> newest ts already noticed

    # -- seeing ---------------------------------------------------------------------------------
    def new_messages(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(channel, message) for each top-level message from Upward they have not noticed yet."""
        ws = self.cast.ws
        fresh: list[tuple[str, dict[str, Any]]] = []
        with ws.lock:
            for channel in ws.state.channels.values():
                mine = (
                    channel.user == self.user_id
                    if channel.is_im
                    else (self.user_id in channel.members and channel.name.startswith("circle-"))
                )
                if not mine or not channel.messages:
                    continue
                last = self._read.get(channel.id, "")
                newest = channel.messages[-1]["ts"]
                if newest <= last:
                    continue
                self._read[channel.id] = newest
                fresh += [
                    (channel.id, copy.deepcopy(m))
                    for m in channel.messages
                    if m["ts"] > last
                    and m.get("user") == ws.bot_user_id
                    and m.get("thread_ts") in (None, m["ts"])
                ]
        return iter(fresh)

    def notice(self, now: dt.datetime) -> None:
        for channel_id, message in self.new_messages():
            react = self.reaction(channel_id, message)
            if react is not None:
                self.cast.schedule(self.timing.reply_at(now, self.tz, self.cast.rng), react)

    def reaction(self, channel_id: str, message: dict[str, Any]) -> Callable[[], None] | None:
        """What they will do about a message (None: nothing)."""
        return None

    # -- acting ---------------------------------------------------------------------------------
    def current(self, channel_id: str, ts: str) -> dict[str, Any]:
        found = self.cast.ws.message(channel_id, ts)
        if found is None:
            raise SimulationError(f"message {ts} disappeared from {channel_id}")
        return found

    def click(self, channel_id: str, ts: str, *, note: str | None = None, **find: str) -> None:
        """Click the element matching `find` (text=, value=, action_id=) in a message, then wait for
        the app."""
        message = self.current(channel_id, ts)
        response = self.person.click(message, channel_id=channel_id, **find)
        self._after(response.status, f"clicked {find}", channel_id, note or _click_note(find))

    def use(
        self,
        channel_id: str,
        ts: str,
        block: dict[str, Any],
        element: dict[str, Any],
        *,
        picked: Any = None,
        note: str,
    ) -> None:
        """Act on one element of a block (a button in a given row, or a date picked in a date
        picker)."""
        message = self.current(channel_id, ts)
        ws = self.cast.ws
        with ws.lock:
            action = payloads.action_entry(block, element, picked=picked)
            payload = payloads.block_actions(
                ws, user_id=self.user_id, action=action, message=message, channel_id=channel_id
            )
        response = self.person.sender.send_interaction(payload)
        self._after(response.status, f"used {element.get('action_id')}", channel_id, note)

    def command(self, channel_id: str, text: str) -> None:
        """Run `/circle TEXT` in a channel."""
        response = self.person.command("/circle", text, channel_id=channel_id)
        verb, _, rest = text.partition(" ")
        self._after(
            response.status, f"/circle {text}", channel_id, f"ran `/circle {verb}` {rest}".rstrip()
        )

    def _after(
        self, status: int, what: str, channel_id: str, note: str, view: dict[str, Any] | None = None
    ) -> None:
        if status != 200:
            raise SimulationError(f"{self.user_id} {what}: the app answered HTTP {status}")
        self.cast.record(self.user_id, channel_id, note, view)
        self.cast.world.settle()


def _click_note(find: dict[str, str]) -> str:
    label = find.get("text") or find.get("value", "").rsplit("|", 1)[-1]
    return f"clicked “{label}”"


class Cast:
    """Everyone in the pilot; `act_until` lets them react, in time order, up to an instant."""

    def __init__(self, world: World, *, seed: int = 0):
        self.world = world
        self.ws = world.slack.workspace
        self.rng = random.Random(seed)
        self.actors: list[Actor] = []
        self.journal: list[Activity] = []
        self._queue: list[_Reaction] = []
        self._order = 0

    def schedule(self, due: dt.datetime, act: Callable[[], None]) -> None:
        self._order += 1
        heapq.heappush(self._queue, _Reaction(due, self._order, act))

    def record(
        self, user_id: str, channel_id: str, text: str, view: dict[str, Any] | None = None
    ) -> None:
        self.journal.append(Activity(self.world.clock.now, user_id, channel_id, text, view))

    def act_until(self, until: dt.datetime) -> int:
        """Everyone notices what is new, then each reaction due before `until` runs at its
        instant."""
        done = 0
        now = self.world.clock.now
        for actor in self.actors:
            actor.notice(now)
        while self._queue and self._queue[0].due < until:
            reaction = heapq.heappop(self._queue)
            if reaction.due > self.world.clock.now:
                self.world.clock.set(reaction.due)
            reaction.act()
            done += 1
        return done

    def open_homes(self, user_ids: list[str] | None = None) -> None:
        """Each person opens Upward's App Home tab (Slack sends app_home_opened)."""
        for actor in self.actors:
            if user_ids is None or actor.user_id in user_ids:
                response = actor.person.open_home()
                actor._after(
                    response.status,
                    "opened App Home",
                    actor.person.dm_channel_id,
                    "opened the App Home tab",
                )
