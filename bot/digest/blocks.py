"""The digest as Block Kit (for Slack) and as plain text (for `upward digest preview`)."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.core.ids import Action
from bot.core.words import count
from bot.digest.model import AtRisk, Digest, Figure, KpiTrend

HIDDEN = "not enough responses yet"
BARS = "▁▂▃▄▅▆▇█"
GAP = "·"


def pct(f: Figure) -> str:
    return f"{f.value * 100:.0f}%" if f.value is not None else HIDDEN


def points_change(now: Figure, before: Figure) -> str:
    """' (+5 pts)' between two shares, or '' when either is hidden."""
    if now.value is None or before.value is None:
        return ""
    diff = round((now.value - before.value) * 100)
    return f" ({diff:+d} pts from last week)" if diff else " (same as last week)"


def count_change(now: int, before: int) -> str:
    diff = now - before
    return f" ({diff:+d} from last week)" if diff else " (same as last week)"


def sparkline(trend: KpiTrend) -> str:
    """One bar per period on the KPI's own scale; a dot where too few answered."""
    span = trend.scale_max - trend.scale_min or 1
    out = []
    for _, f in trend.points:
        if f.value is None:
            out.append(GAP)
        else:
            out.append(BARS[round((f.value - trend.scale_min) / span * (len(BARS) - 1))])
    return "".join(out)


def kpi_line(trend: KpiTrend) -> str:
    who = "mentors' view" if trend.observed_by_mentors else "self-reported"
    if trend.latest is None:
        return f"*{trend.name}* ({who}): {HIDDEN}"
    day, latest = trend.latest
    text = (
        f"`{sparkline(trend)}` *{trend.name}* ({who}): *{latest.value:.1f}* in week of {day:%-d %b}"
        f" ({count(latest.people, 'person')})"
    )
    change = trend.change
    if change is not None and trend.baseline is not None:
        text += f", {change:+.1f} since {trend.baseline[0]:%-d %b}"
    return text


def skill_lines(digest: Digest) -> list[str]:
    lines = []
    for s in digest.skills:
        area = s.area.capitalize()
        if s.before.shown and s.after.shown:
            diff = s.after.value - s.before.value  # type: ignore[operator]
            lines.append(
                f"*{area}*: {s.before.value:.1f} → {s.after.value:.1f} ({diff:+.1f},"
                f" {s.after.people} people, same people before and after)"
            )
        elif s.baseline.shown:
            lines.append(
                f"*{area}*: {s.baseline.value:.1f} at the start ({s.baseline.people} people); the"
                " closing assessment shows the change"
            )
        else:
            lines.append(f"*{area}*: {HIDDEN}")
    return lines


def circle_lines(digest: Digest, *, shared: bool = False) -> list[str]:
    """How the newest circles went; a shared channel's copy quotes no note."""
    c = digest.circles
    if c is None:
        return ["No circles yet."]
    pulse = f"{c.pulse.value:.1f}/5" if c.pulse.value is not None else HIDDEN
    lines = [
        f"*{c.period_start:%-d %b}–{c.period_end:%-d %b}*: {c.met} of {count(c.circles, 'circle')}"
        f" met · attendance {pct(c.attendance)} · pulse {pulse} · {count(c.notes, 'mentor note')}"
    ]
    if shared:
        return lines
    if c.excerpt:
        lines.append(f"> _{c.excerpt}_")
    elif c.notes:
        lines.append(f"_Newest note: {HIDDEN} (its circle is smaller than {digest.min_group})._")
    return lines


def learning_lines(digest: Digest) -> list[str]:
    lines = []
    if digest.hardest is not None:
        h = digest.hardest
        lines.append(
            f"Hardest question: “{h.prompt}” ({h.module_title}): {pct(h.right_first_time)} right"
            " first time"
        )
    if digest.most_completed is not None:
        m = digest.most_completed
        lines.append(f"Most completed: {m.title} ({pct(m.completion)})")
    if digest.least_completed is not None:
        m = digest.least_completed
        lines.append(f"Least completed: {m.title} ({pct(m.completion)})")
    return lines or [f"No modules went out this week to {digest.min_group} or more people."]


def headline_fields(digest: Digest) -> list[tuple[str, str]]:
    """The four headline figures; each with its change from last week if last week was part of the
    program."""
    active, active_before = digest.active
    compared = digest.has_last_week
    return [
        (
            "Active executives",
            f"{active} of {digest.enrolled}"
            + (count_change(active, active_before) if compared else ""),
        ),
        (
            "Module completion",
            pct(digest.completion[0]) + (points_change(*digest.completion) if compared else ""),
        ),
        (
            "First-attempt score",
            pct(digest.score[0]) + (points_change(*digest.score) if compared else ""),
        ),
        ("At risk", str(digest.at_risk_total)),
    ]


def week_note(digest: Digest) -> str:
    """What a reader must know about the week: before the program, or its first week; else ''."""
    if not digest.started:
        return f"the program starts on {digest.program_start:%a %-d %b}: nothing to report yet"
    if not digest.has_last_week:
        return "the program's first week, so no change from last week"
    return ""


def title(digest: Digest) -> str:
    return f"Weekly digest · {digest.program_name} · week of {digest.week.monday:%-d %b %Y}"


def summary_text(digest: Digest) -> str:
    """The notification text (what a phone shows)."""
    active, _ = digest.active
    return (
        f"{title(digest)}: {active} of {count(digest.enrolled, 'executive')} active, completion"
        f" {pct(digest.completion[0])}"
    )


def digest_blocks(digest: Digest, *, shared: bool = False) -> list[Block]:
    """The digest message: at most 50 blocks whatever the program's size.

    The leads' own copy names who is at risk and why, with buttons to act, quotes the newest mentor
    note and lists whom Slack refused; a `shared` copy (the program's digest channel, where anyone
    in it may read) has the aggregates only: no name, no person's reasons, no button, no note.
    """
    blocks: list[Block] = [
        HeaderBlock(text=title(digest)[:150]),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=" · ".join(
                        part
                        for part in (
                            digest.week.label,
                            week_note(digest),
                            f"figures covering fewer than {digest.min_group} people are hidden",
                        )
                        if part
                    )
                )
            ]
        ),
        SectionBlock(
            fields=[
                MarkdownTextObject(text=f"*{name}*\n{value}")
                for name, value in headline_fields(digest)
            ]
        ),
        DividerBlock(),
    ]
    sections = [
        ("KPI trends, last 6 weeks", [kpi_line(t) for t in digest.kpis] or ["No KPIs."]),
        (
            "Before → after, by skill area",
            skill_lines(digest) or ["No assessment in this program."],
        ),
        ("Peer circles", circle_lines(digest, shared=shared)),
        ("This week's learning", learning_lines(digest)),
    ]
    for name, lines in sections:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=_fit(f"*{name}*\n" + "\n".join(lines))))
        )
    blocks.append(DividerBlock())
    if shared:
        return blocks + _shared_tail(digest)
    if digest.at_risk:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=f"*At risk ({digest.at_risk_total})*"))
        )
        for person in digest.at_risk:
            blocks.extend(at_risk_blocks(digest.program_id, person))
        if digest.at_risk_total > len(digest.at_risk):
            more = digest.at_risk_total - len(digest.at_risk)
            blocks.append(
                ContextBlock(
                    elements=[
                        MarkdownTextObject(
                            text=(
                                f"…and {more} more: `upward export --what deliveries` lists"
                                " everyone."
                            )
                        )
                    ]
                )
            )
    else:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text="*At risk*: nobody this week :tada:"))
        )
    if digest.undeliverable:
        lines = [
            f"• {who}: {error}" + (f" ×{n}" if n > 1 else "")
            for who, error, n in digest.undeliverable
        ]
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=_fit(":warning: *Messages Slack refused*\n" + "\n".join(lines))
                )
            )
        )
    return blocks


def _shared_tail(digest: Digest) -> list[Block]:
    """At risk and refused messages as counts, for a shared channel."""
    at_risk = (
        f"*At risk*: {count(digest.at_risk_total, 'executive')} (your program leads see who, and"
        " can help, in their own copy)"
        if digest.at_risk_total
        else "*At risk*: nobody this week :tada:"
    )
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=at_risk))]
    refused = sum(n for _, _, n in digest.undeliverable)
    if refused:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f":warning: Slack refused {count(refused, 'message')} this week."
                    )
                ]
            )
        )
    return blocks


def at_risk_blocks(program_id: int, person: AtRisk) -> list[Block]:
    value = f"{program_id}|{person.person_id}"
    buttons = [
        ButtonElement(
            text="Send a friendly nudge",
            action_id=Action.digest_nudge,
            value=value,
            style="primary",
        ),
        ButtonElement(text="Pause 2 weeks", action_id=Action.digest_pause, value=value),
    ]
    if person.mentor_slack_id:
        buttons.append(
            ButtonElement(
                text="Ping their mentor", action_id=Action.digest_ping_mentor, value=value
            )
        )
    return [
        SectionBlock(
            text=MarkdownTextObject(text=f"<@{person.slack_user_id}>: {'; '.join(person.reasons)}")
        ),
        ActionsBlock(block_id=f"at-risk-{person.person_id}", elements=buttons),
    ]


def _fit(text: str) -> str:
    return text if len(text) <= 3000 else text[:2999] + "…"


def digest_text(digest: Digest) -> str:
    """The same digest for a terminal (`upward digest preview`)."""
    out = [
        title(digest),
        "; ".join(
            part
            for part in (
                digest.week.label,
                week_note(digest),
                f"figures covering fewer than {digest.min_group} people are hidden",
            )
            if part
        ),
        "",
    ]
    out += [f"{name}: {value}" for name, value in headline_fields(digest)]
    sections = [
        ("KPI trends, last 6 weeks", [kpi_line(t) for t in digest.kpis]),
        ("Before → after, by skill area", skill_lines(digest)),
        ("Peer circles", circle_lines(digest)),
        ("This week's learning", learning_lines(digest)),
    ]
    for name, lines in sections:
        out += ["", name] + [f"  {_plain(line)}" for line in lines]
    out += ["", f"At risk ({digest.at_risk_total})"]
    out += [f"  {p.name} ({p.slack_user_id}): {'; '.join(p.reasons)}" for p in digest.at_risk] or [
        "  nobody this week"
    ]
    if digest.undeliverable:
        out += ["", "Messages Slack refused"] + [
            f"  {who}: {error} x{n}" for who, error, n in digest.undeliverable
        ]
    return "\n".join(out)


def _plain(line: str) -> str:
    """mrkdwn emphasis dropped for a terminal."""
    if line.startswith("> _") and line.endswith("_"):
        return f"“{line[3:-1]}”"
    if line.startswith("_") and line.endswith("_"):
        line = line[1:-1]
    return line.replace("*", "").replace("`", "")
