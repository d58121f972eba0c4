"""Clicks on module messages: ack at once, then record, then update the message in place."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.content.loader import Catalog
from bot.core.ids import Action, Block, Callback
from bot.core.values import row_id
from bot.db import session_scope
from bot.learning import answers
from bot.learning.answers import Refusal
from bot.learning.blocks import reflection_modal
from bot.learning.jobs import render_delivery
from bot.models import Delivery, OutboxMessage, Purpose
from bot.slack import outbox, records, replies
from bot.slack.acking import acked
from bot.slack.records import Record

log = logging.getLogger(__name__)


def register(app: App) -> None:
    """Attach the microlearning listeners to `app`."""
    app.action(re.compile(rf"^{re.escape(Action.answer)}:"))(acked(_answer))
    app.action(re.compile(rf"^{re.escape(Action.rate)}:"))(acked(_answer))
    app.action(Action.retry)(acked(_retry))
    app.action(Action.mark_done)(acked(_mark_done))
    app.action(Action.snooze)(acked(_snooze))
    app.action(Action.pause_until)(acked(_pause_until))
    app.action(Action.opt_out)(acked(_opt_out))
    # Not deferred: views.open must use the click's trigger_id within 3 seconds.
    app.action(Action.reflect)(_reflect)
    app.view(Callback.reflection)(_reflection_submitted)


def _answer(body: dict, action: dict, context: dict, client: WebClient) -> None:
    user = body["user"]["id"]

    def apply(session: Session, now: dt.datetime) -> Delivery:
        value = answers.parse_value(action.get("value"))
        answers.record_answer(
            session, value=value, slack_user_id=user, catalog=context["catalog"], now=now
        )
        return _delivery(session, value.delivery_id)

    _update_after(context, client, body, apply)


def _retry(body: dict, action: dict, context: dict, client: WebClient) -> None:
    user = body["user"]["id"]
    retrying: frozenset[str] = frozenset()

    def apply(session: Session, now: dt.datetime) -> Delivery:
        nonlocal retrying
        value = answers.parse_value(action.get("value"))
        delivery, _ = answers.owned_delivery(
            session, delivery_id=value.delivery_id, slack_user_id=user, now=now
        )
        retrying = frozenset({value.question_id})
        return delivery

    _update_after(context, client, body, apply, retrying=lambda: retrying)


def _mark_done(body: dict, action: dict, context: dict, client: WebClient) -> None:
    user = body["user"]["id"]

    def apply(session: Session, now: dt.datetime) -> Delivery:
        value = answers.parse_value(action.get("value"))
        answers.mark_done(session, delivery_id=value.delivery_id, slack_user_id=user, now=now)
        return _delivery(session, value.delivery_id)

    _update_after(context, client, body, apply)


def _snooze(body: dict, action: dict, context: dict, client: WebClient) -> None:
    _person_change(
        context,
        client,
        body,
        lambda s, user, now: (
            "Snoozed. Upward will be quiet until "
            f"{_local(answers.snooze(s, slack_user_id=user, now=now), s, user)}."
        ),
    )


def _pause_until(body: dict, action: dict, context: dict, client: WebClient) -> None:

    def change(session: Session, user: str, now: dt.datetime) -> str:
        try:
            until = dt.date.fromisoformat(action.get("selected_date") or "")
        except ValueError:
            raise Refusal("Please pick a date to pause until.") from None
        resume_at = answers.pause_until(session, slack_user_id=user, until=until, now=now)
        return f"Paused. Your next message will come after {_local(resume_at, session, user)}."

    _person_change(context, client, body, change)


def _opt_out(body: dict, action: dict, context: dict, client: WebClient) -> None:
    _person_change(
        context,
        client,
        body,
        lambda s, user, now: (
            "Done: Upward will not send you anything more. You can come back any time from Upward's"
            " Home tab."
            if answers.opt_out(s, slack_user_id=user, now=now)
            else "You had already stopped Upward's messages."
        ),
    )


def _reflect(ack: Ack, body: dict, action: dict, context: dict, client: WebClient) -> None:
    ack()
    user = body["user"]["id"]
    now = context["clock"]()
    try:
        with session_scope(context["sessions"]) as session:
            value = answers.parse_value(action.get("value"))
            delivery, _ = answers.owned_delivery(
                session, delivery_id=value.delivery_id, slack_user_id=user, now=now
            )
            module = context["catalog"].modules.get(delivery.module_id)
            if module is None or not module.reflection:
                raise Refusal("This module has no reflection question.")
            view = reflection_modal(
                module,
                delivery_id=delivery.id,
                current=answers.current_reflection(session, delivery.id),
            )
    except Refusal as refusal:
        ephemeral_reply(context, client, body, str(refusal))
        return
    try:
        client.views_open(trigger_id=body.get("trigger_id") or "", view=view)
    except SlackApiError as exc:  # e.g. expired_trigger_id: the click took Slack's 3 seconds
        log.info("reflection modal not opened: %s", exc.response.get("error"))
        ephemeral_reply(
            context,
            client,
            body,
            "Slack did not open the reflection form in time. Please click *Write a reflection*"
            " again.",
        )


def _reflection_submitted(
    ack: Ack, body: dict, view: dict, context: dict, client: WebClient
) -> None:
    typed = (((view.get("state") or {}).get("values") or {}).get(Block.reflection_input) or {}).get(
        "text"
    ) or {}
    text = typed.get("value") if isinstance(typed.get("value"), str) else ""
    delivery_id = row_id(view.get("private_metadata"))
    if delivery_id is None:  # not a form Upward opened
        ack(
            response_action="errors",
            errors={
                Block.reflection_input: (
                    "Sorry, Upward cannot save this form. Close it and open the reflection again."
                )
            },
        )
        return
    if not text.strip():
        ack(
            response_action="errors",
            errors={Block.reflection_input: "Write a few words, or press Cancel."},
        )
        return
    if len(text) > answers.REFLECTION_MAX:
        limit = (
            f"Reflections can be up to {answers.REFLECTION_MAX:,} characters; this one is"
            f" {len(text):,}. Shorten it, then press Save again."
        )
        ack(response_action="errors", errors={Block.reflection_input: limit})
        return
    ack()
    user = body["user"]["id"]
    now = context["clock"]()
    try:
        with session_scope(context["sessions"]) as session:
            answers.save_reflection(
                session, delivery_id=delivery_id, slack_user_id=user, text=text, now=now
            )
            delivery = _delivery(session, delivery_id)
            key = _enqueue_update(session, delivery, context["catalog"], now=now)
    except Refusal as refusal:
        replies.send_at_once(
            context,
            client,
            records.ephemeral(user, f"view:{view.get('id')}:{now.timestamp()}"),
            method="chat.postEphemeral",
            payload={"channel": user, "user": user, "text": str(refusal)},
        )
        return
    if key:
        replies.send_queued(context, client, key)


def _update_after(
    context: dict,
    client: WebClient,
    body: dict,
    apply: Callable[[Session, dt.datetime], Delivery],
    retrying: Callable[[], frozenset[str]] = frozenset,
) -> None:
    """Apply a click, then re-render the delivery's message in place (via the outbox)."""
    now = context["clock"]()
    try:
        with session_scope(context["sessions"]) as session:
            delivery = apply(session, now)
            key = _enqueue_update(
                session, delivery, context["catalog"], now=now, retrying=retrying()
            )
    except Refusal as refusal:
        ephemeral_reply(context, client, body, str(refusal))
        return
    if key:
        replies.send_queued(context, client, key)


def _enqueue_update(
    session: Session,
    delivery: Delivery,
    catalog: Catalog,
    *,
    now: dt.datetime,
    retrying: frozenset[str] = frozenset(),
) -> Record | None:
    """Queue a chat.update of the delivery's message to its current state; None if nothing to do."""
    channel, ts = _message_location(session, delivery)
    payload = render_delivery(session, delivery, catalog=catalog, retrying=retrying)
    if channel is None or ts is None or payload is None:
        return None
    # The key is the state itself: the same state twice (a double click) is one update.
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:24]
    record = records.update(delivery.id, digest)
    outbox.enqueue(
        session,
        record,
        method="chat.update",
        payload={"channel": channel, "ts": ts, **payload},
        now=now,
        program_id=delivery.program_id,
        person_id=delivery.person_id,
    )
    return record


def _message_location(session: Session, delivery: Delivery) -> tuple[str | None, str | None]:
    """Where the delivery's message is in Slack (from the delivery, or its sent outbox row)."""
    if delivery.channel_id and delivery.message_ts:
        return delivery.channel_id, delivery.message_ts
    row = session.execute(
        select(OutboxMessage.channel_id, OutboxMessage.slack_ts).where(
            OutboxMessage.purpose == Purpose.module, OutboxMessage.subject_id == delivery.id
        )
    ).one_or_none()
    if row is None or row.slack_ts is None:
        return None, None
    delivery.channel_id, delivery.message_ts = row
    return row.channel_id, row.slack_ts


def _person_change(
    context: dict, client: WebClient, body: dict, change: Callable[[Session, str, dt.datetime], str]
) -> None:
    user = body["user"]["id"]
    now = context["clock"]()
    try:
        with session_scope(context["sessions"]) as session:
            text = change(session, user, now)
    except Refusal as refusal:
        text = str(refusal)
    if (body.get("view") or {}).get("type") == "home":
        from bot.home.listeners import publish_home

        publish_home(client, context, user)  # the tab itself shows the new state
        return
    ephemeral_reply(context, client, body, text)


def _delivery(session: Session, delivery_id: int) -> Delivery:
    delivery = session.get(Delivery, delivery_id)
    assert delivery is not None
    return delivery


def _local(instant: dt.datetime, session: Session, slack_user_id: str) -> str:
    person = answers.find_person(session, slack_user_id)
    local = instant.astimezone(ZoneInfo(person.timezone or "UTC"))
    return f"{local:%A %-d %B}"


def ephemeral_reply(context: dict, client: WebClient, body: dict, text: str) -> None:
    """Answer the person who clicked, visible only to them, through the outbox.

    The interaction's response_url reaches exactly the person and place of the click; the channel
    named in a payload is not trusted for that.
    """
    user = body["user"]["id"]
    action_ts = next((a.get("action_ts") for a in body.get("actions") or []), None) or str(
        context["clock"]().timestamp()
    )
    record = records.ephemeral(user, action_ts)
    url = replies.response_url(context, body)
    if url:
        method, payload = (
            outbox.RESPONSE_URL,
            {
                "url": url,
                "text": text,
                "response_type": "ephemeral",
                "replace_original": False,
            },
        )
    else:
        method, payload = "chat.postEphemeral", {"channel": user, "user": user, "text": text}
    replies.send_at_once(context, client, record, method=method, payload=payload)
