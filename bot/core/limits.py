"""Slack's limits, in one place: Block Kit sizes, channel names, the modal stack, request bodies.

`block_problems` and `view_problems` say every reason Slack would refuse some blocks or a view,
each with the JSON pointer Slack names: slack_sdk's own validators plus the limits it leaves to
Slack's servers. The stand-in answers with them; `upward content preview` lists them.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
MESSAGE_TEXT_MAX = 40_000
CHANNEL_NAME_MAX = 80
CHANNEL_TOPIC_MAX = 250
MODAL_STACK_MAX = 3  # views.push onto a stack of three is refused
REQUEST_BODY_MAX = 1_000_000  # bytes; Slack's interactions are tens of KB
TEXT_OBJECT_TYPES = ("plain_text", "mrkdwn")
# Element types that send block_actions and so need an action_id.
INTERACTIVE_TYPES = frozenset(
    {
        "button",
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
        "overflow",
        "datepicker",
        "timepicker",
        "datetimepicker",
        "radio_buttons",
        "checkboxes",
        "plain_text_input",
        "email_text_input",
        "url_text_input",
        "number_input",
        "rich_text_input",
    }
)


def _empty_texts(node: Any, pointer: str) -> list[str]:
    """Empty text objects anywhere in a block: slack_sdk accepts them, Slack does not."""
    problems: list[str] = []
    if isinstance(node, dict):
        if node.get("type") in TEXT_OBJECT_TYPES and not node.get("text"):
            problems.append(f"must be more than 0 characters [json-pointer:{pointer}/text]")
        for key, child in node.items():
            problems.extend(_empty_texts(child, f"{pointer}/{key}"))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            problems.extend(_empty_texts(child, f"{pointer}/{i}"))
    return problems


def block_problems(blocks: Any, *, limit: int, root: str = "/blocks") -> list[str]:
    """Every reason Slack would refuse these blocks, each with its JSON pointer."""
    if not isinstance(blocks, list):
        return [f"must be an array [json-pointer:{root}]"]
    problems: list[str] = []
    if len(blocks) > limit:
        problems.append(f"no more than {limit} items allowed [json-pointer:{root}]")
    seen_block_ids: set[str] = set()
    for i, raw in enumerate(blocks):
        pointer = f"{root}/{i}"
        if not isinstance(raw, dict):
            problems.append(f"must be an object [json-pointer:{pointer}]")
            continue
        try:
            parsed = Block.parse(raw)
            if parsed is None:
                kind = raw.get("type")
                problems.append(f"unsupported type: {kind} [json-pointer:{pointer}/type]")
                continue
            parsed.to_dict()  # runs slack_sdk's validators
        except SlackObjectFormationError as exc:
            problems.append(f"{exc} [json-pointer:{pointer}]")
            continue
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            problems.append(f"invalid block: {exc} [json-pointer:{pointer}]")
            continue
        block_id = raw.get("block_id")
        if block_id is not None:
            if block_id in seen_block_ids:
                problems.append(f"duplicate block_id: {block_id} [json-pointer:{pointer}/block_id]")
            seen_block_ids.add(block_id)
        if raw.get("type") == "header" and raw.get("text", {}).get("type") != "plain_text":
            problems.append(f"must be plain_text [json-pointer:{pointer}/text/type]")
        elements = raw.get("elements") if raw.get("type") == "actions" else None
        for j, element in enumerate(elements or []):
            if not isinstance(element, dict) or element.get("type") not in INTERACTIVE_TYPES:
                kind = element.get("type") if isinstance(element, dict) else element
                problems.append(f"unsupported type: {kind} [json-pointer:{pointer}/elements/{j}]")
        action_ids = [e.get("action_id") for e in elements or [] if isinstance(e, dict)]
        repeated = {a for a in action_ids if a is not None and action_ids.count(a) > 1}
        if repeated:
            problems.append(f"duplicate action_id: {sorted(repeated)[0]} [json-pointer:{pointer}]")
        problems.extend(_empty_texts(raw, pointer))
    return problems


def view_problems(view: dict[str, Any], *, kinds: tuple[str, ...]) -> list[str]:
    """Every reason Slack would refuse this view (type, blocks, title/submit/close, metadata)."""
    if view.get("type") not in kinds:
        return [f"must be one of {list(kinds)} [json-pointer:/view/type]"]
    problems = block_problems(view.get("blocks", []), limit=VIEW_BLOCKS_MAX, root="/view/blocks")
    if not problems:
        try:
            View(**view).to_dict()  # title/submit/close lengths, private_metadata, callback_id
        except SlackObjectFormationError as exc:
            problems.append(f"{exc} [json-pointer:/view]")
        except (TypeError, ValueError) as exc:
            problems.append(f"invalid view: {exc} [json-pointer:/view]")
    return problems
