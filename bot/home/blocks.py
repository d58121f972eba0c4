"""Block Kit for the App Home tab."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block, ContextBlock, DividerBlock, HeaderBlock, MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View

from bot.home.service import HomeView
from bot.models import PersonStatus

ROLE_WORDS = {"executive": "Executive", "mentor": "Mentor", "lead": "Program lead"}


def home_view(view: HomeView) -> View:
    """The home tab for one person."""
    blocks: list[Block] = [HeaderBlock(text="Upward")]
    if not view.known or not view.roles:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=(
                        "Upward runs *reverse mentoring* here: short modules in your DMs, monthly "
                        "peer circles with junior mentors, and a weekly digest for program leads.\n\n"
                        "You are not part of a program yet. Your program lead adds people with "
                        "`upward roster import`; once you are on a roster, this page shows your "
                        "progress and your circle."
                    )
                )
            )
        )
        return View(type="home", blocks=blocks)
    greeting = f"Hi {view.display_name}," if view.display_name else "Hi,"
    blocks.append(SectionBlock(text=MarkdownTextObject(text=f"{greeting} here is where you stand in Upward.")))
    blocks.append(DividerBlock())
    for role in view.roles[:20]:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"*{role.program}*: {ROLE_WORDS[role.role]} · started {role.start_date:%d %b %Y}"
                    + ("" if role.status == "active" else f" · _{role.status}_")
                )
            )
        )
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_status_line(view))]))
    return View(type="home", blocks=blocks)


def _status_line(view: HomeView) -> str:
    if view.status == PersonStatus.opted_out:
        return "You opted out of Upward's messages."
    if view.status == PersonStatus.paused and view.paused_until is not None:
        local = view.paused_until.astimezone(ZoneInfo(view.timezone)) if view.timezone else view.paused_until
        return f"Paused until {local:%a %d %b %Y}."
    return "Messages arrive in your working hours" + (f" ({view.timezone})." if view.timezone else ".")
