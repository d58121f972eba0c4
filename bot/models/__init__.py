"""SQLAlchemy models; importing this package registers every table on `Base.metadata`."""

from bot.models.base import Base, UTCDateTime, utcnow
from bot.models.circles import Circle, CircleMember, CirclePrompt, MentorNote
from bot.models.enums import (
    CircleStatus,
    DeliveryKind,
    DeliveryStatus,
    KpiStatus,
    ObservationSource,
    OutboxStatus,
    PersonStatus,
    ProgramStatus,
    Purpose,
    Role,
    RunStatus,
)
from bot.models.inbox import InboundRequest
from bot.models.installations import slack_bots, slack_installations, slack_oauth_states
from bot.models.learning import Answer, Delivery
from bot.models.measurement import OBSERVED, DigestRun, Kpi, KpiObservation
from bot.models.outbox import OutboxMessage
from bot.models.people import Membership, Person, Program

__all__ = [
    "OBSERVED",
    "Answer",
    "Base",
    "Circle",
    "CircleMember",
    "CirclePrompt",
    "CircleStatus",
    "Delivery",
    "InboundRequest",
    "DeliveryKind",
    "DeliveryStatus",
    "DigestRun",
    "Kpi",
    "KpiObservation",
    "KpiStatus",
    "Membership",
    "MentorNote",
    "ObservationSource",
    "OutboxMessage",
    "OutboxStatus",
    "Person",
    "PersonStatus",
    "Program",
    "ProgramStatus",
    "Purpose",
    "Role",
    "RunStatus",
    "UTCDateTime",
    "slack_bots",
    "slack_installations",
    "slack_oauth_states",
    "utcnow",
]
