"""Roster import: CSV rows become people and roles; bad rows are reported, good rows still land."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.calendar import country_code, place_zone
from bot.core.words import plural
from bot.models import Membership, Person, Program, Role
from bot.programs.service import parse_window
from bot.slack.directory import SlackProfile

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
KNOWN_COLUMNS = {
    "slack_user_id",
    "email",
    "role",
    "timezone",
    "country",
    "department",
    "display_name",
    "window",
}
MAX_ROWS = 50_000


class Directory(Protocol):
    """Who is who in the Slack workspace (users.lookupByEmail and users.info)."""

    def user_id_for_email(self, email: str) -> str | None: ...

    def profile(self, user_id: str) -> SlackProfile | None: ...


class OfflineDirectory:
    """The roster's `Directory` without Slack, for rows that give a Slack id and a time zone: ids
    are taken as written (not checked), and display names stay empty until an import with Slack."""

    def user_id_for_email(self, email: str) -> str | None:
        raise AssertionError("rows with only an email need Slack: see needs_slack()")

    def profile(self, user_id: str) -> SlackProfile | None:
        return SlackProfile(user_id=user_id, display_name="", timezone=None)


def needs_slack(rows: list[RosterRow]) -> list[RosterRow]:
    """The rows Slack must answer for: found by email, or without a time zone."""
    return [row for row in rows if not row.slack_user_id or not row.timezone]


@dataclass(frozen=True)
class RosterRow:
    line: int
    role: Role
    slack_user_id: str | None
    email: str | None
    timezone: str | None
    country: str | None
    department: str | None
    display_name: str | None
    window: tuple[dt.time, dt.time] | None = None


@dataclass
class ImportReport:
    people_added: int = 0
    people_updated: int = 0
    roles_added: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.people_added or self.people_updated or self.roles_added)


def parse_roster(text: str, *, filename: str) -> tuple[list[RosterRow], list[str]]:
    """Rows that are well-formed, and a `FILE:LINE: reason` for each that is not."""
    problems: list[str] = []
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if reader.fieldnames is None:
        return [], [
            f"{filename}:1: the file is empty; the first line names the columns (slack_user_id or"
            " email, role, …)"
        ]
    header = [(h or "").strip().lower() for h in reader.fieldnames]
    reader.fieldnames = header
    if "role" not in header or not ({"slack_user_id", "email"} & set(header)):
        return [], [
            f"{filename}:1: the header needs a 'role' column and a 'slack_user_id' or 'email'"
            f" column (found: {', '.join(h for h in header if h) or 'nothing'})"
        ]
    unknown = [h for h in header if h and h not in KNOWN_COLUMNS]
    if unknown:
        problems.append(
            f"{filename}:1: ignoring the unknown {plural(len(unknown), 'column')}"
            f" {', '.join(unknown)}; known columns:"
            f" {', '.join(sorted(KNOWN_COLUMNS))}"
        )
    rows: list[RosterRow] = []
    seen: dict[tuple[str, Role], int] = {}
    for record in reader:
        line = reader.line_num
        if len(rows) >= MAX_ROWS:
            problems.append(f"{filename}:{line}: more than {MAX_ROWS} rows; split the file")
            break
        if None in record:
            problems.append(
                f"{filename}:{line}: more values than columns; check for an unquoted comma"
            )
            continue
        values = {k: (v or "").strip() for k, v in record.items() if k}
        if not any(values.values()):
            continue
        broken = [k for k, v in values.items() if "\x00" in v]
        if broken:  # no database stores it (PostgreSQL refuses), and no editor shows it
            problems.append(
                f"{filename}:{line}: the {', '.join(broken)} value holds a NUL character (an"
                " invisible zero byte, often from a badly exported file); remove it and import"
                " again"
            )
            continue
        row, reason = _row(values, line)
        if reason:
            problems.append(f"{filename}:{line}: {reason}")
            continue
        assert row is not None
        who = row.slack_user_id or (row.email or "").lower()
        if (who, row.role) in seen:
            problems.append(
                f"{filename}:{line}: {who} is already listed as {row.role.value} on line"
                f" {seen[(who, row.role)]}"
            )
            continue
        seen[(who, row.role)] = line
        rows.append(row)
    return rows, problems


def _row(values: dict[str, str], line: int) -> tuple[RosterRow | None, str | None]:
    role_text = values.get("role", "").lower()
    try:
        role = Role(role_text)
    except ValueError:
        return None, f"role '{values.get('role', '')}' is not one of executive, mentor, lead"
    user_id = values.get("slack_user_id") or None
    email = values.get("email") or None
    if not user_id and not email:
        return None, "give a slack_user_id (like U0123ABCD) or an email"
    if user_id and not USER_ID.match(user_id):
        return (
            None,
            f"slack_user_id '{user_id}' does not look like a Slack user id (like U0123ABCD)",
        )
    if email and not EMAIL.match(email):
        return None, f"email '{email}' is not an email address"
    tz = values.get("timezone") or None
    country = values.get("country") or None
    try:
        if tz:
            place_zone(tz)
        if country:
            country = country_code(country)
    except ValueError as exc:
        return None, str(exc)
    window = None
    if values.get("window"):
        try:
            parsed = parse_window(values["window"])
        except ValueError as exc:
            return None, str(exc)
        window = (parsed.start, parsed.end)
    for name, limit in (("department", 120), ("display_name", 120)):
        if len(values.get(name, "")) > limit:
            return None, f"{name} is longer than {limit} characters"
    return (
        RosterRow(
            line=line,
            role=role,
            slack_user_id=user_id,
            email=email.lower() if email else None,
            timezone=tz,
            country=country,
            department=values.get("department") or None,
            display_name=values.get("display_name") or None,
            window=window,
        ),
        None,
    )


def import_roster(
    session: Session,
    *,
    program: Program,
    rows: list[RosterRow],
    directory: Directory,
    filename: str,
    now: dt.datetime,
) -> ImportReport:
    """Add or update people and their roles in `program`; re-importing the same rows changes
    nothing."""
    report = ImportReport()
    for row in rows:
        user_id = row.slack_user_id or directory.user_id_for_email(row.email or "")
        if user_id is None:
            report.problems.append(
                f"{filename}:{row.line}: no Slack user has the email {row.email}"
            )
            continue
        person = session.scalars(
            select(Person).where(Person.slack_user_id == user_id)
        ).one_or_none()
        profile = None
        if (
            person is None
            or (row.timezone is None and person.timezone is None)
            or not (row.display_name or person.display_name)
        ):
            profile = directory.profile(user_id)
            if profile is None:
                report.problems.append(f"{filename}:{row.line}: Slack has no user {user_id}")
                continue
            if profile.deleted:
                report.problems.append(f"{filename}:{row.line}: {user_id} is deactivated in Slack")
                continue
        created = person is None
        if person is None:
            person = Person(slack_user_id=user_id, created_at=now, updated_at=now)
            session.add(person)
        updated = _apply(person, row, profile, now)
        session.flush()
        membership = session.scalars(
            select(Membership).where(
                Membership.program_id == program.id,
                Membership.person_id == person.id,
                Membership.role == row.role,
            )
        ).one_or_none()
        role_added = False
        if membership is None:
            session.add(
                Membership(program_id=program.id, person_id=person.id, role=row.role, joined_at=now)
            )
            role_added = True
        elif membership.left_at is not None:
            membership.left_at = None
            role_added = True
        session.flush()
        report.people_added += created
        report.people_updated += updated and not created
        report.roles_added += role_added
        report.unchanged += not (created or updated or role_added)
    return report


def _apply(person: Person, row: RosterRow, profile: SlackProfile | None, now: dt.datetime) -> bool:
    """Copy the row's fields (falling back to Slack's) onto the person; True when anything
    changed."""
    wanted = {
        "email": row.email or person.email,
        "timezone": row.timezone or (profile.timezone if profile else None) or person.timezone,
        "country": row.country or person.country,
        "department": row.department or person.department,
        "display_name": (
            row.display_name or person.display_name or (profile.display_name if profile else "")
        ),
    }
    if row.window is not None:
        wanted["window_start"], wanted["window_end"] = row.window
    changed = False
    for name, value in wanted.items():
        if getattr(person, name) != value:
            setattr(person, name, value)
            changed = True
    if changed:
        person.updated_at = now
    return changed


def read_roster_file(path: Path) -> str:
    """The file's text; OSError/UnicodeDecodeError become ValueError with the file named."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text; save the roster as CSV UTF-8") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot read it ({exc.strerror})") from None
