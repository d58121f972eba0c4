"""A click on the weekly check-in: record the value and show it in the same message."""

from __future__ import annotations

import datetime as dt
import re

from slack_bolt import App
from slack_sdk import WebClient

from bot.core.ids import Action
from bot.core.values import number, row_id
from bot.db import session_scope
from bot.kpis import blocks, service
from bot.models import Kpi
from bot.slack import replies
from bot.slack.acking import acked


def register(app: App) -> None:
    """Attach the check-in listener to `app`."""
    app.action(re.compile(rf"^{re.escape(Action.kpi_value)}:"))(acked(_value))
    app.action(re.compile(rf"^{re.escape(Action.kpi_observe)}:"))(acked(_observe))


def _value(body: dict, action: dict, context: dict, client: WebClient) -> None:
    user = body["user"]["id"]
    now = context["clock"]()
    payload: dict
    try:
        kpi_text, week_text, value_text = (action.get("value") or "").split("|")
        week = dt.date.fromisoformat(week_text)
        kpi_id, value = row_id(kpi_text), number(value_text, low=0, high=100)
        if kpi_id is None or value is None:
            raise ValueError("not one of ours")
        with session_scope(context["sessions"]) as session:
            observation = service.record(
                session, kpi_id=kpi_id, slack_user_id=user, week=week, value=value, now=now
            )
            kpi = session.get(Kpi, observation.kpi_id)
            assert kpi is not None
            kpis = service.active_kpis(session, kpi.program_id)
            answers = service.answers_for(
                session, program_id=kpi.program_id, person_id=observation.person_id, week=week
            )
            payload = {
                "replace_original": True,
                "text": blocks.CHECKIN_TEXT,
                "blocks": [b.to_dict() for b in blocks.checkin(kpis, week=week, answers=answers)],
            }
    except ValueError as exc:
        message = (
            str(exc)
            if "recorded" in str(exc)
            else "Sorry, that button is not one Upward understands. Nothing was recorded."
        )
        payload = {"response_type": "ephemeral", "replace_original": False, "text": message}
    replies.respond(context, client, body, payload)


def _observe(body: dict, action: dict, context: dict, client: WebClient) -> None:
    now = context["clock"]()
    payload: dict
    try:
        *ids, value_text = (action.get("value") or "").split("|")
        kpi_id, circle_id, executive_id = (
            (row_id(part) for part in ids) if len(ids) == 3 else (None, None, None)
        )
        value = number(value_text, low=0, high=100)
        if kpi_id is None or circle_id is None or executive_id is None or value is None:
            raise ValueError("not one of ours")
        with session_scope(context["sessions"]) as session:
            kpi, circle = service.record_observation(
                session,
                kpi_id=kpi_id,
                circle_id=circle_id,
                executive_id=executive_id,
                mentor_slack_id=body["user"]["id"],
                value=value,
                now=now,
            )
            sheet = service.observation_sheet(session, kpi=kpi, circle=circle)
            payload = {
                "replace_original": True,
                "text": blocks.OBSERVATION_TEXT,
                "blocks": [
                    b.to_dict()
                    for b in blocks.observation(
                        kpi, circle_id=circle.id, period=f"{circle.period_start:%B}", sheet=sheet
                    )
                ],
            }
    except ValueError as exc:
        message = (
            str(exc)
            if "recorded" in str(exc)
            else "Sorry, that button is not one Upward understands. Nothing was recorded."
        )
        payload = {"response_type": "ephemeral", "replace_original": False, "text": message}
    replies.respond(context, client, body, payload)
