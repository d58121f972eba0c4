"""Block Kit for the App Home tab."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.core.ids import Action
from bot.core.limits import VIEW_BLOCKS_MAX
from bot.core.words import count
from bot.home.service import HomeView
from bot.models import PersonStatus, Role

ROLE_WORDS = {Role.executive: "executive", Role.mentor: "mentor", Role.lead: "program lead"}


def home_view(view: HomeView) -> View:
    """The home tab for one person: who they are, then their programs, circles and the programs
    they lead, then their controls (kept: what is cut to fit Slack's 100 blocks is the middle)."""
    head: list[Block] = [HeaderBlock(text="Upward")]
    if not view.known or not view.roles:
        head.append(SectionBlock(text=MarkdownTextObject(text=NOT_YET)))
        return View(type="home", blocks=head)
    greeting = f"Hi {view.display_name}!" if view.display_name else "Hi!"
    roles = "; ".join(
        f"{ROLE_WORDS[r]} in *{program}*" for program, rs in view.roles.items() for r in sorted(rs)
    )
    head.append(SectionBlock(text=MarkdownTextObject(text=f"{greeting} You are {roles}.")))
    head.append(ContextBlock(elements=[MarkdownTextObject(text=_status_line(view))]))
    body = _progress(view) + _circles(view) + _leads(view)
    tail: list[Block] = [DividerBlock(), _controls(view)]
    body = body[: VIEW_BLOCKS_MAX - len(head) - len(tail)]
    return View(type="home", blocks=head + body + tail)


NOT_YET = (
    "Upward runs *reverse mentoring* here: short modules in your DMs, monthly peer circles with"
    " junior mentors, and a weekly digest for program leads.\n\nYou are not part of a program"
    " yet. Once your program lead adds you, this page shows your progress, your next module and"
    " your circle."
)


def _progress(view: HomeView) -> list[Block]:
    """An executive's standing in each of their programs."""
    blocks: list[Block] = []
    for p in view.progress:
        score = (
            f"{p.first_try_score:.0%} right first time"
            if p.first_try_score is not None
            else "no answers yet"
        )
        lines = [
            f"*Your progress in {p.program}*",
            (
                f":white_check_mark: {p.done} of {count(p.total, 'module')} done · :dart: {score} ·"
                f" :fire: streak {p.streak}"
            ),
        ]
        if p.next_title and p.next_due:
            lines.append(
                f":calendar: Next: *{p.next_title}*, from {_when(p.next_due, view.timezone)}"
            )
        elif p.total and p.done == p.total:
            lines.append(":tada: You have finished every module. Thank you!")
        blocks += [DividerBlock(), SectionBlock(text=MarkdownTextObject(text="\n".join(lines)))]
    return blocks


def _circles(view: HomeView) -> list[Block]:
    """This month's circle in each program."""
    blocks: list[Block] = []
    for c in view.circles:
        where = f"<#{c.channel_id}>" if c.channel_id else f"#{c.channel_name}"
        meeting = (
            f"meets {_when(c.meeting_at, view.timezone)}" if c.meeting_at else "no meeting time yet"
        )
        text = (
            f"*Your circle this month ({c.program})*: {where} · {count(c.members, 'person')} ·"
            f" {meeting}"
        )
        blocks.append(SectionBlock(text=MarkdownTextObject(text=text)))
    return blocks


def _leads(view: HomeView) -> list[Block]:
    """Each program the person leads, in one line."""
    blocks: list[Block] = []
    for lead in view.leads:
        completion = f"{lead.completion:.0%}" if lead.completion is not None else "n/a yet"
        text = (
            f"*{lead.program}* ({lead.status.value}): {count(lead.executives, 'executive')} ·"
            f" module completion {completion} · {lead.at_risk} at risk. The full digest arrives"
            " every Monday."
        )
        blocks += [DividerBlock(), SectionBlock(text=MarkdownTextObject(text=text))]
    return blocks


def _controls(view: HomeView) -> ActionsBlock:
    if view.status == PersonStatus.opted_out or view.paused:
        elements: list[ButtonElement | DatePickerElement] = [
            ButtonElement(
                text="Resume Upward", action_id=Action.resume, value="resume", style="primary"
            )
        ]
    else:
        elements = [
            ButtonElement(text="Snooze a week", action_id=Action.snooze, value="0|||0"),
            DatePickerElement(action_id=Action.pause_until, placeholder="Pause until…"),
            ButtonElement(
                text="Stop all messages",
                action_id=Action.opt_out,
                value="0|||0",
                style="danger",
                confirm=ConfirmObject(
                    title="Stop Upward's messages?",
                    text="You will get no more modules or check-ins until you resume here.",
                    confirm="Stop messages",
                    deny="Keep them",
                ),
            ),
        ]
    return ActionsBlock(block_id="home-controls", elements=elements)


def _when(instant: dt.datetime | None, tz: str | None) -> str:
    if instant is None:
        return "soon"
    local = instant.astimezone(ZoneInfo(tz)) if tz else instant
    return f"{local:%a %-d %b, %H:%M}" + ("" if tz else " UTC")


def _status_line(view: HomeView) -> str:
    if view.status == PersonStatus.opted_out:
        return ":no_bell: You stopped Upward's messages. *Resume Upward* below brings them back."
    if view.paused_until is not None:
        return f":double_vertical_bar: Paused until {_when(view.paused_until, view.timezone)}."
    if view.status == PersonStatus.paused:
        return ":double_vertical_bar: Paused."
    zone = f" ({view.timezone})" if view.timezone else ""
    if view.progress:
        return f":bell: Modules arrive on working days, in your working hours{zone}."
    # Mentors and leads get no modules: say what does reach them instead.
    what = []
    if any(Role.mentor in rs for rs in view.roles.values()):
        what.append("your circle's reminders")
    if any(Role.lead in rs for rs in view.roles.values()):
        what.append("the weekly digest")
    return f":bell: Upward sends you {' and '.join(what) or 'its messages'} on working days{zone}."
