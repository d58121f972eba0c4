"""The `/circle` grammar (a contract: acceptance checks and mentors' habits rely on it).

/circle [help]                      what the caller can do
/circle list                        the caller's circles this month
/circle schedule YYYY-MM-DD HH:MM   meeting time, in the caller's time zone
/circle prompt                      post another discussion prompt
/circle note TEXT                   a private note for the program lead
/circle attended @a @b …            who came to the session
/circle add @user | remove @user    change membership
/circle form [--dry-run]            (leads) form this month's circles now, or preview them
/circle close                       (leads, the circle's mentor) closing pulse, then archive
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.errors import InvalidInput

MAX_TEXT = 3000  # Slack sends at most a few thousand characters of command text
MAX_NOTE = 2000
MAX_MENTIONS = 50
# With should_escape on, Slack sends mentions as <@U123ABC> or <@U123ABC|name>.
MENTION = re.compile(r"^<@([UW][A-Z0-9]{2,30})(?:\|[^>]*)?>$")

USAGE = {
    "help": "/circle help",
    "list": "/circle list",
    "schedule": (
        "/circle schedule YYYY-MM-DD HH:MM (your time zone), e.g. /circle schedule 2026-12-08 15:30"
    ),
    "prompt": "/circle prompt",
    "note": f"/circle note TEXT (up to {MAX_NOTE:,} characters; only the program lead sees it)",
    "attended": "/circle attended @name @name … (mention everyone who came)",
    "add": "/circle add @name",
    "remove": "/circle remove @name",
    "form": "/circle form [--dry-run]",
    "close": "/circle close",
}


class Usage(InvalidInput):
    """The command text is not valid; the message says what to type instead."""


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class List:
    pass


@dataclass(frozen=True)
class Schedule:
    day: dt.date
    time: dt.time


@dataclass(frozen=True)
class Prompt:
    pass


@dataclass(frozen=True)
class Note:
    text: str


@dataclass(frozen=True)
class Attended:
    user_ids: tuple[str, ...]


@dataclass(frozen=True)
class Add:
    user_id: str


@dataclass(frozen=True)
class Remove:
    user_id: str


@dataclass(frozen=True)
class Form:
    dry_run: bool


@dataclass(frozen=True)
class Close:
    pass


Command = Help | List | Schedule | Prompt | Note | Attended | Add | Remove | Form | Close


def parse(text: str | None) -> Command:
    """Parse the text after `/circle`; Usage with the right usage line when it is not valid."""
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        raise Usage(
            f"That is too long for /circle: {len(text):,} characters, and it takes up to"
            f" {MAX_TEXT:,}. Nothing was changed; shorten it and try again (a note can be up to"
            f" {MAX_NOTE:,} characters)."
        )
    if not text:
        return Help()
    # Any whitespace ends the verb: Slack keeps the newline of "/circle note⏎Text" as typed.
    verb, rest = (text.split(maxsplit=1) + [""])[:2]
    verb = verb.lower()
    rest = rest.strip()
    if verb in ("help", "list", "prompt", "close"):
        if rest:
            raise Usage(f"`/circle {verb}` takes nothing after it. Usage: {USAGE[verb]}")
        return {"help": Help, "list": List, "prompt": Prompt, "close": Close}[verb]()
    if verb == "schedule":
        return _schedule(rest)
    if verb == "note":
        if not rest:
            raise Usage(f"Write the note after the word note. Usage: {USAGE['note']}")
        if len(rest) > MAX_NOTE:
            raise Usage(
                f"That note is {len(rest):,} characters, and notes can be up to {MAX_NOTE:,}. It"
                " was not saved: shorten it and send it again."
            )
        return Note(rest)
    if verb == "attended":
        users = _mentions(rest, verb)
        if not users:
            raise Usage(f"Mention who came. Usage: {USAGE['attended']}")
        return Attended(users)
    if verb in ("add", "remove"):
        users = _mentions(rest, verb)
        if len(users) != 1:
            raise Usage(f"Mention exactly one person. Usage: {USAGE[verb]}")
        return Add(users[0]) if verb == "add" else Remove(users[0])
    if verb == "form":
        if rest not in ("", "--dry-run"):
            raise Usage(f"Unknown option '{rest}'. Usage: {USAGE['form']}")
        return Form(dry_run=rest == "--dry-run")
    raise Usage(f"There is no `/circle {verb[:30]}`. Try `/circle help` to see what you can do.")


def _schedule(rest: str) -> Schedule:
    parts = rest.split()
    if len(parts) != 2:
        raise Usage(f"Give a date and a time. Usage: {USAGE['schedule']}")
    try:
        day = dt.date.fromisoformat(parts[0])
    except ValueError:
        raise Usage(
            f"'{parts[0][:20]}' is not a date like 2026-12-08. Usage: {USAGE['schedule']}"
        ) from None
    if not re.fullmatch(r"\d{1,2}:\d{2}", parts[1]):
        raise Usage(
            f"'{parts[1][:20]}' is not a 24-hour time like 15:30. Usage: {USAGE['schedule']}"
        )
    hour, minute = (int(x) for x in parts[1].split(":"))
    if hour > 23 or minute > 59:
        raise Usage(f"'{parts[1]}' is not a time of day. Usage: {USAGE['schedule']}")
    return Schedule(day, dt.time(hour, minute))


def _mentions(rest: str, verb: str) -> tuple[str, ...]:
    tokens = rest.split()
    if len(tokens) > MAX_MENTIONS:
        raise Usage(f"That is more than {MAX_MENTIONS} people. Usage: {USAGE[verb]}")
    users: list[str] = []
    for token in tokens:
        match = MENTION.match(token)
        if match is None:
            shown = token[:40]
            hint = (
                " (pick the person from Slack's list as you type @ so it becomes a mention)"
                if token.startswith("@")
                else ""
            )
            raise Usage(f"'{shown}' is not a mention{hint}. Usage: {USAGE[verb]}")
        if match.group(1) not in users:
            users.append(match.group(1))
    return tuple(users)
