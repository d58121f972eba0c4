"""Peer circles: who met whom, where, when, and what the mentor noted."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, str_enum, utcnow
from bot.models.enums import CircleStatus, Role


class Circle(Base):
    """One small group for one circle period (a month, or a pilot session), with its channel."""

    __tablename__ = "circles"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    # First and last day of the period the circle runs for (a calendar month by default).
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    number: Mapped[int]
    channel_name: Mapped[str] = mapped_column(String(80))
    slack_channel_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    prompt_id: Mapped[str | None] = mapped_column(String(64))
    meeting_at: Mapped[dt.datetime | None]
    status: Mapped[CircleStatus] = mapped_column(
        str_enum(CircleStatus), default=CircleStatus.forming
    )
    formed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closing_posted_at: Mapped[dt.datetime | None]
    archived_at: Mapped[dt.datetime | None]
    # When members were asked "Did you meet?" about the current meeting time.
    asked_met_at: Mapped[dt.datetime | None]

    __table_args__ = (UniqueConstraint("program_id", "period_start", "number"),)


class CirclePrompt(Base):
    """A discussion prompt posted in a circle (so `/circle prompt` does not repeat one)."""

    __tablename__ = "circle_prompts"

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"))
    prompt_id: Mapped[str] = mapped_column(String(64))
    posted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("circle_id", "prompt_id"),)


class CircleMember(Base):
    """A person in a circle, with attendance and their pulse on the circle."""

    __tablename__ = "circle_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))
    joined_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    left_at: Mapped[dt.datetime | None]
    attended: Mapped[bool | None]
    # "yes" / "not_yet" / "couldnt" from the "Did you meet?" DM.
    met_response: Mapped[str | None] = mapped_column(String(16))
    pulse: Mapped[int | None]

    __table_args__ = (UniqueConstraint("circle_id", "person_id"),)


class MentorNote(Base):
    """A mentor's private note on a circle session, for the program lead only."""

    __tablename__ = "mentor_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
