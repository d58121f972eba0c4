"""The inbox: every request Slack sent that Upward acknowledged, until its work is done."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow


class InboundRequest(Base):
    """A click, command or form submission Upward acked: written before the ack, done after.

    Slack does not retry what was acked, so a process that dies between its ack and its work would
    lose the request; the row outlives it, and the worker finishes what a dead process left.
    """

    __tablename__ = "inbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The request's own identity (Slack's trigger_id, else a digest of the body): a replay of a
    # signed request, or Socket Mode's redelivery of an envelope whose ack was lost, is this row.
    request_key: Mapped[str] = mapped_column(String(200), unique=True)
    body: Mapped[dict[str, Any]]
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Who is doing the work, and until when (by the database's clock): the receiving process first;
    # after its lease the worker takes it over.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    done_at: Mapped[dt.datetime | None]
    error: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (Index(None, "done_at", "claimed_until"),)
