"""What a person hears back after a request: the Reply an action returns, and how it is carried out.

Every message goes through the outbox (written once per key, then sent right away rather than at
the next tick); answers go to the request's own response_url, never to a URL a payload names.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.core.process import worker_id
from bot.db import session_scope
from bot.slack import outbox, records
from bot.slack.records import Record

log = logging.getLogger(__name__)

SLACK_HOOK_HOSTS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})


def web_worker_id() -> str:
    """The outbox claim name of this web process."""
    return f"web:{worker_id()}"


def this_workspace_only(context: dict) -> str | None:
    """The team a listener's flush is limited to when distributed (its client holds that workspace's
    token)."""
    return context.get("team_id") if context["settings"].multi_workspace else None


def send_queued(context: dict, client: WebClient, record: Record) -> None:
    """Send a row a listener already wrote to the outbox, now rather than at the next tick."""
    outbox.send_now(
        context["sessions"],
        client,
        record,
        now=context["clock"](),
        worker_id=web_worker_id(),
        lease=dt.timedelta(seconds=context["settings"].outbox_lease_seconds),
    )


def response_url(context: dict, body: dict) -> str | None:
    """The interaction's response_url if it is Slack's (or on the configured API's host, e.g. the
    stand-in).

    Upward posts its reply wherever this URL points; trusting any URL a payload names would let
    whoever can send one make Upward call any address, its own network's included.
    """
    url = body.get("response_url")
    if not isinstance(url, str) or not url:
        return None
    try:
        parts, api = urlsplit(url), urlsplit(context["settings"].slack_api_url)
        hook = parts.scheme == "https" and parts.hostname in SLACK_HOOK_HOSTS
        local = (parts.scheme, parts.netloc) == (api.scheme, api.netloc)
    except ValueError:
        hook = local = False
    if hook or local:
        return url
    log.warning(
        "ignored a response_url that is not Slack's; the reply goes another way or not at all"
    )
    return None


@dataclass(frozen=True)
class Reply:
    """What an action's caller is told, and what else goes to Slack for them now.

    Everything here happens after the action's transaction has committed, in this order:
    `after` (Slack work the action could not queue, e.g. creating a circle's channels; it may
    return a new `text`), the outbox rows in `send` (written by the action, sent now rather than
    at the next tick), up to `flush` more due rows of the caller's workspace, the caller's App
    Home redrawn (`home`: the tab shows the new state, so no text goes with it), a modal opened
    with the click's trigger_id (`modal`; `text` is then what to say if Slack would not open it),
    and last the answer: `replace` redraws the clicked message, `text` is said privately to the
    caller (replacing the clicked message if `replace_original`).
    """

    text: str | None = None
    replace_original: bool = False
    replace: dict[str, Any] | None = None
    send: tuple[Record, ...] = ()
    flush: int = 0
    home: bool = False
    modal: dict[str, Any] | None = None
    after: Callable[[dict, WebClient], str | None] | None = None


def queue(session: Session, context: dict, body: dict, reply: Reply) -> Record | None:
    """Write the Reply's answer in the action's own transaction, so it is sent even if this process
    dies after the commit (the outbox row of the answer, if there is one).

    An answer that depends on what happens after the commit (Slack work in `after`, a modal that
    may not open) is written then instead, and App Home needs none.
    """
    if reply.after is not None or reply.modal is not None or _draws_home(context, reply):
        return None
    return _answer(session, context, body, reply.replace, reply.text, reply.replace_original)


def carry_out(
    context: dict, client: WebClient, body: dict, reply: Reply, answer: Record | None
) -> None:
    """After the commit: carry out a Reply whose answer `queue` wrote (see Reply for the order)."""
    late = reply.text
    if reply.after is not None:
        try:
            late = reply.after(context, client) or late
        except Exception:  # the committed change stands; the tick finishes what Slack refused
            log.exception("Slack work after a request failed; the next tick retries it")
    for record in reply.send:
        send_queued(context, client, record)
    if reply.flush:
        outbox.flush(
            context["sessions"],
            client,
            now=context["clock"](),
            worker_id=web_worker_id(),
            max_rows=reply.flush,
            only_team=this_workspace_only(context),
            reach=context.get("reach"),
        )
    if _draws_home(context, reply):
        context["publish_home"](client, context, user_of(body))
        return
    if reply.modal is not None and _open_modal(client, body, reply.modal):
        return
    if reply.after is not None or reply.modal is not None:
        with session_scope(context["sessions"]) as session:
            answer = _answer(session, context, body, reply.replace, late, reply.replace_original)
    if answer is not None:
        send_queued(context, client, answer)


def _draws_home(context: dict, reply: Reply) -> bool:
    """The Reply's answer is the person's redrawn App Home (where there is a way to draw it)."""
    return reply.home and "publish_home" in context


def deliver(context: dict, client: WebClient, body: dict, reply: Reply) -> None:
    """Write and carry out a Reply that no action's transaction wrote (e.g. a bare refusal)."""
    with session_scope(context["sessions"]) as session:
        answer = queue(session, context, body, reply)
    carry_out(context, client, body, reply, answer)


def _open_modal(client: WebClient, body: dict, view: dict[str, Any]) -> bool:
    try:
        client.views_open(trigger_id=body.get("trigger_id") or "", view=view)
    except SlackApiError as exc:  # e.g. expired_trigger_id: the click took Slack's 3 seconds
        log.info("modal not opened: %s", exc.response.get("error"))
        return False
    return True


def text_at(body: Any, *path: str) -> str | None:
    """The string at `path` in a request's body, or None (a body's shape is never trusted)."""
    for key in path:
        body = body.get(key) if isinstance(body, dict) else None
    return body if isinstance(body, str) and body else None


def user_of(body: dict) -> str:
    """The Slack user who sent a request (a slash command's user_id, an interaction's user)."""
    return text_at(body, "user_id") or text_at(body, "user", "id") or ""


def _answer(
    session: Session,
    context: dict,
    body: dict,
    replace: dict[str, Any] | None,
    text: str | None,
    replace_original: bool,
) -> Record | None:
    """Write the answer to the person who acted, once (keyed by who acted, and when).

    The interaction's response_url reaches exactly the person and place of the request; the
    channel a payload names is not trusted for that. Without one, an interaction's text answer goes
    to the person's DM with Upward (a slash command's goes nowhere: it came with no click to
    answer, and a payload may have dropped its URL on purpose); a redrawn message needs the URL.
    """
    url = response_url(context, body)
    user, stamp = user_of(body), _stamp(context, body)
    if url and (replace is not None or text):
        shown = (
            {"replace_original": True, **replace}
            if replace is not None
            else {"text": text, "response_type": "ephemeral", "replace_original": replace_original}
        )
        record, method, payload = (
            records.reply(user, stamp),
            outbox.RESPONSE_URL,
            {"url": url, **shown},
        )
    elif text and replace is None and "user" in body:
        record, method = records.ephemeral(user, stamp), "chat.postEphemeral"
        payload = {"channel": user, "user": user, "text": text}
    else:
        return None
    outbox.enqueue(
        session,
        record,
        method=method,
        payload=payload,
        now=context["clock"](),
        # Only a distributed app sends with the request's workspace's token (Bolt found its
        # installation); otherwise SLACK_BOT_TOKEN's, whatever team a request names.
        team_id=this_workspace_only(context),
    )
    return record


def tell(context: dict, client: WebClient, body: dict, text: str) -> None:
    """Say `text` privately to the person who made a request (see `_answer`)."""
    deliver(context, client, body, Reply(text))


def _stamp(context: dict, body: dict) -> str:
    """The request's own identity: its trigger, else its click's time, else now."""
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else None
    return (
        text_at(body, "trigger_id")
        or text_at(first, "action_ts")
        or str(context["clock"]().timestamp())
    )
