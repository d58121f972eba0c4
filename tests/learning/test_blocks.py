"""The module message: valid Block Kit in every state, real ids, and results after answering."""

from __future__ import annotations

from bot.content.loader import load_catalog
from bot.core.ids import Action
from bot.learning.blocks import QuestionState, module_message, reflection_modal, render_problems
from tests import factories


def _buttons(blocks: list[dict]) -> list[dict]:
    return [
        e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["type"] == "button"
    ]


def test_every_shipped_module_renders_within_slacks_limits() -> None:
    for module in load_catalog().modules.values():
        assert render_problems(module) == [], module.id


def test_unanswered_message_offers_every_option_with_its_value() -> None:
    module = factories.module("m1", reflection="Reflect?")
    blocks = [
        b.to_dict()
        for b in module_message(
            module, delivery_id=7, position=1, total=4, answers={}, completed=False
        )
    ]
    answers = [b for b in _buttons(blocks) if b["action_id"].startswith(Action.answer)]
    assert [b["value"] for b in answers] == [f"7|m1-q{q}|{o}|1" for q in (1, 2) for o in "abc"]
    assert {b["action_id"] for b in _buttons(blocks)} >= {
        Action.mark_done,
        Action.snooze,
        Action.opt_out,
    }
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Module m1", "emoji": True},
    }
    assert "module 1 of 4" in blocks[1]["elements"][0]["text"]


def test_answered_question_shows_result_and_explanation_instead_of_buttons() -> None:
    module = factories.module("m1")
    wrong = {"m1-q1": QuestionState(first_option="a", last_option="a", attempts=1)}
    blocks = [
        b.to_dict()
        for b in module_message(
            module, delivery_id=7, position=1, total=4, answers=wrong, completed=False
        )
    ]
    result = next(b for b in blocks if b.get("block_id") == "q-m1-q1")
    assert ":x: You chose *Option A*. The answer is *Option B*." in result["text"]["text"]
    assert "Because B." in result["text"]["text"]
    assert result["accessory"]["action_id"] == Action.retry
    right = {"m1-q1": QuestionState(first_option="a", last_option="b", attempts=2)}
    blocks = [
        b.to_dict()
        for b in module_message(
            module, delivery_id=7, position=1, total=4, answers=right, completed=True
        )
    ]
    result = next(b for b in blocks if b.get("block_id") == "q-m1-q1")
    assert (
        "is right" in result["text"]["text"]
        and "First try missed; that one counts" in result["text"]["text"]
    )
    assert "accessory" not in result
    assert Action.mark_done not in {b["action_id"] for b in _buttons(blocks)}


def test_reflection_modal_is_valid() -> None:
    view = reflection_modal(
        factories.module("m1", reflection="What did you notice?"), delivery_id=3, current="draft"
    ).to_dict()
    assert (
        view["private_metadata"] == "3" and view["blocks"][1]["element"]["initial_value"] == "draft"
    )
