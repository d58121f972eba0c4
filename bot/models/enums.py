"""Enumerations stored in the database as their string values."""

from enum import StrEnum


class ProgramStatus(StrEnum):
    active = "active"
    paused = "paused"
    finished = "finished"


class PersonStatus(StrEnum):
    active = "active"
    paused = "paused"
    opted_out = "opted_out"


class Role(StrEnum):
    executive = "executive"
    mentor = "mentor"
    lead = "lead"


class DeliveryKind(StrEnum):
    module = "module"
    baseline = "baseline"
    closing = "closing"


class DeliveryStatus(StrEnum):
    pending = "pending"  # planned, not sent yet
    sent = "sent"  # in the person's DM, not finished
    completed = "completed"  # answered or marked done
    expired = "expired"  # superseded or program ended before it was finished
    skipped = "skipped"  # never sent (opted out, program ended)
    failed = "failed"  # Slack refused it permanently


class OutboxStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"


class CircleStatus(StrEnum):
    forming = "forming"
    active = "active"
    closing = "closing"
    archived = "archived"


class KpiStatus(StrEnum):
    active = "active"
    retired = "retired"


class ObservationSource(StrEnum):
    self_report = "self"
    mentor = "mentor"


class RunStatus(StrEnum):
    running = "running"
    done = "done"
    failed = "failed"
