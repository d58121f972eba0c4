"""Roster CSV: every bad row named by line, good rows imported, re-import changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.models import Membership, Person, Program, Role
from bot.roster.service import import_roster, parse_roster
from bot.slack.directory import SlackProfile

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


class WorkspaceDirectory:
    """An in-memory Slack directory with the answers users.lookupByEmail / users.info would give."""

    def __init__(self) -> None:
        self.users = {
            "U0EXEC1": SlackProfile("U0EXEC1", "Priya Raman", "Asia/Kolkata"),
            "U0EXEC2": SlackProfile("U0EXEC2", "Mark Ellis", "America/Los_Angeles"),
            "U0MENT1": SlackProfile("U0MENT1", "Jo Kim", "Europe/Berlin"),
            "U0GONE": SlackProfile("U0GONE", "Former", "UTC", deleted=True),
        }
        self.emails = {"mark@example.com": "U0EXEC2"}
        self.lookups = 0

    def user_id_for_email(self, email: str) -> str | None:
        self.lookups += 1
        return self.emails.get(email)

    def profile(self, user_id: str) -> SlackProfile | None:
        self.lookups += 1
        return self.users.get(user_id)


GOOD = """slack_user_id,email,role,timezone,country,department,display_name
U0EXEC1,,executive,,IN,Finance,
,Mark@Example.com,executive,,US,Sales,Mark E.
U0MENT1,,mentor,Europe/Berlin,DE,Engineering,Jo
"""


@pytest.fixture()
def program(session: Session) -> Program:
    p = Program(
        name="Pilot", template="pilot", start_date=dt.date(2026, 12, 1), timezone="Europe/Berlin"
    )
    session.add(p)
    session.flush()
    return p


def test_parse_reports_each_bad_row_with_its_line() -> None:
    text = (
        GOOD
        + "\n".join(
            [
                "U0EXEC3,,boss,,,,",
                ",,executive,,,,",
                "u-lower,,executive,,,,",
                ",not-an-email,mentor,,,,",
                "U0EXEC4,,executive,Mars/Base,,,",
                "U0EXEC5,,executive,,ZZ,,",
                "U0EXEC1,,executive,,,,",
                "U0EXEC6,,executive,,,,,extra",
            ]
        )
        + "\n"
    )
    rows, problems = parse_roster(text, filename="team.csv")
    assert [r.line for r in rows] == [2, 3, 4]
    assert problems == [
        "team.csv:5: role 'boss' is not one of executive, mentor, lead",
        "team.csv:6: give a slack_user_id (like U0123ABCD) or an email",
        "team.csv:7: slack_user_id 'u-lower' does not look like a Slack user id (like U0123ABCD)",
        "team.csv:8: email 'not-an-email' is not an email address",
        "team.csv:9: unknown time zone 'Mars/Base': use an IANA name such as Europe/Berlin",
        "team.csv:10: country 'ZZ' is not a known ISO 3166 two-letter code (like US, DE, IN)",
        "team.csv:11: U0EXEC1 is already listed as executive on line 2",
        "team.csv:12: more values than columns; check for an unquoted comma",
    ]


def test_a_nul_character_fails_its_row_and_the_rest_still_import() -> None:
    """One NUL byte in a cell made PostgreSQL refuse the whole import ("cannot use the
    database"); now that row is reported and the others import."""
    text = (
        "slack_user_id,role,timezone,department\n"
        "U0EXEC1,executive,Europe/Berlin,Sales\n"
        "U0EXEC2,executive,Europe/Berlin,Sa\x00les\n"
        "U0EXEC3,executive,Europe/Berlin,Ops\n"
    )
    rows, problems = parse_roster(text, filename="team.csv")
    assert [r.slack_user_id for r in rows] == ["U0EXEC1", "U0EXEC3"]
    assert problems == [
        "team.csv:3: the department value holds a NUL character (an invisible zero byte, often"
        " from a badly exported file); remove it and import again"
    ]


def test_parse_refuses_zone_abbreviations_and_three_letter_countries_saying_what_to_write() -> None:
    text = (
        "slack_user_id,role,timezone,country\n"
        "U0EXEC1,executive,EST,US\n"
        "U0EXEC2,executive,America/New_York,USA\n"
        "U0EXEC3,executive,America/New_York,us\n"
    )
    rows, problems = parse_roster(text, filename="team.csv")
    assert problems == [
        "team.csv:2: time zone 'EST' is not an Area/City name: use the IANA name of the place,"
        " such as America/New_York, so that daylight saving follows the place",
        "team.csv:3: country 'USA' is a three-letter code: use the two-letter one, US",
    ]
    assert [(r.line, r.country) for r in rows] == [(4, "US")]


@pytest.mark.parametrize(
    "text, fragment",
    [("", "the file is empty"), ("name,team\nA,B\n", "needs a 'role' column")],
)
def test_parse_refuses_a_file_without_the_needed_columns(text: str, fragment: str) -> None:
    rows, problems = parse_roster(text, filename="x.csv")
    assert (
        rows == []
        and len(problems) == 1
        and fragment in problems[0]
        and problems[0].startswith("x.csv:1: ")
    )


def test_import_adds_people_with_slack_time_zones_and_is_idempotent(
    session: Session, program: Program
) -> None:
    directory = WorkspaceDirectory()
    rows, problems = parse_roster(GOOD, filename="team.csv")
    assert problems == []
    first = import_roster(
        session, program=program, rows=rows, directory=directory, filename="team.csv", now=NOW
    )
    assert (first.people_added, first.roles_added, first.problems) == (3, 3, [])
    priya = session.scalars(select(Person).where(Person.slack_user_id == "U0EXEC1")).one()
    assert (priya.timezone, priya.display_name, priya.country, priya.department) == (
        "Asia/Kolkata",
        "Priya Raman",
        "IN",
        "Finance",
    )
    mark = session.scalars(select(Person).where(Person.slack_user_id == "U0EXEC2")).one()
    assert (mark.email, mark.display_name, mark.timezone) == (
        "mark@example.com",
        "Mark E.",
        "America/Los_Angeles",
    )

    second = import_roster(
        session, program=program, rows=rows, directory=directory, filename="team.csv", now=NOW
    )
    assert not second.changed and second.unchanged == 3
    assert session.scalar(select(func.count()).select_from(Membership)) == 3


def test_unresolvable_rows_are_reported_and_the_rest_still_import(
    session: Session, program: Program
) -> None:
    text = (
        "email,slack_user_id,role\n"
        "nobody@example.com,,executive\n"
        ",U0NOPE,mentor\n"
        ",U0GONE,mentor\n"
        ",U0MENT1,lead\n"
    )
    rows, _ = parse_roster(text, filename="r.csv")
    report = import_roster(
        session,
        program=program,
        rows=rows,
        directory=WorkspaceDirectory(),
        filename="r.csv",
        now=NOW,
    )
    assert report.problems == [
        "r.csv:2: no Slack user has the email nobody@example.com",
        "r.csv:3: Slack has no user U0NOPE",
        "r.csv:4: U0GONE is deactivated in Slack",
    ]
    assert session.scalars(select(Membership.role)).all() == [Role.lead]


def test_one_person_can_hold_two_roles(session: Session, program: Program) -> None:
    rows, _ = parse_roster("slack_user_id,role\nU0MENT1,mentor\nU0MENT1,lead\n", filename="r.csv")
    report = import_roster(
        session,
        program=program,
        rows=rows,
        directory=WorkspaceDirectory(),
        filename="r.csv",
        now=NOW,
    )
    assert (report.people_added, report.roles_added) == (1, 2)


def test_a_personal_delivery_window_is_read_and_checked(session: Session, program: Program) -> None:
    rows, problems = parse_roster(
        "slack_user_id,role,window\nU0EXEC1,executive,07:30-09:00\nU0EXEC2,executive,18:00-08:00\n",
        filename="w.csv",
    )
    assert problems == [
        "w.csv:3: window '18:00-08:00' ends before it starts; windows cannot cross midnight"
    ]
    import_roster(
        session,
        program=program,
        rows=rows,
        directory=WorkspaceDirectory(),
        filename="w.csv",
        now=NOW,
    )
    priya = session.scalars(select(Person).where(Person.slack_user_id == "U0EXEC1")).one()
    assert (priya.window_start, priya.window_end) == (dt.time(7, 30), dt.time(9, 0))
