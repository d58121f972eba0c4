"""KPIs, their observations, and the record of digests sent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, str_enum, utcnow
from bot.models.enums import KpiStatus, ObservationSource, RunStatus

# Kpi.kind of the program's focus behaviour, which mentors observe (the others are self-reported).
OBSERVED = "observed"


class Kpi(Base):
    """A behaviour a program measures weekly (2–3 per program), copied from its template."""

    __tablename__ = "kpis"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(75))
    question: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    scale_min: Mapped[int]
    scale_max: Mapped[int]
    low_label: Mapped[str] = mapped_column(String(75))
    high_label: Mapped[str] = mapped_column(String(75))
    status: Mapped[KpiStatus] = mapped_column(str_enum(KpiStatus), default=KpiStatus.active)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[dt.datetime | None]

    __table_args__ = (UniqueConstraint("program_id", "key"),)


class KpiObservation(Base):
    """One value of one KPI for one person and period, self-reported or observed by a mentor."""

    __tablename__ = "kpi_observations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    source: Mapped[ObservationSource] = mapped_column(str_enum(ObservationSource))
    observer_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    # Monday of the week for self-reports, first day of the circle's period for mentor observations.
    period_start: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[int]
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("kpi_id", "person_id", "source", "period_start"),
        # Digest trends: one KPI's values per period, in period order.
        Index(None, "kpi_id", "source", "period_start"),
        Index(None, "recorded_at"),  # who checked in during a week
    )


class DigestRun(Base):
    """A weekly digest computed (and sent) for one program and ISO week, at most once."""

    __tablename__ = "digest_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(10))  # ISO week, e.g. "2026-W48"
    status: Mapped[RunStatus] = mapped_column(str_enum(RunStatus), default=RunStatus.running)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    summary: Mapped[dict[str, Any] | None]

    __table_args__ = (UniqueConstraint("program_id", "period"),)
