"""Clicks on module messages and the reflection form: one action each, returning a Reply.

The rules of a click (whose module it is, whether it still counts, what an answer means) live in
bot.learning.answers; an action applies one, then redraws the module message in place through
the outbox (a chat.update keyed by the new state, so a double click is one update) or answers the
person privately. Pause, snooze and opt-out clicked in App Home redraw the tab instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.content.loader import Catalog
from bot.core.ids import Block
from bot.core.values import row_id
from bot.errors import InvalidInput, Refusal
from bot.learning import answers
from bot.learning.answers import ButtonValue
from bot.learning.blocks import reflection_modal
from bot.learning.jobs import render_delivery
from bot.models import Delivery, OutboxMessage, Purpose
from bot.slack import outbox, records
from bot.slack.acking import Caller, clicked_value
from bot.slack.replies import Reply

FORM_LATE = (
    "Slack did not open the reflection form in time. Please click *Write a reflection* again."
)


@dataclass(frozen=True)
class Click:
    """A module button's value, and the content it is answered from."""

    value: ButtonValue
    catalog: Catalog


@dataclass(frozen=True)
class PersonChange:
    """Snooze, pause or opt-out: where it was clicked, and the date picked (for a pause)."""

    from_home: bool
    picked: str | None = None


@dataclass(frozen=True)
class Reflection:
    delivery_id: int
    text: str
    catalog: Catalog


def parse_click(body: dict, *, catalog: Catalog) -> Click:
    return Click(answers.parse_value(clicked_value(body)), catalog)


def parse_change(body: dict) -> PersonChange:
    return PersonChange(
        from_home=(body.get("view") or {}).get("type") == "home",
        picked=clicked_value(body, "selected_date") or None,
    )


def parse_reflection(body: dict, *, catalog: Catalog) -> Reflection:
    """The typed reflection; InvalidInput (shown under the field, the form stays open) when it
    cannot be saved."""
    view = body.get("view") or {}
    typed = (((view.get("state") or {}).get("values") or {}).get(Block.reflection_input) or {}).get(
        "text"
    ) or {}
    text = typed.get("value") if isinstance(typed.get("value"), str) else ""
    delivery_id = row_id(view.get("private_metadata"))
    field = Block.reflection_input
    if delivery_id is None:  # not a form Upward opened
        raise InvalidInput(
            "Sorry, Upward cannot save this form. Close it and open the reflection again.",
            field=field,
        )
    if not text.strip():
        raise InvalidInput("Write a few words, or press Cancel.", field=field)
    if len(text.strip()) > answers.REFLECTION_MAX:  # what is saved is the stripped text
        raise InvalidInput(
            f"Reflections can be up to {answers.REFLECTION_MAX:,} characters; this one is"
            f" {len(text.strip()):,}. Shorten it, then press Save again.",
            field=field,
        )
    return Reflection(delivery_id, text, catalog)


def answer(session: Session, caller: Caller, click: Click, now: dt.datetime) -> Reply:
    """An option (or a 1–5 rating) picked: recorded once, and shown with its feedback."""
    answers.record_answer(
        session, value=click.value, slack_user_id=caller.user_id, catalog=click.catalog, now=now
    )
    return _redraw(session, _delivery(session, click.value.delivery_id), click.catalog, now=now)


def retry(session: Session, caller: Caller, click: Click, now: dt.datetime) -> Reply:
    """*Try again*: the question's options are offered once more (the next click is attempt n+1)."""
    delivery, _ = answers.owned_delivery(
        session, delivery_id=click.value.delivery_id, slack_user_id=caller.user_id, now=now
    )
    retrying = frozenset({click.value.question_id})
    return _redraw(session, delivery, click.catalog, now=now, retrying=retrying)


def mark_done(session: Session, caller: Caller, click: Click, now: dt.datetime) -> Reply:
    """*Mark as done* on a module without questions (or one read elsewhere)."""
    answers.mark_done(
        session, delivery_id=click.value.delivery_id, slack_user_id=caller.user_id, now=now
    )
    return _redraw(session, _delivery(session, click.value.delivery_id), click.catalog, now=now)


def snooze(session: Session, caller: Caller, change: PersonChange, now: dt.datetime) -> Reply:
    resume_at = answers.snooze(session, slack_user_id=caller.user_id, now=now)
    return Reply(
        f"Snoozed. Upward will be quiet until {_local(resume_at, session, caller.user_id)}.",
        home=change.from_home,
    )


def pause_until(session: Session, caller: Caller, change: PersonChange, now: dt.datetime) -> Reply:
    try:
        until = dt.date.fromisoformat(change.picked or "")
    except ValueError:
        raise Refusal("Please pick a date to pause until.") from None
    resume_at = answers.pause_until(session, slack_user_id=caller.user_id, until=until, now=now)
    return Reply(
        f"Paused. Your next message will come after {_local(resume_at, session, caller.user_id)}.",
        home=change.from_home,
    )


def opt_out(session: Session, caller: Caller, change: PersonChange, now: dt.datetime) -> Reply:
    if answers.opt_out(session, slack_user_id=caller.user_id, now=now):
        text = (
            "Done: Upward will not send you anything more. You can come back any time from"
            " Upward's Home tab."
        )
    else:
        text = "You had already stopped Upward's messages."
    return Reply(text, home=change.from_home)


def resume(session: Session, caller: Caller, _change: PersonChange, now: dt.datetime) -> Reply:
    """*Resume* in App Home: undo an opt-out, pause or snooze; the tab shows the result (for
    someone on no roster, the tab itself says how to join, so it is the whole answer)."""
    if answers.known_person(session, caller.user_id) is not None:
        answers.resume(session, slack_user_id=caller.user_id, now=now)
    return Reply(home=True)


def open_reflection(session: Session, caller: Caller, click: Click, now: dt.datetime) -> Reply:
    """*Write a reflection*: the form, with the current reflection to edit."""
    delivery, _ = answers.owned_delivery(
        session, delivery_id=click.value.delivery_id, slack_user_id=caller.user_id, now=now
    )
    module = click.catalog.modules.get(delivery.module_id)
    if module is None or not module.reflection:
        raise Refusal("This module has no reflection question.")
    view = reflection_modal(
        module, delivery_id=delivery.id, current=answers.current_reflection(session, delivery.id)
    )
    return Reply(FORM_LATE, modal=view)


def save_reflection(session: Session, caller: Caller, r: Reflection, now: dt.datetime) -> Reply:
    """The form saved: the reflection stored, and the module message shows it was written."""
    answers.save_reflection(
        session, delivery_id=r.delivery_id, slack_user_id=caller.user_id, text=r.text, now=now
    )
    return _redraw(session, _delivery(session, r.delivery_id), r.catalog, now=now)


def _redraw(
    session: Session,
    delivery: Delivery,
    catalog: Catalog,
    *,
    now: dt.datetime,
    retrying: frozenset[str] = frozenset(),
) -> Reply:
    """Queue a chat.update of the delivery's message to its current state, sent at once."""
    channel, ts = _message_location(session, delivery)
    payload = render_delivery(session, delivery, catalog=catalog, retrying=retrying)
    if channel is None or ts is None or payload is None:
        return Reply()
    # The key is the state itself: the same state twice (a double click) is one update.
    state = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:24]
    record = records.update(delivery.id, state)
    outbox.enqueue(
        session,
        record,
        method="chat.update",
        payload={"channel": channel, "ts": ts, **payload},
        now=now,
        program_id=delivery.program_id,
        person_id=delivery.person_id,
    )
    return Reply(send=(record,))


def _message_location(session: Session, delivery: Delivery) -> tuple[str | None, str | None]:
    """Where the delivery's message is in Slack: on the delivery, or (before the tick copied it
    there) on the outbox row that sent it."""
    if delivery.channel_id and delivery.message_ts:
        return delivery.channel_id, delivery.message_ts
    row = session.execute(
        select(OutboxMessage.channel_id, OutboxMessage.slack_ts).where(
            OutboxMessage.purpose == Purpose.module, OutboxMessage.subject_id == delivery.id
        )
    ).one_or_none()
    if row is None or row.slack_ts is None:
        return None, None
    return row.channel_id, row.slack_ts


def _delivery(session: Session, delivery_id: int) -> Delivery:
    delivery = session.get(Delivery, delivery_id)
    assert delivery is not None
    return delivery


def _local(instant: dt.datetime, session: Session, slack_user_id: str) -> str:
    person = answers.find_person(session, slack_user_id)
    local = instant.astimezone(ZoneInfo(person.timezone or "UTC"))
    return f"{local:%A %-d %B}"
