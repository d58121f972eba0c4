"""When a module may arrive: working days, holidays of the person's country, local windows."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.calendar import (
    Window,
    add_working_days,
    at_local,
    country_code,
    is_working_day,
    may_deliver,
    next_working_day,
    place_zone,
    planned_days,
    zone,
)

UTC = dt.UTC
ZONES = [
    "America/Los_Angeles",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Pacific/Chatham",
]


def test_weekends_and_national_holidays_are_not_working_days() -> None:
    assert not is_working_day(dt.date(2026, 11, 28), "US")  # Saturday
    assert not is_working_day(dt.date(2026, 11, 26), "US")  # Thanksgiving
    assert is_working_day(dt.date(2026, 11, 26), "DE")  # an ordinary Thursday in Germany
    assert not is_working_day(dt.date(2026, 12, 25), "DE")
    assert not is_working_day(dt.date(2026, 1, 26), "IN")  # Republic Day
    assert is_working_day(dt.date(2026, 1, 26), None)


def test_next_and_added_working_days_skip_holidays() -> None:
    assert next_working_day(dt.date(2026, 11, 26), "US") == dt.date(2026, 11, 27)
    assert next_working_day(dt.date(2026, 12, 24), "DE") == dt.date(2026, 12, 24)
    # Two working days after Wednesday 23 Dec in Germany: 24 Dec, then (skipping 25, 26, 27) 28 Dec.
    assert add_working_days(dt.date(2026, 12, 23), 2, "DE") == dt.date(2026, 12, 28)


def test_window_is_in_the_persons_own_time_zone() -> None:
    window = Window(dt.time(9), dt.time(17))
    # 16:30 UTC on a Tuesday: 17:30 in Berlin (closed), 08:30 in Los Angeles (closed), 22:00 in
    # Kolkata.
    now = dt.datetime(2026, 12, 1, 16, 30, tzinfo=UTC)
    assert not may_deliver(now, tz="Europe/Berlin", country="DE", window=window)
    assert not may_deliver(now, tz="America/Los_Angeles", country="US", window=window)
    assert may_deliver(
        now + dt.timedelta(hours=1), tz="America/Los_Angeles", country="US", window=window
    )
    assert may_deliver(
        dt.datetime(2026, 12, 1, 6, 0, tzinfo=UTC), tz="Asia/Kolkata", country="IN", window=window
    )


@settings(max_examples=300, deadline=None)
@given(
    instant=st.datetimes(
        min_value=dt.datetime(2026, 1, 1),
        max_value=dt.datetime(2028, 12, 31),
        timezones=st.just(UTC),
    ),
    tz=st.sampled_from(ZONES),
    country=st.sampled_from(["US", "DE", "IN", "AU", "NZ", None]),
)
def test_a_deliverable_instant_is_always_a_local_working_hour(
    instant: dt.datetime, tz: str, country: str | None
) -> None:
    window = Window(dt.time(9), dt.time(17))
    if may_deliver(instant, tz=tz, country=country, window=window):
        local = instant.astimezone(zone(tz))
        assert local.weekday() < 5
        assert dt.time(9) <= local.time() < dt.time(17)
        assert is_working_day(local.date(), country)


@settings(max_examples=200, deadline=None)
@given(
    start=st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2027, 12, 31)),
    weekdays=st.sets(st.integers(0, 4), min_size=1, max_size=5).map(sorted),
    count=st.integers(1, 30),
    data=st.data(),
)
def test_planned_days_follow_the_cadence(
    start: dt.date, weekdays: list[int], count: int, data: st.DataObject
) -> None:
    per_week = data.draw(st.integers(1, len(weekdays)))
    days = planned_days(start, weekdays, per_week, count)
    assert len(days) == count
    assert days == sorted(set(days)), "one module a day, in order"
    assert all(d >= start and d.weekday() in weekdays for d in days)
    weeks = [(d - start).days // 7 for d in days]
    assert all(weeks.count(w) <= per_week for w in set(weeks))


def test_local_times_across_daylight_saving_changes() -> None:
    # 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer.
    assert at_local(dt.date(2026, 12, 1), dt.time(9), "Europe/Berlin").hour == 8
    assert at_local(dt.date(2026, 7, 1), dt.time(9), "Europe/Berlin").hour == 7


def test_unknown_time_zone_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        zone("Mars/Olympus")


@pytest.mark.parametrize("name", ["UTC", "Etc/UTC", "Europe/Berlin", "America/Argentina/Salta"])
def test_a_place_zone_is_an_area_city_name_or_utc(name: str) -> None:
    assert place_zone(name).key == name


@pytest.mark.parametrize(
    ("name", "suggested"),
    [("EST", "America/New_York"), ("CET", "Europe/Paris"), ("Etc/GMT+5", "Europe/Berlin")],
)
def test_an_abbreviation_or_offset_is_refused_with_a_place_to_use(
    name: str, suggested: str
) -> None:
    with pytest.raises(
        ValueError, match=f"'{re.escape(name)}' is not an Area/City name: .*{suggested}"
    ):
        place_zone(name)
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Base'"):
        place_zone("Mars/Base")


def test_a_country_is_a_two_letter_code_and_a_three_letter_one_is_told_its_pair() -> None:
    assert country_code(" gb ") == "GB"
    with pytest.raises(
        ValueError, match="^country 'USA' is a three-letter code: use the two-letter one, US$"
    ):
        country_code("USA")
    with pytest.raises(ValueError, match="^country 'XX' is not a known ISO 3166 two-letter code"):
        country_code("XX")
