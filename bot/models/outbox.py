"""The outbox: every outbound Slack call is a row before it is a request."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, str_enum, utcnow
from bot.models.enums import OutboxStatus, Purpose


class OutboxMessage(Base):
    """A Slack Web API call to make exactly once, with where it got to."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique per logical message (e.g. "delivery:<id>"): writing it twice is a no-op. Built from
    # what the row is for by bot.slack.records, and never read back: queries use the columns below.
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    # What the row is for, and which thing it is about (a delivery, a circle, a program...) for
    # which period (a week, a day, a meeting time): see bot.slack.records for each purpose.
    purpose: Mapped[Purpose] = mapped_column(str_enum(Purpose, length=24))
    subject_id: Mapped[int | None]
    period: Mapped[str | None] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus), default=OutboxStatus.pending
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # A worker's claim on the row; a claim past its lease is taken over by another worker.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[dt.datetime | None]
    error: Mapped[str | None] = mapped_column(String(500))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id", ondelete="SET NULL"))
    # The workspace whose bot token sends it (its program's, unless given); NULL: SLACK_BOT_TOKEN's.
    team_id: Mapped[str | None] = mapped_column(String(32))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]

    __table_args__ = (
        Index(None, "status", "next_attempt_at"),
        # "The message of delivery 12", "the reminders of circle 3".
        Index(None, "purpose", "subject_id"),
        # "The program's check-ins for these weeks".
        Index(None, "program_id", "purpose", "period"),
        # The digest reads a program's refused messages, and its last two weeks of check-ins.
        Index(None, "program_id", "status"),
        Index(None, "program_id", "created_at"),
    )
