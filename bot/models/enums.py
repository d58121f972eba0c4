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
    withheld = "withheld"  # not sent, by the reach rule: the person asked for quiet


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


class Purpose(StrEnum):
    """What an outbox row is for; with `subject_id` and `period` it says which thing it is about.

    The subject of each purpose (and what `period` holds) is listed in bot/slack/records.py, the
    one place that builds outbox rows' keys.
    """

    module = "module"  # a module, baseline or closing assessment in a person's DM
    reminder = "reminder"  # the threaded reminder under an unfinished module
    update = "update"  # a module message redrawn after a click
    reply = "reply"  # an answer to an interaction, through its response_url
    ephemeral = "ephemeral"  # a private answer to one person
    circle_left_out = "circle_left_out"  # why someone has no circle this period
    circle_welcome = "circle_welcome"
    circle_scheduled = "circle_scheduled"  # the meeting time, posted in the channel
    circle_reminder = "circle_reminder"  # a member's reminder an hour before the meeting
    circle_met = "circle_met"  # "Did your peer circle meet?"
    circle_prompt = "circle_prompt"
    circle_closing = "circle_closing"  # the closing message with its pulse
    circle_topic = "circle_topic"  # the channel's topic, naming the meeting time
    circle_invite = "circle_invite"  # a member added to the channel
    circle_kick = "circle_kick"  # a member removed from the channel
    observation = "observation"  # a mentor's rating sheet for a closed circle
    kpi_checkin = "kpi_checkin"  # the weekly check-in
    event = "event"  # a workshop or shadowing announcement
    digest = "digest"
    digest_chart = "digest_chart"
    nudge = "nudge"  # a lead's nudge to an executive
    ping_mentor = "ping_mentor"  # a lead's request to a mentor
    other = "other"  # a row written before purposes existed whose key no builder made
