"""Forgetting a person: exactly their personal data goes, anonymous counts and everyone else's data
stay."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.governance.forget import ForgetError, ForgetReport, forget_person
from bot.models import (
    Answer,
    CircleMember,
    Delivery,
    KpiObservation,
    Membership,
    MentorNote,
    OutboxMessage,
    OutboxStatus,
    Person,
    PersonStatus,
)
from tests.governance.scenario import Scenario, at, build

NOW = at(28, 12)


@pytest.fixture()
def world(session: Session) -> Scenario:
    return build(session)


def answers_of(session: Session, person: Person) -> list[tuple[str, str, bool | None]]:
    query = (
        select(Answer.question_id, Answer.value, Answer.correct)
        .join(Delivery, Answer.delivery_id == Delivery.id)
        .where(Delivery.person_id == person.id)
        .order_by(Answer.id)
    )
    return [tuple(r) for r in session.execute(query)]  # type: ignore[misc]


def snapshot_of(session: Session, person: Person) -> dict[str, Any]:
    """Everything stored about one person, to prove it did not change."""
    pid = person.id
    return {
        "person": session.execute(select(Person.__table__).where(Person.id == pid)).one(),
        "answers": answers_of(session, person),
        "deliveries": (
            session.execute(
                select(Delivery.__table__).where(Delivery.person_id == pid).order_by(Delivery.id)
            ).all()
        ),
        "observed": (
            session.execute(
                select(KpiObservation.__table__)
                .where(KpiObservation.person_id == pid)
                .order_by(KpiObservation.id)
            ).all()
        ),
        "outbox": (
            session.execute(
                select(OutboxMessage.__table__)
                .where(OutboxMessage.person_id == pid)
                .order_by(OutboxMessage.id)
            ).all()
        ),
        "memberships": (
            session.execute(select(Membership.__table__).where(Membership.person_id == pid)).all()
        ),
        "circles": (
            session.execute(
                select(CircleMember.__table__).where(CircleMember.person_id == pid)
            ).all()
        ),
    }


def test_forget_erases_the_person_and_keeps_anonymous_counts(
    session: Session, world: Scenario
) -> None:
    ada_id = world.ada.id
    report = forget_person(session, slack_user_id="UADA0001", now=NOW)
    session.expire_all()

    ada = session.get(Person, ada_id)
    assert ada is not None
    assert (
        ada.slack_user_id,
        ada.email,
        ada.display_name,
        ada.timezone,
        ada.country,
        ada.department,
    ) == (f"forgotten-{ada_id}", None, "", None, None, None)
    assert (ada.window_start, ada.window_end, ada.status, ada.forgotten_at) == (
        None,
        None,
        PersonStatus.opted_out,
        NOW,
    )
    assert session.scalar(select(Person).where(Person.slack_user_id == "UADA0001")) is None

    assert answers_of(session, ada) == [
        ("self-digital", "", None),
        ("m1-q1", "", True),
        ("m1-q2", "", False),
    ]
    assert (
        session.scalars(select(KpiObservation).where(KpiObservation.person_id == ada_id)).all()
        == []
    )
    outbox = session.scalars(select(OutboxMessage).where(OutboxMessage.person_id == ada_id)).all()
    assert [(m.status, m.payload) for m in outbox] == [(OutboxStatus.sent, {})]
    assert [
        m.left_at for m in session.scalars(select(Membership).where(Membership.person_id == ada_id))
    ] == [NOW]
    assert {
        (d.channel_id, d.message_ts)
        for d in session.scalars(select(Delivery).where(Delivery.person_id == ada_id))
    } == {(None, None)}
    # Circle attendance and pulse stay: anonymous once the person is a tombstone.
    assert session.scalar(select(CircleMember.pulse).where(CircleMember.person_id == ada_id)) == 4
    # The mentor's note is about the circle, not Ada's: it stays.
    assert session.scalar(select(MentorNote.text)) == "Ada dominated the talk; Bob was quiet."

    assert report == ForgetReport(
        slack_user_id="UADA0001",
        answers_anonymised=3,
        reflections_deleted=1,
        mentor_notes_deleted=0,
        kpi_observations_deleted=2,
        observations_unattributed=0,
        messages_cancelled=2,
        messages_scrubbed=1,
        memberships_ended=1,
    )
    assert (
        report.summary()
        == "Forgot UADA0001: 3 answers anonymised, 1 reflection deleted, 0 mentor notes deleted, "
        "2 KPI observations deleted, 2 pending messages cancelled, 1 program membership ended, "
        "1 sent message body cleared."
    )


def test_forgetting_a_mentor_deletes_their_notes_and_unlinks_their_observations(
    session: Session, world: Scenario
) -> None:
    report = forget_person(session, slack_user_id="UMIA0003", now=NOW)
    session.expire_all()
    assert session.scalars(select(MentorNote)).all() == []
    observations = session.scalars(
        select(KpiObservation).where(KpiObservation.source == "mentor")
    ).all()
    assert len(observations) == 2 and {o.observer_id for o in observations} == {None}
    assert (
        report.mentor_notes_deleted,
        report.observations_unattributed,
        report.kpi_observations_deleted,
    ) == (1, 2, 0)
    assert report.summary().endswith(
        "1 mentor note deleted, 0 KPI observations deleted, 0 pending messages cancelled, "
        "1 program membership ended, 2 observations of others unattributed."
    )


def test_forget_leaves_other_people_untouched(session: Session, world: Scenario) -> None:
    before = snapshot_of(session, world.bob)
    forget_person(session, slack_user_id="UADA0001", now=NOW)
    session.expire_all()
    assert snapshot_of(session, world.bob) == before
    assert ("reflection", "Bob's private thoughts", None) in before["answers"]


def test_forget_ends_only_open_memberships(session: Session, world: Scenario) -> None:
    membership = session.scalars(
        select(Membership).where(Membership.person_id == world.ada.id)
    ).one()
    membership.left_at = at(15)
    session.flush()
    report = forget_person(session, slack_user_id="UADA0001", now=NOW)
    session.expire_all()
    assert report.memberships_ended == 0
    assert session.get(Membership, membership.id).left_at == at(15)  # type: ignore[union-attr]


def test_forgetting_twice_or_an_unknown_id_is_refused(session: Session, world: Scenario) -> None:
    ada_id = world.ada.id
    forget_person(session, slack_user_id="UADA0001", now=NOW)
    with pytest.raises(
        ForgetError, match="no person with Slack user id 'UADA0001'.*already forgotten"
    ):
        forget_person(session, slack_user_id="UADA0001", now=NOW)
    with pytest.raises(ForgetError, match="already forgotten on 2026-12-28"):
        forget_person(session, slack_user_id=f"forgotten-{ada_id}", now=NOW)
    with pytest.raises(ForgetError, match="no person with Slack user id 'UNOBODY'"):
        forget_person(session, slack_user_id="UNOBODY", now=NOW)
