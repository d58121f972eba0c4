"""The weekly digest end to end: a 4-week pilot in the sandbox, then every number checked.

Eight executives behave differently (engaged, mixed, fading, absent), three mentors run the two
circles with `/circle`, and the lead (in London) gets a digest every Monday at 09:00. The test
recomputes each figure the digest shows from the raw rows, in plain Python, and finds it in the
message the lead received; then it checks the at-risk list and its reasons, small-group
suppression, the chart upload, the buttons, and the export.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from statistics import mean

from sqlalchemy import select

from bot.demo.cast import Cast
from bot.demo.roles import Executive, Habits, Mentor, MentorHabits
from bot.digest.service import Week, compute
from bot.models import (
    Answer,
    Delivery,
    DeliveryKind,
    Kpi,
    KpiObservation,
    ObservationSource,
    OutboxMessage,
    OutboxStatus,
    Person,
    Program,
)
from bot.sandbox import payloads
from tests.e2e.conftest import Stack, eventually

UTC = dt.UTC
START = dt.date(2026, 11, 3)  # a Tuesday; the pilot's last day is Monday 30 November
END_OF_RUN = dt.datetime(2026, 12, 8, tzinfo=UTC)
LEAD = "U07LEAD0001"
ENGAGED = ("U07EXEC0001", "U07EXEC0005", "U07EXEC0008")  # everything, right first time; KPIs rise
MIXED = ("U07EXEC0002", "U07EXEC0003")  # everything, wrong first then right; KPIs flat
FADING = ("U07EXEC0006", "U07EXEC0007")  # three modules, one check-in, one circle, then gone
ABSENT = "U07EXEC0004"  # never answers anything
HIDDEN = "not enough responses yet"


def text_of(message: dict) -> str:
    return json.dumps(message.get("blocks") or [], ensure_ascii=False) + message.get("text", "")


HABITS = {
    "engaged": Habits(),  # right first time, KPIs rising 1 -> 5, self-ratings 2 -> 4, pulse 5
    "mixed": Habits(wrong_first=1.0, checkin_value=lambda n: 2, ratings=(3, 3), pulse=lambda n: 4),
    "fading": Habits(
        modules=3,
        checkins=1,
        checkin_value=lambda n: 1,
        ratings=(2, None),
        meets=lambda n: n != 2,
        pulse=lambda n: 4 if n < 2 else 2,
    ),
    "absent": Habits(absent=True),
}


def cast_pilot(stack: Stack) -> Cast:
    """The eight executives by profile and the three mentors, reacting the moment a message
    arrives."""
    cast = Cast(stack)
    for profile, uids in (
        ("engaged", ENGAGED),
        ("mixed", MIXED),
        ("fading", FADING),
        ("absent", (ABSENT,)),
    ):
        for uid in uids:
            Executive(cast, uid, HABITS[profile])
    for uid in ("U07MENT0001", "U07MENT0002", "U07MENT0003"):
        # Each circle's first mentor schedules it two days ahead at 13:00 and writes a note; 4, then
        # 2 for the circle.
        Mentor(cast, uid, MentorHabits(pulse=lambda n: 4 if n < 2 else 2))
    return cast


def expected(stack: Stack, week: Week, program_id: int) -> dict:
    """The digest's figures recomputed from raw rows, without the digest's code or SQL."""
    start, end = week.window.start, week.window.end
    prev_start = start - dt.timedelta(days=7)
    with stack.session() as s:
        deliveries = s.execute(
            select(Delivery, Person.slack_user_id)
            .join(Person)
            .where(Delivery.program_id == program_id)
        ).all()
        answers = s.execute(
            select(Answer, Delivery).join(Delivery).where(Delivery.program_id == program_id)
        ).all()
        observations = s.execute(
            select(KpiObservation, Kpi).join(Kpi).where(Kpi.program_id == program_id)
        ).all()
        kpis = s.scalars(select(Kpi).where(Kpi.program_id == program_id).order_by(Kpi.id)).all()

    def active(a: dt.datetime, b: dt.datetime) -> int:
        people = {d.person_id for ans, d in answers if a <= ans.answered_at < b}
        people |= {d.person_id for d, _ in deliveries if d.completed_at and a <= d.completed_at < b}
        people |= {
            o.person_id
            for o, k in observations
            if o.source == ObservationSource.self_report and a <= o.recorded_at < b
        }
        return len(people)

    def completion(a: dt.datetime, b: dt.datetime) -> str:
        sent = [
            d
            for d, _ in deliveries
            if d.kind == DeliveryKind.module and d.sent_at and a <= d.sent_at < b
        ]
        if len({d.person_id for d in sent}) < 3:
            return HIDDEN
        done = sum(1 for d in sent if d.completed_at and d.completed_at < b)
        return f"{done / len(sent) * 100:.0f}%"

    def score(a: dt.datetime, b: dt.datetime) -> str:
        firsts = [
            (ans, d)
            for ans, d in answers
            if d.kind == DeliveryKind.module
            and ans.attempt == 1
            and ans.correct is not None
            and a <= ans.answered_at < b
        ]
        if len({d.person_id for _, d in firsts}) < 3:
            return HIDDEN
        return f"{mean(1.0 if ans.correct else 0.0 for ans, _ in firsts) * 100:.0f}%"

    kpi_latest = {}
    for kpi in kpis:
        if kpi.kind == "observed":
            continue
        by_week: dict[dt.date, list[int]] = defaultdict(list)
        for o, k in observations:
            if (
                k.id == kpi.id
                and o.source == ObservationSource.self_report
                and o.period_start <= week.monday
            ):
                by_week[o.period_start].append(o.value)
        shown = sorted(
            (w, v)
            for w, v in by_week.items()
            if len(v) >= 3 and w > week.monday - dt.timedelta(weeks=6)
        )
        first = min((w for w, v in by_week.items() if len(v) >= 3), default=None)
        kpi_latest[kpi.name] = (
            (
                shown[-1][0],
                mean(shown[-1][1]),
                len(shown[-1][1]),
                first,
                mean(by_week[first]) if first else None,
            )
            if shown
            else None
        )
    return {
        "active": active(start, end),
        "active_before": active(prev_start, start),
        "completion": completion(start, end),
        "score": score(start, end),
        "kpis": kpi_latest,
    }


def test_a_pilot_s_digests_show_the_right_numbers_at_risk_people_and_a_chart(stack: Stack) -> None:
    stack.create_pilot(start=START)
    cast = cast_pilot(stack)
    now = dt.datetime.combine(START, dt.time(), tzinfo=UTC)
    while now < END_OF_RUN:
        stack.tick(now)
        cast.act_until(now + dt.timedelta(hours=1))
        now += dt.timedelta(hours=1)

    lead = stack.person(LEAD)
    digests = [m for m in lead.bot_dms() if m.get("text", "").startswith("Weekly digest")]
    with stack.session() as s:
        program = s.scalars(select(Program)).one()
        program_id, tz = program.id, program.timezone
        outbox_rows = s.scalars(select(OutboxMessage)).all()
    assert {r.status for r in outbox_rows} == {OutboxStatus.sent}, [
        (r.idempotency_key, r.error) for r in outbox_rows if r.status != OutboxStatus.sent
    ]

    # One digest a week, Monday 09:00 London, for the five weeks the pilot touched: nothing twice.
    weeks = [Week.of(START + dt.timedelta(weeks=i), tz) for i in range(5)]
    assert [d["text"].split("week of ")[1].split(":")[0] for d in digests] == [
        f"{w.monday:%-d %b %Y}" for w in weeks
    ]
    for digest, week in zip(digests, weeks, strict=False):
        posted = next(
            r
            for r in outbox_rows
            if r.idempotency_key == f"digest:{program_id}:{week.label}:{_lead_id(stack)}"
        )
        assert posted.sent_at.astimezone(dt.UTC) >= week.window.end + dt.timedelta(hours=9)
        assert posted.sent_at < week.window.end + dt.timedelta(hours=10)

        # Every headline number, recomputed independently, is in the message the lead got.
        want = expected(stack, week, program_id)
        shown = text_of(digest)
        assert f"*Active executives*\\n{want['active']} of 8" in shown, (week.label, want)
        assert f"*Module completion*\\n{want['completion']}" in shown, (week.label, want)
        assert f"*First-attempt score*\\n{want['score']}" in shown, (week.label, want)
        diff = want["active"] - want["active_before"]
        if week == weeks[0]:  # the program's first week: there was no last week to compare with
            assert "last week)" not in shown and "the program's first week" in shown
        else:
            assert (f"({diff:+d} from last week)" if diff else "(same as last week)") in shown
        for name, latest in want["kpis"].items():
            if latest is None:
                assert f"*{name}* (self-reported): {HIDDEN}" in shown
                continue
            day, value, people, first, base = latest
            assert (
                f"*{name}* (self-reported): *{value:.1f}* in week of {day:%-d %b} ({people} people)"
                in shown
            ), (name, latest)
            if first is not None and first < day:
                assert f"{value - base:+.1f} since {first:%-d %b}" in shown

    final = text_of(digests[-1])
    # The engaged executives' KPI rose 1 -> 4 over the weeks: the trend says so.
    assert "Junior views asked first" in final
    # Before/after for the same people: engaged 2 -> 4 and mixed 3 -> 3 in every area.
    assert "*Digital*: 2.4 → 3.6 (+1.2, 5 people, same people before and after)" in final
    # Circle health: both circles met; the fading pair missed the second; one note per circle.
    assert "2 of 2 circles met" in final and "2 mentor notes" in final
    # At risk: the absent and the fading executives, with reasons in plain words.
    at_risk_text = final.split("At risk (")[1]
    assert f"<@{ABSENT}>: missed" in at_risk_text
    for uid in FADING:
        line = at_risk_text.split(f"<@{uid}>: ")[1].split('"')[0]
        assert "missed" in line and "modules in a row" in line
        assert (
            "pulse down 2.0" in line
            and "skipped the last circle" in line
            and "no check-in for 2 weeks" in line
        )
    for uid in ENGAGED + MIXED:
        assert f"<@{uid}>" not in at_risk_text

    # A chart follows each digest once there are two weeks of data: a real PNG, shared in the DM.
    charts = [f for f in stack.slack.workspace.files() if f["name"].startswith("upward-digest-")]
    assert len(charts) == len(weeks) - 1
    assert all(stack.slack.workspace.file_content(f["id"]).startswith(b"\x89PNG") for f in charts)
    assert all(lead.dm_channel_id in f["channels"] for f in charts)

    # Privacy: raised to 6 people, the 5-person KPI figures and the note excerpts (circles of 5)
    # hide.
    with stack.session() as s:
        before = compute(
            s, program=s.get(Program, program_id), catalog=stack.catalog, week=weeks[-2]
        )
        assert before.circles is not None and before.circles.excerpt is not None
        program = s.get(Program, program_id)
        program.settings = {**program.settings, "min_group_size": 6}
        strict = compute(s, program=program, catalog=stack.catalog, week=weeks[-2])
        s.rollback()
    points = [f for t in strict.kpis for _, f in t.points]
    assert all((f.value is None) == (f.people < 6) for f in points)
    assert any(f.people == 5 and f.value is None for f in points), (
        "weeks with 5 check-ins are hidden"
    )
    assert strict.circles.excerpt is None, "the newest note's circle has 5 members"
    assert strict.circles.pulse.people == 10 and strict.circles.pulse.value is not None, (
        "10 members rated it"
    )
    assert all(not s.before.shown for s in strict.skills)

    # The buttons: only the lead may use them; a nudge, a pause and a ping each do what they say.
    def click_as(uid: str, text: str) -> str:
        person = stack.person(uid)
        found = lead.find_action(digests[-1], text=text, value=None)
        hit = next(
            b
            for b in digests[-1]["blocks"]
            if b.get("block_id") == f"at-risk-{_person_id(stack, ABSENT)}"
        )
        element = next(e for e in hit["elements"] if e["text"]["text"] == text)
        before = len(person.ephemerals())
        with stack.slack.workspace.lock:
            action = payloads.action_entry(hit, element, option=None)
            body = payloads.block_actions(
                stack.slack.workspace,
                user_id=uid,
                action=action,
                message=digests[-1],
                channel_id=found["channel_id"],
                is_ephemeral=False,
            )
        assert stack.sender.send_interaction(body).status == 200
        assert eventually(lambda: len(person.ephemerals()) > before, timeout=20), (
            f"no answer to {uid}'s click on {text}"
        )
        return person.ephemerals()[-1]["text"]

    stack.clock.set(END_OF_RUN)
    assert "Only this program's leads" in click_as("U07MENT0001", "Pause 2 weeks")
    with stack.session() as s:
        assert s.scalar(select(Person.paused_until).where(Person.slack_user_id == ABSENT)) is None
    absent = stack.person(ABSENT)
    dms = len(absent.bot_dms())
    assert "friendly nudge" in click_as(LEAD, "Send a friendly nudge")
    eventually(lambda: len(absent.bot_dms()) > dms)
    assert "No pressure" in absent.bot_dms()[-1]["text"]
    assert "one a day" in click_as(LEAD, "Send a friendly nudge")
    assert "Paused" in click_as(LEAD, "Pause 2 weeks")
    with stack.session() as s:
        paused = s.scalar(select(Person.paused_until).where(Person.slack_user_id == ABSENT))
    assert paused == END_OF_RUN + dt.timedelta(weeks=2)
    answer = click_as(LEAD, "Ping their mentor")
    mentor = next(m for m in ("U07MENT0001", "U07MENT0002", "U07MENT0003") if f"<@{m}>" in answer)
    eventually(lambda: any(ABSENT in m.get("text", "") for m in stack.person(mentor).bot_dms()))

    # Mentors rated the focus behaviour once per circle; the export carries it with its source.
    from bot.governance.export import COLUMNS, export_rows

    with stack.session() as s:
        rows = list(export_rows(s, program_id=program_id, what="kpis"))
    assert all(tuple(r) == COLUMNS["kpis"] for r in rows)
    observed = [r for r in rows if r["source"] == "mentor"]
    assert len(observed) == 2 * 8 and {r["value"] for r in observed} == {4}


def _person_id(stack: Stack, uid: str) -> int:
    with stack.session() as s:
        return s.scalar(select(Person.id).where(Person.slack_user_id == uid))


def _lead_id(stack: Stack) -> int:
    with stack.session() as s:
        return s.scalar(select(Person.id).where(Person.slack_user_id == LEAD))
