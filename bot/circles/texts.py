"""What `/circle` says: help for the caller's roles, the list of circles, a formation preview."""

from __future__ import annotations

import datetime as dt

from bot.circles import blocks, rules, service
from bot.core.words import count
from bot.models import Role


def help_text(who: rules.Caller) -> str:
    """What the caller can do, for their roles."""
    lines = ["*/circle* runs your monthly peer circle."]
    lines.append("• `/circle list`: your circles this month, with members and meeting time")
    if who.has(Role.mentor) or who.has(Role.lead):
        lines += [
            (
                "• `/circle schedule YYYY-MM-DD HH:MM`: set the meeting time (your time zone);"
                " members get a reminder an hour before"
            ),
            "• `/circle prompt`: post another discussion prompt in the channel",
            "• `/circle note TEXT`: a private note on the session, for the program lead only",
            "• `/circle attended @name @name`: record who came",
            "• `/circle add @name` / `/circle remove @name`: change who is in the circle",
            (
                "• `/circle close`: post the closing pulse now (the channel is archived a few days"
                " later)"
            ),
        ]
    if who.has(Role.lead):
        lines.append("• `/circle form [--dry-run]`: form this month's circles now, or preview them")
    if not who.roles:
        lines.append("_You are not on a program roster yet; your program lead can add you._")
    elif not (who.has(Role.mentor) or who.has(Role.lead)):
        lines.append(
            "_Mentors and program leads run circles; as an executive you join the conversation in"
            " your circle's channel._"
        )
    lines.append("Run commands inside your circle's channel to act on that circle.")
    return "\n".join(lines)


def list_text(views: list[rules.CircleView], *, tz: str | None) -> str:
    if not views:
        return "You have no circle this month."
    lines = []
    for v in views[:30]:
        where = f"<#{v.channel_id}>" if v.channel_id else f"#{v.channel_name}"
        when = blocks.local_time(v.meeting_at, tz) if v.meeting_at else "no meeting time yet"
        people = ", ".join(
            f"<@{uid}>{' (mentor)' if role == Role.mentor else ''}" for uid, _, role in v.members
        )
        lines.append(f"*{where}* ({v.program}): {when}\n    {people}")
    if len(views) > 30:
        lines.append(f"…and {len(views) - 30} more.")
    return "\n".join(lines)


def preview_text(formation: service.Formation) -> str:
    """The proposed circles with the score of each constraint (shared by /circle form --dry-run and
    the CLI)."""
    m = formation.match
    names = formation.people
    lines = [
        f"Proposed circles for {formation.period.start:%B %Y}: {count(len(m.circles), 'circle')};"
        " repeat"
        f" pairs {m.repeat_pairs}, same-department pairs {m.same_department_pairs}, mentor load"
        f" {min(m.mentor_load.values(), default=0)}–{max(m.mentor_load.values(), default=0)}"
    ]
    for name, circle in zip(formation.names, m.circles, strict=False):
        people = ", ".join(
            (names[pid].display_name or names[pid].slack_user_id)
            + (" (mentor)" if i < circle.mentors else "")
            for i, pid in enumerate(circle.members)
        )
        lines.append(
            f"#{name}: {count(len(circle.members), 'person')},"
            f" {count(circle.departments, 'department')},"
            f" {count(circle.repeat_pairs, 'repeat pair')},"
            f" {count(circle.same_department_pairs, 'same-department pair')}: {people}"
        )
    for left in formation.left_out:
        lines.append(
            f"left out: {names[left.person_id].display_name or left.slack_user_id}: {left.reason}"
        )
    lines.extend(f"note: {n}" for n in m.notes)
    return "\n".join(lines)


def slack_date(instant: dt.datetime) -> str:
    """Slack renders this in each reader's own time zone."""
    return (
        f"<!date^{int(instant.timestamp())}^{{date_long_pretty}} at"
        f" {{time}}|{instant:%Y-%m-%d %H:%M} UTC>"
    )
