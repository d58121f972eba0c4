"""Input bounds: numbers a button claims, and every free text a person can type.

A button's value is what the payload says, and anyone able to send a payload can say anything:
numbers beyond what a database column holds once made the query fail after the ack (nobody was
told; the error went to the log). Now they are refused like any other button Upward did not make.
"""

from __future__ import annotations

import pytest

from tests.security.conftest import ErrorLog, World, exchange, sound

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
def test_a_number_no_column_can_hold_is_refused_politely(world: World, errors_logged: ErrorLog, case: str) -> None:
    what, find, value = NUMBERS[case]
    body = world.real_click(what, **find)
    body["actions"][0]["value"] = value.format(circle=world.closed_circle.id)
    done = exchange(world, lambda: world.stack.sender.send_interaction(body), errors_logged)
    sound(done)
    assert not done.diff
    (reply,) = [text for _, text in done.replies]
    assert "nothing was" in reply.lower(), reply


def test_a_modal_naming_a_delivery_beyond_any_id_is_refused_in_the_modal(world: World, errors_logged: ErrorLog) -> None:
    done = exchange(world, lambda: world.submit_as(world.executive, "reflection", "A fine reflection.", metadata=HUGE), errors_logged)
    sound(done)
    assert not done.diff and not done.replies
    assert done.response.json()["response_action"] == "errors" and "cannot save this form" in done.response.text
