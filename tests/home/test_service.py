"""What App Home shows each person: an executive's progress and next module, a mentor's circle, a
lead's programs, and nothing personal for someone Upward does not know."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.home.service import CircleInfo, HomeView, LeadSummary, Progress, home_for
from bot.models import (
    Answer,
    CircleMember,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Membership,
    Person,
    PersonStatus,
    Program,
    ProgramStatus,
    Role,
)
from tests import factories

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 9, 12, tzinfo=UTC)
CAT = factories.catalog()
NEXT_DUE = dt.datetime(2026, 12, 10, 8, tzinfo=UTC)


def answered(session: Session, d: Delivery, *answers: tuple[str, int, str, bool | None]) -> None:
    for question, attempt, value, correct in answers:
        session.add(
            Answer(
                delivery_id=d.id,
                question_id=question,
                attempt=attempt,
                value=value,
                correct=correct,
            )
        )
    session.flush()


def learner(session: Session, prog: Program, uid: str = "U0ALICE001") -> Person:
    """An executive two modules in: m1 done, m2 left unfinished, m3 done, m4 still to come."""
    alice = factories.person(session, prog, uid, tz="Europe/Berlin", country="DE", name="Alice")
    baseline = factories.delivery(
        session,
        prog,
        alice,
        "baseline",
        sequence=0,
        kind=DeliveryKind.baseline,
        status=DeliveryStatus.completed,
    )
    m1 = factories.delivery(session, prog, alice, "m1", sequence=1, status=DeliveryStatus.completed)
    factories.delivery(session, prog, alice, "m2", sequence=2, status=DeliveryStatus.sent)
    m3 = factories.delivery(session, prog, alice, "m3", sequence=3, status=DeliveryStatus.completed)
    factories.delivery(
        session, prog, alice, "m4", sequence=4, status=DeliveryStatus.pending, due_at=NEXT_DUE
    )
    answered(session, baseline, ("self-digital", 1, "3", None))  # a rating: never scored
    answered(
        session,
        m1,
        ("m1-q1", 1, "b", True),
        ("m1-q2", 1, "a", False),
        ("m1-q2", 2, "b", True),  # a retry: only the first attempt counts
        ("reflection", 1, "Thoughts", None),
    )
    answered(session, m3, ("m3-q1", 1, "b", True), ("m3-q2", 1, "b", True))
    return alice


def test_someone_upward_does_not_know_sees_the_invitation_only(session: Session) -> None:
    prog = factories.program(session, CAT)
    gone = factories.person(session, prog, "U0GONE0001", tz="UTC", country=None)
    gone.forgotten_at = NOW - dt.timedelta(days=1)

    assert home_for(session, slack_user_id="U0NOBODY01", catalog=CAT, now=NOW) == HomeView(
        known=False
    )
    assert home_for(session, slack_user_id="U0GONE0001", catalog=CAT, now=NOW) == HomeView(
        known=False
    )


def test_an_executive_sees_progress_score_streak_and_next_module(session: Session) -> None:
    prog = factories.program(session, CAT)
    learner(session, prog)

    view = home_for(session, slack_user_id="U0ALICE001", catalog=CAT, now=NOW)

    assert (view.known, view.display_name, view.timezone) == (True, "Alice", "Europe/Berlin")
    assert view.roles == {"Mini": {Role.executive}}
    assert view.progress == [
        Progress(
            program="Mini",
            done=2,  # modules only: the baseline is not one
            total=4,
            first_try_score=0.75,  # 3 of the 4 first attempts right
            streak=1,  # m3; m2 before it was left unfinished
            next_title="Module m4",
            next_due=NEXT_DUE,
        )
    ]
    assert (view.circles, view.leads, view.paused) == ([], [], False)


def test_an_executive_who_has_answered_nothing_has_no_score_yet(session: Session) -> None:
    prog = factories.program(session, CAT)
    bob = factories.person(session, prog, "U0BOB00001", tz="UTC", country=None)
    factories.delivery(session, prog, bob, "m1", sequence=1, status=DeliveryStatus.sent)

    (progress,) = home_for(session, slack_user_id="U0BOB00001", catalog=CAT, now=NOW).progress

    assert (progress.done, progress.total, progress.first_try_score, progress.streak) == (
        0,
        1,
        None,
        0,
    )
    assert (progress.next_title, progress.next_due) == (None, None)


def test_a_finished_executive_has_no_next_module(session: Session) -> None:
    prog = factories.program(session, CAT)
    alice = factories.person(session, prog, "U0ALICE001", tz="UTC", country=None)
    for i in (1, 2):
        factories.delivery(
            session, prog, alice, f"m{i}", sequence=i, status=DeliveryStatus.completed
        )

    (progress,) = home_for(session, slack_user_id="U0ALICE001", catalog=CAT, now=NOW).progress

    assert (progress.done, progress.total, progress.streak, progress.next_title) == (2, 2, 2, None)


@pytest.mark.parametrize(
    "status, paused_until, shown_until, paused",
    [
        (PersonStatus.active, None, None, False),
        (PersonStatus.active, NOW + dt.timedelta(days=3), NOW + dt.timedelta(days=3), True),
        (PersonStatus.active, NOW - dt.timedelta(seconds=1), None, False),  # a pause that ended
        (PersonStatus.paused, None, None, True),
        (PersonStatus.opted_out, None, None, False),
    ],
)
def test_the_view_says_whether_messages_are_paused_or_stopped(
    session: Session,
    status: PersonStatus,
    paused_until: dt.datetime | None,
    shown_until: dt.datetime | None,
    paused: bool,
) -> None:
    prog = factories.program(session, CAT)
    alice = learner(session, prog)
    alice.status, alice.paused_until = status, paused_until

    view = home_for(session, slack_user_id="U0ALICE001", catalog=CAT, now=NOW)

    assert (view.status, view.paused_until, view.paused) == (status, shown_until, paused)
    assert len(view.progress) == 1, "progress is shown whatever the state"


def test_a_mentor_sees_this_months_circle_and_no_progress(session: Session) -> None:
    prog = factories.program(session, CAT)
    mentor = factories.person(session, prog, "U0MENTOR01", tz="UTC", country=None, role=Role.mentor)
    executives = [
        factories.person(session, prog, f"U0EXEC000{i}", tz="UTC", country=None) for i in (1, 2, 3)
    ]
    members = [(mentor, Role.mentor)] + [(e, Role.executive) for e in executives]
    factories.circle(
        session,
        prog,
        members,
        number=1,
        start=dt.date(2026, 11, 1),
        end=dt.date(2026, 11, 30),
        channel_id="C0NOVEMBER",
    )
    december = factories.circle(session, prog, members, number=2, channel_id="C0DECEMBER")
    december.meeting_at = dt.datetime(2026, 12, 15, 14, tzinfo=UTC)
    session.scalars(
        select(CircleMember).where(
            CircleMember.circle_id == december.id, CircleMember.person_id == executives[2].id
        )
    ).one().left_at = NOW

    view = home_for(session, slack_user_id="U0MENTOR01", catalog=CAT, now=NOW)

    assert view.roles == {"Mini": {Role.mentor}}
    assert view.progress == [] and view.leads == []
    assert view.circles == [
        CircleInfo("Mini", "C0DECEMBER", december.channel_name, december.meeting_at, 3)
    ]


def test_a_lead_sees_each_programs_executives_completion_and_who_is_at_risk(
    session: Session,
) -> None:
    prog = factories.program(session, CAT)
    factories.person(session, prog, "U0LEAD0001", tz="UTC", country=None, role=Role.lead)
    learner(session, prog)  # 2 of 3 sent modules done
    bob = factories.person(session, prog, "U0BOB00001", tz="UTC", country=None)
    for i in (1, 2, 3):  # three unfinished in a row: at risk
        factories.delivery(session, prog, bob, f"m{i}", sequence=i, status=DeliveryStatus.sent)
    carol = factories.person(session, prog, "U0CAROL001", tz="UTC", country=None)
    session.scalars(select(Membership).where(Membership.person_id == carol.id)).one().left_at = NOW

    view = home_for(session, slack_user_id="U0LEAD0001", catalog=CAT, now=NOW)

    assert view.roles == {"Mini": {Role.lead}} and view.progress == []
    assert view.leads == [
        LeadSummary(
            program="Mini",
            status=ProgramStatus.active,
            executives=2,
            completion=2 / 6,
            at_risk=1,
        )
    ]


def test_a_lead_of_a_program_with_nothing_sent_yet_sees_no_completion(session: Session) -> None:
    prog = factories.program(session, CAT)
    factories.person(session, prog, "U0LEAD0001", tz="UTC", country=None, role=Role.lead)

    (summary,) = home_for(session, slack_user_id="U0LEAD0001", catalog=CAT, now=NOW).leads

    assert (summary.executives, summary.completion, summary.at_risk) == (0, None, 0)


def test_roles_in_several_programs_are_shown_per_program(session: Session) -> None:
    first = factories.program(session, CAT, name="First", start=dt.date(2026, 11, 2))
    second = factories.program(session, CAT, name="Second")
    alice = learner(session, first)
    session.add(Membership(program_id=second.id, person_id=alice.id, role=Role.lead))
    session.add(Membership(program_id=second.id, person_id=alice.id, role=Role.mentor))
    session.flush()

    view = home_for(session, slack_user_id="U0ALICE001", catalog=CAT, now=NOW)

    assert view.roles == {"First": {Role.executive}, "Second": {Role.lead, Role.mentor}}
    assert [p.program for p in view.progress] == ["First"]
    assert [s.program for s in view.leads] == ["Second"]
