"""Input bounds: numbers a button claims, and every free text a person can type.

A button's value is what the payload says, and anyone able to send a payload can say anything:
numbers beyond what a database column holds once made the query fail after the ack (nobody was
told; the error went to the log). Now they are refused like any other button Upward did not make.

Free text has a limit wherever a person types it: `/circle` text (3,000 characters), a circle
note (2,000), a reflection (2,000; the modal's input also stops at 2,000). Past it, the person is
told the limit and what to do, and nothing is saved.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.circles.command import MAX_MENTIONS, MAX_NOTE, MAX_TEXT
from bot.digest.blocks import circle_lines
from bot.digest.service import Week, compute
from bot.learning.answers import REFLECTION_MAX
from bot.models import Program
from tests.security.conftest import NOW, ErrorLog, World, exchange, rewind, snapshot, sound

HUGE = "9" * 20  # beyond PostgreSQL's integer and SQLite's 64-bit integer alike

NUMBERS = {
    "learning.done": ("module", {"action_id": "learning.done"}, f"{HUGE}|||0"),
    "learning.answer": ("module", {"action_id": "learning.retry"}, f"{HUGE}|q|a|1"),
    "kpis.value": ("checkin", {"action_id": "kpis.value:2"}, f"{HUGE}|2026-11-30|2"),
    "kpis.observe": ("observe", {"action_id": "kpis.observe:4"}, f"1|{HUGE}|1|4"),
    "circles.met": ("met", {"text": "Yes, we met"}, f"{HUGE}|yes"),
    "circles.pulse": ("pulse", {"text": "4"}, f"{HUGE}|4"),
    "circles.pulse (a digit that is not 0-9)": ("pulse", {"text": "4"}, "{circle}|²"),
    "digest.nudge": ("digest", {"action_id": "digest.nudge"}, f"{HUGE}|1"),
}


@pytest.mark.parametrize("case", NUMBERS)
def test_a_number_no_column_can_hold_is_refused_politely(
    world: World, errors_logged: ErrorLog, case: str
) -> None:
    what, find, value = NUMBERS[case]
    body = world.real_click(what, **find)
    body["actions"][0]["value"] = value.format(circle=world.closed_circle.id)
    done = exchange(world, lambda: world.stack.sender.send_interaction(body), errors_logged)
    sound(done)
    assert not done.diff
    (reply,) = [text for _, text in done.replies]
    assert "nothing was" in reply.lower(), reply


def test_a_modal_naming_a_delivery_beyond_any_id_is_refused_in_the_modal(
    world: World, errors_logged: ErrorLog
) -> None:
    done = exchange(
        world,
        lambda: world.submit_as(world.executive, "reflection", "A fine reflection.", metadata=HUGE),
        errors_logged,
    )
    sound(done)
    assert not done.diff and not done.replies
    assert (
        done.response.json()["response_action"] == "errors"
        and "cannot save this form" in done.response.text
    )


# -- free text: each limit, at the limit and one past it -------------------------------------------


def _reply(done: object) -> str:
    (text,) = [text for _, text in done.replies]  # type: ignore[attr-defined]
    return text


@pytest.mark.parametrize("length", [MAX_NOTE, MAX_NOTE + 1])
def test_a_circle_note_is_saved_up_to_its_limit_and_refused_past_it(
    world: World, errors_logged: ErrorLog, length: int
) -> None:
    note = "n" * length
    done = exchange(
        world,
        lambda: world.command_as(
            world.other_mentor, f"note {note}", world.open_circle.slack_channel_id
        ),
        errors_logged,
    )
    sound(done)
    if length <= MAX_NOTE:
        assert [c.after["text"] for c in done.diff if c.table == "mentor_notes"] == [note]  # type: ignore[index]
        assert "Saved" in _reply(done)
    else:
        assert not done.diff
        assert (
            _reply(done)
            == f"That note is {length:,} characters, and notes can be up to 2,000. It was not"
            " saved: shorten it and send it again."
        )


@pytest.mark.parametrize("length", [MAX_TEXT, MAX_TEXT + 1])
def test_circle_command_text_past_its_limit_is_refused_before_it_is_read(
    world: World, errors_logged: ErrorLog, length: int
) -> None:
    text = "note " + "n" * (length - 5)
    done = exchange(
        world,
        lambda: world.command_as(world.other_mentor, text, world.open_circle.slack_channel_id),
        errors_logged,
    )
    sound(done)
    assert not done.diff
    expected = (
        "That note is"
        if length <= MAX_TEXT
        else f"That is too long for /circle: {length:,} characters, and it takes up to 3,000."
    )
    assert _reply(done).startswith(expected), _reply(done)


def test_more_people_than_a_circle_can_hold_are_refused(
    world: World, errors_logged: ErrorLog
) -> None:
    mentions = " ".join(f"<@U{i:08d}>" for i in range(MAX_MENTIONS + 1))
    done = exchange(
        world,
        lambda: world.command_as(
            world.other_mentor, f"attended {mentions}", world.open_circle.slack_channel_id
        ),
        errors_logged,
    )
    sound(done)
    assert not done.diff and "more than 50 people" in _reply(done)


@pytest.mark.parametrize("length", [REFLECTION_MAX, REFLECTION_MAX + 1])
def test_a_reflection_is_saved_up_to_its_limit_and_refused_past_it(
    world: World, errors_logged: ErrorLog, length: int
) -> None:
    text = "r" * length
    done = exchange(
        world, lambda: world.submit_as(world.executive, "reflection", text), errors_logged
    )
    sound(done)
    if length <= REFLECTION_MAX:
        assert [c.after["value"] for c in done.diff if c.table == "answers"] == [text]  # type: ignore[index]
    else:
        assert not done.diff and not done.replies
        assert done.response.json() == {
            "response_action": "errors",
            "errors": {
                "reflection": (
                    f"Reflections can be up to 2,000 characters; this one is {length:,}. Shorten"
                    " it, then press Save again."
                )
            },
        }


def test_free_text_is_stored_exactly_as_typed(world: World, errors_logged: ErrorLog) -> None:
    """Quotes, SQL, Slack's control sequences, right-to-left marks and emoji are data, kept byte for
    byte."""
    note = (
        "Robert'); DROP TABLE mentor_notes;-- <!channel> &lt;b&gt; \u202eright-to-left\u202c"
        " \U0001f331 naïve \\ %s {0}"
    )
    done = exchange(
        world,
        lambda: world.command_as(
            world.other_mentor, f"note {note}", world.open_circle.slack_channel_id
        ),
        errors_logged,
    )
    sound(done)
    assert [c.after["text"] for c in done.diff if c.table == "mentor_notes"] == [note]  # type: ignore[index]


def test_a_note_quoted_in_the_digest_can_ping_nobody(world: World) -> None:
    """The digest quotes the newest note to the lead (and the digest channel): as words, not as
    Slack markup."""
    note = (
        f"<!channel> <@{world.executive}> was quiet; see <https://evil.example|the plan> in"
        f" <#{world.open_circle.slack_channel_id}|our channel>"
    )
    engine = world.stack.engine
    before = snapshot(engine)
    try:
        assert (
            world.command_as(
                world.other_mentor, f"note {note}", world.open_circle.slack_channel_id
            ).status
            == 200
        )
        world.stack.settle()
        with world.stack.session() as session:
            program = session.scalars(select(Program).where(Program.name == "Leaders 2026")).one()
            digest = compute(
                session,
                program=program,
                catalog=world.stack.catalog,
                week=Week.of(NOW.date(), program.timezone),
            )
    finally:
        rewind(engine, before, snapshot(engine))
    quoted = "\n".join(circle_lines(digest))
    assert f"@channel @{world.executive} was quiet; see the plan in #our channel" in quoted, quoted
    assert (
        "<" not in quoted.replace("<@", "").replace("<!", "")
        and "<@" not in quoted
        and "<!" not in quoted
        and "evil" not in quoted
    )
