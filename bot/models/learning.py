"""Module deliveries to executives and their answers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, str_enum, utcnow
from bot.models.enums import DeliveryKind, DeliveryStatus


class Delivery(Base):
    """One module (or baseline/closing assessment) planned for, sent to and finished by one
    person."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DeliveryKind] = mapped_column(str_enum(DeliveryKind), default=DeliveryKind.module)
    module_id: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int]
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus), default=DeliveryStatus.pending
    )
    due_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    reminded_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("program_id", "person_id", "module_id"),
        Index(None, "status", "due_at"),
        # The digest's weekly aggregates read a program's deliveries by when they were
        # sent/finished.
        Index(None, "program_id", "sent_at"),
        Index(None, "program_id", "completed_at"),
        Index(None, "program_id", "kind"),
    )


class Answer(Base):
    """One click (or text) answering one question of a delivery; attempt 1 is the scored one."""

    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(default=1)
    value: Mapped[str] = mapped_column(Text)
    correct: Mapped[bool | None]
    answered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("delivery_id", "question_id", "attempt"),
        Index(None, "answered_at"),
    )
