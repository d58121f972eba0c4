"""The /circle grammar: every form parses, every malformed input is a usage line, never a crash."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.circles.command import (
    Add,
    Attended,
    Close,
    Form,
    Help,
    List,
    Note,
    Prompt,
    Remove,
    Schedule,
    Usage,
    parse,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", Help()),
        ("   ", Help()),
        ("help", Help()),
        ("HELP", Help()),
        ("list", List()),
        ("schedule 2026-12-08 15:30", Schedule(dt.date(2026, 12, 8), dt.time(15, 30))),
        ("schedule 2026-12-08 9:05", Schedule(dt.date(2026, 12, 8), dt.time(9, 5))),
        ("prompt", Prompt()),
        (
            "note Great session; Tom asked about TikTok analytics.",
            Note("Great session; Tom asked about TikTok analytics."),
        ),
        (
            "note\nSecond session:\n- asked about dashboards",
            Note("Second session:\n- asked about dashboards"),
        ),
        ("schedule\t2026-12-10 15:00", Schedule(dt.date(2026, 12, 10), dt.time(15, 0))),
        (
            "attended <@U07EXEC0001|margaret> <@U07EXEC0002>",
            Attended(("U07EXEC0001", "U07EXEC0002")),
        ),
        ("attended <@U07EXEC0001> <@U07EXEC0001>", Attended(("U07EXEC0001",))),
        ("add <@U07EXEC0005|james>", Add("U07EXEC0005")),
        ("remove <@W07EXEC0005>", Remove("W07EXEC0005")),
        ("form", Form(dry_run=False)),
        ("form --dry-run", Form(dry_run=True)),
        ("close", Close()),
    ],
)
def test_every_form_of_the_grammar(text: str, expected: object) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("frobnicate", "There is no `/circle frobnicate`"),
        ("list everything", "takes nothing after it"),
        ("schedule", "Give a date and a time"),
        ("schedule tomorrow 15:30", "'tomorrow' is not a date"),
        ("schedule 2026-02-30 15:30", "is not a date"),
        ("schedule 2026-12-08 3pm", "not a 24-hour time"),
        ("schedule 2026-12-08 25:00", "not a time of day"),
        ("note", "Write the note"),
        ("note " + "x" * 2001, "notes can be up to 2,000. It was not saved: shorten it"),
        ("attended", "Mention who came"),
        ("attended @margaret", "pick the person from Slack's list"),
        ("add <@U1A> <@U2B>", "exactly one person"),
        ("remove someone", "is not a mention"),
        ("form --now", "Unknown option"),
        (
            "x" * 5000,
            "too long for /circle: 5,000 characters, and it takes up to 3,000. Nothing was changed",
        ),
    ],
)
def test_malformed_input_gets_a_usage_line(text: str, fragment: str) -> None:
    with pytest.raises(Usage) as info:
        parse(text)
    assert fragment in str(info.value)
    assert len(str(info.value)) < 400


@settings(max_examples=500, deadline=None)
@given(
    st.text(max_size=300)
    | st.builds(
        lambda v, r: f"{v} {r}",
        st.sampled_from(["schedule", "note", "attended", "add", "remove", "form", "list"]),
        st.text(max_size=200),
    )
)
def test_arbitrary_text_parses_or_is_a_usage_error(text: str) -> None:
    try:
        parse(text)
    except Usage as usage:
        assert str(usage) and len(str(usage)) < 400
