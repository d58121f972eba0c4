"""The App Home tab drawn from a HomeView: what each person reads, and the controls they get."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from typing import Any

from bot.core.ids import Action
from bot.core.limits import VIEW_BLOCKS_MAX
from bot.home.blocks import home_view
from bot.home.service import CircleInfo, HomeView, LeadSummary, Progress
from bot.models import PersonStatus, ProgramStatus, Role

UTC = dt.UTC
PROGRESS = Progress(
    program="Mini",
    done=2,
    total=4,
    first_try_score=0.75,
    streak=1,
    next_title="Module m4",
    next_due=dt.datetime(2026, 12, 10, 8, tzinfo=UTC),
)
EXECUTIVE = HomeView(
    known=True,
    display_name="Alice",
    timezone="Europe/Berlin",
    roles={"Mini": {Role.executive}},
    progress=[PROGRESS],
)


def drawn(view: HomeView) -> list[dict[str, Any]]:
    tab = home_view(view).to_dict()  # slack_sdk checks Block Kit's limits here
    assert tab["type"] == "home"
    return tab["blocks"]


def texts(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def controls(blocks: list[dict[str, Any]]) -> list[str]:
    (actions,) = [b for b in blocks if b["type"] == "actions"]
    return [e["action_id"] for e in actions["elements"]]


def test_someone_upward_does_not_know_is_told_what_upward_is_and_gets_no_controls() -> None:
    for view in (HomeView(known=False), HomeView(known=True, display_name="Former")):
        blocks = drawn(view)
        assert [b["type"] for b in blocks] == ["header", "section"]
        assert "You are not part of a program yet" in texts(blocks)


def test_an_executive_sees_progress_and_the_next_module_in_their_zone() -> None:
    blocks = drawn(EXECUTIVE)

    shown = texts(blocks)
    assert "Hi Alice! You are executive in *Mini*." in shown
    assert "Modules arrive on working days, in your working hours (Europe/Berlin)." in shown
    assert "2 of 4 modules done · :dart: 75% right first time · :fire: streak 1" in shown
    assert "Next: *Module m4*, from Thu 10 Dec, 09:00" in shown
    assert controls(blocks) == [Action.snooze, Action.pause_until, Action.opt_out]


def test_an_executive_without_answers_or_with_everything_done_is_told_so() -> None:
    fresh = Progress("Mini", 0, 4, None, 0, "Module m1", PROGRESS.next_due)
    done = Progress("Mini", 4, 4, 1.0, 4, None, None)

    assert "no answers yet" in texts(drawn(replace(EXECUTIVE, progress=[fresh])))
    finished = texts(drawn(replace(EXECUTIVE, progress=[done])))
    assert "You have finished every module" in finished and "Next:" not in finished


def test_a_paused_person_sees_until_when_and_only_resume() -> None:
    until = dt.datetime(2026, 12, 12, 12, tzinfo=UTC)
    dated = replace(EXECUTIVE, paused_until=until)
    undated = replace(EXECUTIVE, status=PersonStatus.paused)

    assert "Paused until Sat 12 Dec, 13:00." in texts(drawn(dated))
    assert ":double_vertical_bar: Paused." in texts(drawn(undated))
    assert controls(drawn(dated)) == controls(drawn(undated)) == [Action.resume]


def test_someone_who_stopped_upwards_messages_is_offered_resume() -> None:
    blocks = drawn(replace(EXECUTIVE, status=PersonStatus.opted_out))

    assert "You stopped Upward's messages" in texts(blocks)
    assert controls(blocks) == [Action.resume]


def test_a_mentor_sees_their_circle_and_what_reaches_them() -> None:
    meeting = dt.datetime(2026, 12, 15, 14, tzinfo=UTC)
    view = HomeView(
        known=True,
        display_name="Mo",
        roles={"Mini": {Role.mentor}},
        circles=[
            CircleInfo("Mini", "C0DECEMBER", "circle-dec-1", meeting, 3),
            CircleInfo("Mini", None, "circle-dec-2", None, 4),
        ],
    )

    shown = texts(drawn(view))
    assert "Hi Mo! You are mentor in *Mini*." in shown
    assert "Upward sends you your circle's reminders on working days." in shown
    assert "<#C0DECEMBER> · 3 people · meets Tue 15 Dec, 14:00 UTC" in shown
    assert "#circle-dec-2 · 4 people · no meeting time yet" in shown
    assert "Your progress" not in shown


def test_a_lead_sees_each_program_at_a_glance() -> None:
    view = HomeView(
        known=True,
        display_name="Lee",
        timezone="America/New_York",
        roles={"Mini": {Role.lead, Role.mentor}, "Later": {Role.lead}},
        leads=[
            LeadSummary("Mini", ProgramStatus.active, 2, 2 / 6, 1),
            LeadSummary("Later", ProgramStatus.paused, 0, None, 0),
        ],
    )

    shown = texts(drawn(view))
    assert "You are program lead in *Mini*; mentor in *Mini*; program lead in *Later*." in shown
    assert (
        "your circle's reminders and the weekly digest on working days (America/New_York)" in shown
    )
    assert "*Mini* (active): 2 executives · module completion 33% · 1 at risk." in shown
    assert "*Later* (paused): 0 executives · module completion n/a yet · 0 at risk." in shown


def test_the_tab_never_exceeds_slacks_block_limit() -> None:
    many = HomeView(
        known=True,
        display_name="Busy",
        roles={f"P{i}": {Role.executive, Role.lead} for i in range(40)},
        progress=[Progress(f"P{i}", 1, 4, 0.5, 1, "Next", PROGRESS.next_due) for i in range(40)],
        leads=[LeadSummary(f"P{i}", ProgramStatus.active, 3, 0.5, 0) for i in range(40)],
    )

    assert len(drawn(many)) == VIEW_BLOCKS_MAX


def test_the_controls_stay_on_a_tab_cut_to_slacks_block_limit() -> None:
    """Fails: home_view cuts its blocks to 100 from the end, so the controls (pause, snooze, stop,
    resume) go first; a lead of about 48 programs has no way to pause or stop from App Home."""
    many = HomeView(
        known=True,
        display_name="Busy",
        roles={f"P{i}": {Role.lead} for i in range(60)},
        leads=[LeadSummary(f"P{i}", ProgramStatus.active, 3, 0.5, 0) for i in range(60)],
    )

    assert drawn(many)[-1]["type"] == "actions"
