"""Working days, public holidays and local delivery windows: when a person may get a module."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

WEEKEND = frozenset({5, 6})  # Saturday, Sunday


@dataclass(frozen=True)
class Window:
    """Local wall-clock hours in which messages may arrive, e.g. 09:00–17:00."""

    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(17, 0)

    def contains(self, local: dt.time) -> bool:
        return self.start <= local < self.end


def zone(name: str) -> ZoneInfo:
    """A ZoneInfo, or ValueError with a message a roster author can act on."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone '{name}': use an IANA name such as Europe/Berlin"
        ) from None


# Names zoneinfo accepts that are not a place: abbreviations and POSIX-style rules. A person in New
# York set to EST would get their modules an hour off all summer; the place's name never is.
_NOT_PLACES = {
    "EST": "America/New_York",
    "EST5EDT": "America/New_York",
    "CST6CDT": "America/Chicago",
    "MST": "America/Denver",
    "MST7MDT": "America/Denver",
    "PST8PDT": "America/Los_Angeles",
    "HST": "Pacific/Honolulu",
    "GMT": "Europe/London",
    "WET": "Europe/Lisbon",
    "CET": "Europe/Paris",
    "MET": "Europe/Paris",
    "EET": "Europe/Athens",
}


def place_zone(name: str) -> ZoneInfo:
    """A time zone a person typed: a place's IANA name (Europe/Berlin) or UTC, else ValueError
    saying what to type instead (abbreviations such as EST are refused)."""
    found = zone(name)
    if name in ("UTC", "Etc/UTC") or ("/" in name and not name.startswith("Etc/")):
        return found
    example = _NOT_PLACES.get(name.upper(), "Europe/Berlin")
    raise ValueError(
        f"time zone '{name}' is not an Area/City name: use the IANA name of the place, such as"
        f" {example}, so that daylight saving follows the place"
    )


def country_code(text: str) -> str:
    """A country a person typed, as the ISO 3166 two-letter code whose holidays are known; else
    ValueError saying what to type instead."""
    code = text.strip().upper()
    if len(code) == 2 and is_supported_country(code):
        return code
    if len(code) == 3 and is_supported_country(code):
        two = holidays.country_holidays(code).country
        raise ValueError(f"country '{text}' is a three-letter code: use the two-letter one, {two}")
    raise ValueError(f"country '{text}' is not a known ISO 3166 two-letter code (like US, DE, IN)")


def is_supported_country(code: str) -> bool:
    """Whether `holidays` knows the public holidays of this ISO 3166-1 alpha-2 country."""
    return code.upper() in holidays.list_supported_countries()


@lru_cache(maxsize=256)
def _holidays(country: str, year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays(country, years=year).keys())


def is_holiday(day: dt.date, country: str | None) -> bool:
    """A public holiday in `country` (no country, or one `holidays` does not know: never)."""
    if not country or not is_supported_country(country):
        return False
    return day in _holidays(country.upper(), day.year)


def is_working_day(day: dt.date, country: str | None) -> bool:
    """Monday to Friday and not a public holiday of the person's country."""
    return day.weekday() not in WEEKEND and not is_holiday(day, country)


def next_working_day(day: dt.date, country: str | None) -> dt.date:
    """`day` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day, country):
        day += dt.timedelta(days=1)
    return day


def add_working_days(day: dt.date, count: int, country: str | None) -> dt.date:
    """The working day `count` working days after `day`."""
    while count > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day, country):
            count -= 1
    return day


def may_deliver(now: dt.datetime, *, tz: str, country: str | None, window: Window) -> bool:
    """True when `now` is inside the person's window on one of their working days."""
    local = now.astimezone(zone(tz))
    return is_working_day(local.date(), country) and window.contains(local.time())


def local_day(now: dt.datetime, tz: str) -> dt.date:
    """The calendar date where the person is."""
    return now.astimezone(zone(tz)).date()


def at_local(day: dt.date, time: dt.time, tz: str) -> dt.datetime:
    """The UTC instant of a local wall-clock time (DST gaps resolve forward, as clocks do)."""
    local = dt.datetime.combine(day, time, tzinfo=zone(tz))
    return local.astimezone(dt.UTC)


def planned_days(start: dt.date, weekdays: list[int], per_week: int, count: int) -> list[dt.date]:
    """The calendar days of `count` modules: `per_week` a week on the preferred weekdays.

    Week 1 is the seven days from `start`; in each week the earliest preferred weekdays are used.
    Holidays and weekends are not removed here: the delivery rule moves a module to the person's
    next working day, in their own country.
    """
    if per_week < 1 or not weekdays:
        raise ValueError("need at least one module a week on at least one weekday")
    preferred = set(weekdays)
    days: list[dt.date] = []
    week = 0
    while len(days) < count:
        week_start = start + dt.timedelta(weeks=week)
        in_week = [week_start + dt.timedelta(days=i) for i in range(7)]
        chosen = [d for d in in_week if d.weekday() in preferred][:per_week]
        days.extend(chosen[: count - len(days)])
        week += 1
    return days


def week_start(day: dt.date) -> dt.date:
    """Monday of the ISO week containing `day`."""
    return day - dt.timedelta(days=day.weekday())
