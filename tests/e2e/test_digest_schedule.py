"""When digests go out: Monday 09:00 in each lead's own zone, once, the latest week only, to the
program's channel too when it has one; and the `upward digest` commands."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

from sqlalchemy import select

from bot.db import session_scope
from bot.models import DigestRun, OutboxMessage, Program, Purpose, RunStatus
from bot.programs.service import configure
from bot.sandbox.people import SimulatedUser
from bot.slack.records import Record
from tests.e2e.conftest import DEMO_ROSTER, Stack

UTC = dt.UTC
START = dt.date(2026, 11, 3)
LONDON_LEAD = "U07LEAD0001"
CHANNEL = "C07PROGRAM1"  # #reverse-mentoring in the demo workspace; Upward is a member


def digests(person: SimulatedUser) -> list[str]:
    return [m["text"] for m in person.bot_dms() if m.get("text", "").startswith("Weekly digest")]


def with_new_york_lead(stack: Stack) -> str:
    uid = stack.slack.workspace.add_user(
        name="nylead", real_name="Nadia York", tz="America/New_York"
    )["id"]
    stack.create_pilot(start=START, roster=DEMO_ROSTER.read_text() + f"{uid},lead,US,People\n")
    with session_scope(stack.sessions) as session:
        configure(
            session,
            name="Pilot",
            digest_at=None,
            digest_channel=CHANNEL,
            min_group=None,
            now=dt.datetime.now(UTC),
        )
    return uid


def test_each_lead_gets_it_at_nine_on_monday_their_time_and_the_channel_too_once(
    stack: Stack,
) -> None:
    ny_lead = with_new_york_lead(stack)
    london, new_york = stack.person(LONDON_LEAD), stack.person(ny_lead)
    monday = dt.datetime(2026, 11, 9, tzinfo=UTC)  # London is on UTC in November; New York is UTC-5
    stack.tick(monday + dt.timedelta(hours=8, minutes=59))
    assert digests(london) == [] and digests(new_york) == []
    stack.tick(monday + dt.timedelta(hours=9))
    assert [t.split(":")[0] for t in digests(london)] == [
        "Weekly digest · Pilot · week of 2 Nov 2026"
    ]
    assert digests(new_york) == []
    in_channel = [
        m
        for m in stack.slack.workspace.channel_messages(CHANNEL)
        if m.get("text", "").startswith("Weekly digest")
    ]
    assert len(in_channel) == 1
    stack.tick(monday + dt.timedelta(hours=13, minutes=59))
    assert digests(new_york) == []
    stack.tick(monday + dt.timedelta(hours=14))
    assert len(digests(new_york)) == 1
    for hour in range(15, 40):  # later ticks the same week send nothing again
        stack.tick(monday + dt.timedelta(hours=hour))
    assert len(digests(london)) == len(digests(new_york)) == 1
    with stack.session() as s:
        runs = s.scalars(select(DigestRun)).all()
    assert [(r.period, r.status) for r in runs] == [("2026-W45", RunStatus.done)]
    assert runs[0].summary["enrolled"] == 8


def test_a_worker_back_after_a_week_away_sends_only_the_latest_week(stack: Stack) -> None:
    stack.create_pilot(start=START)
    stack.tick(dt.datetime(2026, 11, 9, 9, tzinfo=UTC))
    assert len(digests(stack.person(LONDON_LEAD))) == 1
    # Down from Monday 16 to Wednesday 25 November: W46's digest was never sent, and never will be.
    stack.tick(dt.datetime(2026, 11, 25, 10, tzinfo=UTC))
    texts = digests(stack.person(LONDON_LEAD))
    assert len(texts) == 2 and "week of 16 Nov" in texts[-1]
    with stack.session() as s:
        keys = sorted(
            k for k in s.scalars(select(OutboxMessage.idempotency_key)) if k.startswith("digest:")
        )
    assert [k.split(":")[2] for k in keys] == ["2026-W45", "2026-W47"]


def test_after_the_pilot_ends_the_last_digest_covers_its_final_week(stack: Stack) -> None:
    stack.create_pilot(start=START)  # ends Monday 30 November
    for day in (dt.date(2026, 12, 7), dt.date(2026, 12, 14)):
        stack.tick(dt.datetime.combine(day, dt.time(9), tzinfo=UTC))
    texts = digests(stack.person(LONDON_LEAD))
    assert len(texts) == 1 and "week of 30 Nov" in texts[0]


def test_preview_prints_the_digest_and_send_sends_it_now(stack: Stack, tmp_path) -> None:  # type: ignore[no-untyped-def]
    stack.create_pilot(start=START)
    env = {
        "DATABASE_URL": stack.settings.database_url,
        "SLACK_API_URL": stack.slack.api_url,
        "SLACK_BOT_TOKEN": stack.slack.bot_token,
        "SLACK_SIGNING_SECRET": stack.slack.signing_secret,
        "PATH": "/usr/bin:/bin",
    }

    def upward(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )

    shown = upward("digest", "preview", "--program", "Pilot", "--week", "2026-W46")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("Weekly digest · Pilot · week of 9 Nov 2026")
    assert "Active executives: 0 of 8" in shown.stdout and "At risk (" in shown.stdout
    assert stack.slack.workspace.calls_to("chat.postMessage") == [], "preview sends nothing"
    bad = upward("digest", "preview", "--program", "Pilot", "--week", "46")
    assert (
        bad.returncode == 1 and "--week: week '46' is not an ISO week like 2026-W49" in bad.stderr
    )
    missing = upward("digest", "preview", "--program", "Nope")
    assert missing.returncode == 1 and "no program named 'Nope'" in missing.stderr

    sent = upward("digest", "send", "--program", "Pilot", "--week", "2026-W46")
    assert sent.returncode == 0, sent.stderr
    assert "Sent the 2026-W46 digest of 'Pilot' to 1 recipient: 1 message sent." in sent.stdout
    assert len(digests(stack.person(LONDON_LEAD))) == 1
    again = upward("digest", "send", "--program", "Pilot", "--week", "2026-W46")
    assert again.returncode == 0 and len(digests(stack.person(LONDON_LEAD))) == 2, (
        "asked twice, sent twice"
    )

    configured = upward(
        "program", "configure", "Pilot", "--digest-at", "tue 08:30", "--min-group", "5"
    )
    assert (
        configured.returncode == 0
        and "digest tue 08:30" in configured.stdout
        and "5+ people" in configured.stdout
    )
    wrong = upward("program", "configure", "Pilot", "--min-group", "2")
    assert wrong.returncode == 1 and "3 to 50" in wrong.stderr
    with stack.session() as s:
        program = s.scalars(select(Program)).one()
        assert program.settings["min_group_size"] == 5 and program.settings["digest_weekday"] == 1


PERMANENT = (
    "user_not_found",
    "account_inactive",
    "channel_not_found",
    "is_archived",
    "missing_scope",
)


def test_messages_slack_refuses_for_good_are_tried_once_and_shown_to_the_lead(stack: Stack) -> None:
    from bot.digest.blocks import digest_blocks
    from bot.digest.service import Week, compute
    from bot.models import OutboxStatus, Person
    from bot.slack import outbox

    stack.create_pilot(start=START)
    executives = [
        "U07EXEC0001",
        "U07EXEC0002",
        "U07EXEC0003",
        "U07EXEC0004",
        "U07EXEC0005",
        "U07EXEC0006",
    ]
    sent_at = dt.datetime(2026, 11, 5, 12, tzinfo=UTC)
    with session_scope(stack.sessions) as session:
        program = session.scalars(select(Program)).one()
        people = dict(
            session.execute(
                select(Person.slack_user_id, Person.id).where(Person.slack_user_id.in_(executives))
            ).all()
        )
        for uid in executives:
            outbox.enqueue(
                session,
                Record(Purpose.other, f"note:{uid}"),
                method="chat.postMessage",
                payload={"channel": uid, "text": "Hello"},
                now=sent_at,
                program_id=program.id,
                person_id=people[uid],
            )
    for error in PERMANENT:
        stack.slack.faults.fail_next("chat.postMessage", error=error, status=200)
    stack.tick(sent_at)
    stack.tick(sent_at + dt.timedelta(hours=6))  # later ticks do not try them again
    with stack.session() as s:
        rows = {
            r.idempotency_key: r
            for r in s.scalars(
                select(OutboxMessage).where(OutboxMessage.idempotency_key.like("note:%"))
            )
        }
        digest = compute(
            s,
            program=s.get(Program, program.id),
            catalog=stack.catalog,
            week=Week.parse("2026-W45", "Europe/London"),
        )
    refused = {
        k: (r.status, r.error, r.attempts)
        for k, r in rows.items()
        if r.status == OutboxStatus.failed
    }
    assert refused == {
        f"note:{uid}": (OutboxStatus.failed, error, 1)
        for uid, error in zip(executives, PERMANENT, strict=False)
    }
    assert rows["note:U07EXEC0006"].status == OutboxStatus.sent, "one refusal blocks nobody else"
    assert sorted(error for _, error, _ in digest.undeliverable) == sorted(PERMANENT)
    shown = str([b.to_dict() for b in digest_blocks(digest)])
    assert "Messages Slack refused" in shown and all(error in shown for error in PERMANENT)


def test_the_channel_copy_has_aggregates_only_and_the_leads_copy_names_who_is_at_risk(
    stack: Stack,
) -> None:
    """A digest channel is shared: the lead's DM used to be copied there verbatim, naming at-risk
    executives with their reasons ("pulse down 2.0") and carrying the action buttons."""
    with_new_york_lead(stack)
    day = dt.datetime(2026, 11, 3, tzinfo=UTC)
    while day < dt.datetime(2026, 12, 1, 10, tzinfo=UTC):  # nobody answers anything for 4 weeks
        stack.tick(day)
        day += dt.timedelta(hours=3)
    lead_copy = [m for m in stack.person(LONDON_LEAD).bot_dms() if "Weekly digest" in m["text"]]
    shared = [
        m
        for m in stack.slack.workspace.channel_messages(CHANNEL)
        if m.get("text", "").startswith("Weekly digest")
    ]
    assert len(shared) == len(lead_copy) >= 3
    executives = [
        u for u in stack.slack.workspace.state.users.values() if u.id.startswith("U07EXEC")
    ]
    lead_text = json.dumps(lead_copy[-1]["blocks"])
    assert any(u.id in lead_text for u in executives), "the lead's copy names who is at risk"
    assert '"type": "actions"' in lead_text
    for message in shared:
        text = json.dumps(message["blocks"], ensure_ascii=False) + message["text"]
        assert not [u.id for u in executives if u.id in text]
        assert not [u.real_name for u in executives if u.real_name and u.real_name in text]
        assert '"type": "actions"' not in text and "digest.nudge" not in text
    assert "At risk*: 8 executives" in json.dumps(shared[-1]["blocks"])
