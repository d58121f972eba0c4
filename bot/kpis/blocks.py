"""Block Kit for the weekly KPI check-in: one message, one row of buttons per KPI."""

from __future__ import annotations

import datetime as dt

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.core.ids import Action
from bot.core.words import count
from bot.kpis.service import Observed
from bot.models import Kpi

# The notification text of the check-in, the same when it is first sent and after each click.
CHECKIN_TEXT = "Your weekly check-in (under a minute)"
OBSERVATION_TEXT = "One click per executive: what did you see in your circle?"


def checkin(kpis: list[Kpi], *, week: dt.date, answers: dict[int, int]) -> list[Block]:
    """The check-in for one week; chosen values are marked, and another click changes them."""
    blocks: list[Block] = [
        HeaderBlock(text="Your weekly check-in"),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=(
                        f"Week of {week:%-d %B} · {count(len(kpis), 'quick click')}, under a minute"
                    )
                )
            ]
        ),
    ]
    for kpi in kpis:
        chosen = answers.get(kpi.id)
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"*{kpi.question}*"
                    + (f"\n:white_check_mark: You said *{chosen}*." if chosen is not None else "")
                )
            )
        )
        blocks.append(
            ActionsBlock(
                block_id=f"kpi-{kpi.id}",
                elements=[
                    ButtonElement(
                        text=_label(kpi, n),
                        action_id=Action.kpi_value.with_suffix(str(n)),
                        value=f"{kpi.id}|{week.isoformat()}|{n}",
                        style="primary" if chosen == n else None,
                    )
                    for n in range(kpi.scale_min, kpi.scale_max + 1)
                ],
            )
        )
    if kpis and all(k.id in answers for k in kpis):
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=(
                            ":tada: Thanks, that's this week done. Your lead sees group trends"
                            " only."
                        )
                    )
                ]
            )
        )
    return blocks


def _label(kpi: Kpi, n: int) -> str:
    if n == kpi.scale_max and kpi.kind == "count":
        return f"{n}+"
    return str(n)


def observation(kpi: Kpi, *, circle_id: int, period: str, sheet: list[Observed]) -> list[Block]:
    """The mentor's once-a-circle rating of each executive on the program's focus behaviour."""
    blocks: list[Block] = [
        HeaderBlock(text=f"Your circle in {period}: {kpi.name.lower()}"[:150]),
        SectionBlock(
            text=MarkdownTextObject(
                text=(
                    f"{kpi.question}\n_{kpi.scale_min} = {kpi.low_label}, {kpi.scale_max} ="
                    f" {kpi.high_label}_"
                )
            )
        ),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=(
                        ":lock: Only your program lead sees these, and only as group averages of 3"
                        " or more."
                    )
                )
            ]
        ),
    ]
    for row in sheet:
        mark = f"  :white_check_mark: *{row.value}*" if row.value is not None else ""
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"<@{row.slack_user_id}>{mark}")))
        blocks.append(
            ActionsBlock(
                block_id=f"observe-{row.person_id}",
                elements=[
                    ButtonElement(
                        text=str(n),
                        action_id=Action.kpi_observe.with_suffix(str(n)),
                        value=f"{kpi.id}|{circle_id}|{row.person_id}|{n}",
                        style="primary" if row.value == n else None,
                    )
                    for n in range(kpi.scale_min, kpi.scale_max + 1)
                ],
            )
        )
    if sheet and all(r.value is not None for r in sheet):
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=":tada: All rated, thank you. Click again to change a value."
                    )
                ]
            )
        )
    return blocks
