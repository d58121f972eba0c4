"""When Slack refuses a listener's call after the ack, the person hears why and nothing is logged as
a crash."""

from __future__ import annotations

import pytest

from bot.sandbox import payloads
from tests.security.conftest import ErrorLog, World, exchange, sound


@pytest.mark.parametrize("trigger", ["expired", None])
def test_a_reflection_form_slack_will_not_open_is_explained(
    world: World, errors_logged: ErrorLog, trigger: str | None
) -> None:
    body = world.real_click("module", action_id="learning.reflect")
    if trigger is None:
        del body["trigger_id"]
    else:
        body["trigger_id"] = f"{trigger}.{body['trigger_id']}"  # one views.open does not accept
    done = exchange(world, lambda: world.stack.sender.send_interaction(body), errors_logged)
    sound(done)
    assert not done.diff
    assert [text for _, text in done.replies] == [
        "Slack did not open the reflection form in time. Please click *Write a reflection* again."
    ]


def test_app_home_for_someone_slack_does_not_know_is_not_a_crash(
    world: World, errors_logged: ErrorLog
) -> None:
    with world.ws.lock:
        body = payloads.app_home_opened(
            world.ws,
            user_id=world.executive,
            channel_id=world.stack.person(world.executive).dm_channel_id,
        )
    body["event"]["user"] = "UNOBODY0001"  # left the workspace since, or never in it
    done = exchange(world, lambda: world.stack.sender.send_event(body), errors_logged)
    sound(done)
    assert (
        done.response.status == 200
        and not done.diff
        and [c.error for c in done.calls] == ["user_not_found"]
    )
