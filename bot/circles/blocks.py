"""Block Kit for peer circles: welcome, prompts, meeting time, did-you-meet, closing pulse."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

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
from bot.models import Role

MET_CHOICES = (("yes", "Yes, we met"), ("not_yet", "Not yet"), ("couldnt", "We couldn't"))


def local_time(instant: dt.datetime, tz: str | None) -> str:
    """A meeting time as the reader sees it, in their own zone."""
    local = instant.astimezone(ZoneInfo(tz or "UTC"))
    return f"{local:%A %-d %B, %H:%M} ({local.tzname()})"


def welcome(
    *, program: str, month: str, members: list[tuple[str, Role]], prompt: str | None
) -> list[Block]:
    """The first message in a new circle channel."""
    mentors = [f"<@{uid}>" for uid, role in members if role == Role.mentor]
    execs = [f"<@{uid}>" for uid, role in members if role != Role.mentor]
    blocks: list[Block] = [
        HeaderBlock(text=f"Welcome to your peer circle for {month}"),
        SectionBlock(
            text=MarkdownTextObject(
                text=(
                    f"This is a small, private space for *{program}*."
                    f" {' and '.join(mentors) or 'Your mentor'}"
                    f" {'is' if len(mentors) <= 1 else 'are'} your"
                    f" mentor{'' if len(mentors) <= 1 else 's'} this month; executives:"
                    f" {', '.join(execs)}.\n\nMeet once for 45 minutes this month. Whoever picks"
                    " the time, type `/circle schedule YYYY-MM-DD HH:MM` (in your own time zone)"
                    " and everyone gets a reminder an hour before, in theirs."
                )
            )
        ),
    ]
    if prompt:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=f":speech_balloon: *To start you off:* {prompt}")
            )
        )
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=(
                        "What is said here stays here. Mentors: `/circle help` shows what you"
                        " can do."
                    )
                )
            ]
        )
    )
    return blocks


def prompt_message(text: str) -> list[Block]:
    return [
        SectionBlock(
            text=MarkdownTextObject(text=f":speech_balloon: *Something to discuss:* {text}")
        )
    ]


def meeting_set(*, by: str, meeting_at: dt.datetime, tz: str | None) -> str:
    return (
        f"<@{by}> set the circle's meeting for {local_time(meeting_at, tz)}. "
        "Everyone gets a reminder an hour before, in their own time zone."
    )


def meeting_reminder(*, channel_id: str | None, meeting_at: dt.datetime, tz: str | None) -> str:
    where = f"<#{channel_id}>" if channel_id else "your peer circle"
    return (
        f":alarm_clock: Your peer circle meets in an hour: {local_time(meeting_at, tz)}. See"
        f" {where} for the prompt."
    )


def did_you_meet(*, circle_id: int, channel_id: str | None) -> list[Block]:
    where = f"<#{channel_id}>" if channel_id else "your peer circle"
    return [
        SectionBlock(
            text=MarkdownTextObject(
                text=(
                    f"Did {where} meet? One click helps your program lead see how circles are"
                    " going."
                )
            )
        ),
        ActionsBlock(
            block_id=f"met-{circle_id}",
            elements=[
                ButtonElement(
                    text=label,
                    action_id=Action.circle_met.with_suffix(key),
                    value=f"{circle_id}|{key}",
                )
                for key, label in MET_CHOICES
            ],
        ),
    ]


def closing(*, circle_id: int, month: str) -> list[Block]:
    return [
        HeaderBlock(text=f"Thank you for this {month} circle"),
        SectionBlock(
            text=MarkdownTextObject(
                text=(
                    "This channel will be archived in a few days; nothing is lost, and next month"
                    " brings a new circle.\n*How useful was this circle for you?* (1 = not at all,"
                    " 5 = very)"
                )
            )
        ),
        ActionsBlock(
            block_id=f"pulse-{circle_id}",
            elements=[
                ButtonElement(
                    text=str(n),
                    action_id=Action.circle_pulse.with_suffix(str(n)),
                    value=f"{circle_id}|{n}",
                )
                for n in range(1, 6)
            ],
        ),
    ]


def left_out(*, program: str, month: str, reason: str) -> str:
    return (
        f"This month's peer circles for *{program}* ({month}) have been formed, and you are not in"
        f" one because {reason}. You will be included again once that changes."
    )
