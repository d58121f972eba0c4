"""A click on a weekly check-in or a mentor's rating sheet: record it, and redraw the message.

Who may answer is decided by bot.kpis.service from the roster and the outbox (the check-in or
rating sheet Upward sent them), never from what a button's value claims.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.core.values import number, row_id
from bot.errors import InvalidInput
from bot.kpis import blocks, service
from bot.models import Kpi
from bot.slack.acking import Caller, clicked_value
from bot.slack.replies import Reply

NOT_OURS = "Sorry, that button is not one Upward understands. Nothing was recorded."


@dataclass(frozen=True)
class CheckinValue:
    kpi_id: int
    week: dt.date
    value: int


@dataclass(frozen=True)
class Rating:
    kpi_id: int
    circle_id: int
    executive_id: int
    value: int


def parse_checkin(body: dict) -> CheckinValue:
    """`kpi id|week's Monday|value`."""
    parts = clicked_value(body).split("|")
    if len(parts) != 3:
        raise InvalidInput(NOT_OURS)
    kpi_id, value = row_id(parts[0]), number(parts[2], low=0, high=100)
    try:
        week = dt.date.fromisoformat(parts[1])
    except ValueError:
        raise InvalidInput(NOT_OURS) from None
    if kpi_id is None or value is None:
        raise InvalidInput(NOT_OURS)
    return CheckinValue(kpi_id, week, value)


def parse_rating(body: dict) -> Rating:
    """`kpi id|circle id|executive id|value`."""
    parts = clicked_value(body).split("|")
    ids = [row_id(part) for part in parts[:3]] if len(parts) == 4 else [None]
    value = number(parts[3], low=0, high=100) if len(parts) == 4 else None
    if None in ids or value is None:
        raise InvalidInput(NOT_OURS)
    kpi_id, circle_id, executive_id = ids
    return Rating(kpi_id, circle_id, executive_id, value)  # type: ignore[arg-type]


def answer_checkin(session: Session, caller: Caller, c: CheckinValue, now: dt.datetime) -> Reply:
    """Store the person's value and show every answer of that week in the same message."""
    observation = service.record(
        session, kpi_id=c.kpi_id, slack_user_id=caller.user_id, week=c.week, value=c.value, now=now
    )
    kpi = session.get(Kpi, observation.kpi_id)
    assert kpi is not None
    kpis = service.active_kpis(session, kpi.program_id)
    answers = service.answers_for(
        session, program_id=kpi.program_id, person_id=observation.person_id, week=c.week
    )
    return Reply(
        replace={
            "text": blocks.CHECKIN_TEXT,
            "blocks": [b.to_dict() for b in blocks.checkin(kpis, week=c.week, answers=answers)],
        }
    )


def rate(session: Session, caller: Caller, r: Rating, now: dt.datetime) -> Reply:
    """Store a mentor's rating of one executive and redraw the sheet with it."""
    kpi, circle = service.record_observation(
        session,
        kpi_id=r.kpi_id,
        circle_id=r.circle_id,
        executive_id=r.executive_id,
        mentor_slack_id=caller.user_id,
        value=r.value,
        now=now,
    )
    sheet = service.observation_sheet(session, kpi=kpi, circle=circle)
    drawn = blocks.observation(
        kpi, circle_id=circle.id, period=f"{circle.period_start:%B}", sheet=sheet
    )
    return Reply(replace={"text": blocks.OBSERVATION_TEXT, "blocks": [b.to_dict() for b in drawn]})
