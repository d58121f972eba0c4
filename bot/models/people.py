"""Programs, people and who plays which role in which program."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, str_enum, utcnow
from bot.models.enums import PersonStatus, ProgramStatus, Role


class Program(Base):
    """One run of a playbook template (pilot, quarter, enterprise) with its own roster."""

    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    template: Mapped[str] = mapped_column(String(64))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64))
    status: Mapped[ProgramStatus] = mapped_column(
        str_enum(ProgramStatus), default=ProgramStatus.active
    )
    # The Slack workspace (team id) the program runs in; NULL means the one workspace of
    # SLACK_BOT_TOKEN.
    team_id: Mapped[str | None] = mapped_column(String(32), index=True)
    # Per-program overrides of the template (delivery window, circle size, privacy threshold...),
    # validated by a pydantic model in the service layer.
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Person(Base):
    """A Slack user known to Upward; personal fields are erased on request (forgotten_at)."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    slack_user_id: Mapped[str] = mapped_column(String(32), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(120), default="")
    timezone: Mapped[str | None] = mapped_column(String(64))
    country: Mapped[str | None] = mapped_column(String(2))
    department: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[PersonStatus] = mapped_column(
        str_enum(PersonStatus), default=PersonStatus.active
    )
    paused_until: Mapped[dt.datetime | None]
    # A personal delivery window overrides the program's (local wall-clock times).
    window_start: Mapped[dt.time | None] = mapped_column(Time)
    window_end: Mapped[dt.time | None] = mapped_column(Time)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    forgotten_at: Mapped[dt.datetime | None]

    __table_args__ = (Index(None, "email"),)


class Membership(Base):
    """A person's role in a program; one person may be a mentor in one program and lead another."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))
    joined_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    left_at: Mapped[dt.datetime | None]

    __table_args__ = (UniqueConstraint("program_id", "person_id", "role"),)
