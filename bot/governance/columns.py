"""The export's formats and columns, stable and in order (`upward export`; described in
bot/governance/export.py and the README). Plain data, so the CLI reads them without the database."""

from __future__ import annotations

FORMATS: tuple[str, ...] = ("csv", "jsonl")

COLUMNS: dict[str, tuple[str, ...]] = {
    "answers": (
        "program",
        "slack_user_id",
        "department",
        "module_id",
        "kind",
        "question_id",
        "attempt",
        "value",
        "correct",
        "answered_at",
    ),
    "kpis": (
        "program",
        "kpi_key",
        "kpi_name",
        "slack_user_id",
        "department",
        "source",
        "observer_slack_user_id",
        "period_start",
        "value",
        "recorded_at",
    ),
    "circles": (
        "program",
        "circle_number",
        "channel_name",
        "period_start",
        "period_end",
        "status",
        "meeting_at",
        "slack_user_id",
        "role",
        "attended",
        "met_response",
        "pulse",
    ),
    "deliveries": (
        "program",
        "slack_user_id",
        "department",
        "module_id",
        "kind",
        "sequence",
        "status",
        "due_at",
        "sent_at",
        "reminded_at",
        "completed_at",
    ),
}
