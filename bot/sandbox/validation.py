"""Block Kit checks as Slack answers them, over `bot.core.limits`' rules.

Messages answer ``invalid_blocks`` (with ``errors``), views ``invalid_arguments`` (with
``response_metadata.messages``), each naming a JSON pointer the way Slack does.
"""

from __future__ import annotations

import copy
import json
import random
import string
from typing import Any

from bot.core.limits import INTERACTIVE_TYPES, MESSAGE_BLOCKS_MAX, block_problems, view_problems
from bot.sandbox.errors import SlackError, invalid_arguments


def decode_json_arg(value: Any, error: str) -> Any:
    """A JSON-ish argument: form posts carry it as a JSON string, JSON posts as the value itself."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise SlackError(error) from None
    return value


def _fill_ids(blocks: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """Give every block a block_id and every interactive element an action_id, as Slack does."""
    alphabet = string.ascii_letters + string.digits + "+/="
    for block in blocks:
        block.setdefault("block_id", "".join(rng.choices(alphabet, k=5)))
        elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
        for element in [*elements, block.get("accessory"), block.get("element")]:
            if isinstance(element, dict) and element.get("type") in INTERACTIVE_TYPES:
                element.setdefault("action_id", "".join(rng.choices(alphabet, k=5)))
    return blocks


def check_message_blocks(value: Any, rng: random.Random) -> list[dict[str, Any]] | None:
    """Decode and validate a message's ``blocks``; raise ``invalid_blocks`` like Slack."""
    if value is None or value == "":
        return None
    blocks = decode_json_arg(value, "invalid_blocks_format")
    if not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format")
    problems = block_problems(blocks, limit=MESSAGE_BLOCKS_MAX)
    if problems:
        raise SlackError(
            "invalid_blocks",
            errors=problems,
            response_metadata={"messages": [f"[ERROR] {p}" for p in problems]},
        )
    return _fill_ids(copy.deepcopy(blocks), rng)


def check_view(value: Any, rng: random.Random, *, kinds: tuple[str, ...]) -> dict[str, Any]:
    """Decode and validate a ``view``; raise ``invalid_arguments`` with Slack's messages."""
    if value is None or value == "":
        raise invalid_arguments("missing required field: view")
    view = decode_json_arg(value, "invalid_arguments")
    if not isinstance(view, dict):
        raise invalid_arguments("view must be an object [json-pointer:/view]")
    problems = view_problems(view, kinds=kinds)
    if problems:
        raise invalid_arguments(*problems)
    checked: dict[str, Any] = copy.deepcopy(view)
    _fill_ids(checked.get("blocks", []), rng)
    return checked
