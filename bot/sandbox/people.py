"""A simulated person: reads what the bot showed them in the stand-in and acts on it.

Every action is built from the real posted blocks (real action_id, block_id, value) and sent to
the bot through a ``Sender``: a signed HTTP request (``SignedSender``) or a Socket Mode envelope
(``bot.sandbox.socket_sender.SocketSender``). The bot's immediate answer (the HTTP response, or
the ack's payload) is applied the way Slack applies it (a slash command's reply shown, a modal
closed or left open with errors), by the same code for both transports.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from bot.sandbox import interactions, payloads
from bot.sandbox.requests import SlackHttpResponse

if TYPE_CHECKING:
    from bot.sandbox.standin import StandIn
    from bot.sandbox.workspace import Workspace


class Sender(Protocol):
    """How a person's requests reach the app: SignedSender (HTTP) or SocketSender (Socket Mode)."""

    @property
    def target(self) -> str:
        """Where the requests go, for messages (the request URL, or the socket)."""
        ...

    def send_form(self, fields: Mapping[str, str], **options: Any) -> SlackHttpResponse: ...

    def send_interaction(self, payload: Mapping[str, Any], **options: Any) -> SlackHttpResponse: ...

    def send_event(self, envelope: Mapping[str, Any], **options: Any) -> SlackHttpResponse: ...


def _visible_texts(element: dict[str, Any]) -> list[str]:
    texts = [element["text"]["text"]] if isinstance(element.get("text"), dict) else []
    return texts + [o["text"]["text"] for o in payloads.options_of(element)]


class SimulatedUser:
    """One person in the stand-in's workspace, talking to the bot through ``sender``."""

    def __init__(self, stand_in: StandIn, sender: Sender, user_id: str) -> None:
        self.stand_in = stand_in
        self.sender = sender
        self.user_id = user_id
        self._ws = stand_in.workspace_for_user(
            user_id
        )  # their own team, when the stand-in has several
        self._ws.user(user_id)  # fail early on a typo

    def __repr__(self) -> str:
        return f"SimulatedUser({self.user_id!r})"

    @property
    def ws(self) -> Workspace:
        return self._ws

    # -- what they see ----------------------------------------------------------------------
    @property
    def dm_channel_id(self) -> str:
        """Their DM with the bot (opened as the Slack client would when they visit the app)."""
        with self.ws.mutation():
            channel, _ = self.ws.open_dm([self.user_id])
            return channel.id

    def dms(self) -> list[dict[str, Any]]:
        """Everything in their DM with the bot, oldest first."""
        return self.ws.dm_messages(self.user_id)

    def bot_dms(self) -> list[dict[str, Any]]:
        """Only the bot's messages in their DM, oldest first."""
        return [m for m in self.dms() if m.get("user") == self.ws.bot_user_id]

    def latest_dm(self) -> dict[str, Any]:
        """The newest message the bot sent them in DM."""
        messages = self.bot_dms()
        if not messages:
            raise LookupError(f"the bot has not sent {self.user_id} a DM")
        return messages[-1]

    def wait_for_dm(
        self, contains: str | None = None, *, count: int = 1, timeout: float = 5.0
    ) -> dict[str, Any]:
        """Wait until the bot has sent ``count`` DMs (the newest containing ``contains``)."""

        def ready() -> dict[str, Any] | None:
            messages = self.bot_dms()
            if len(messages) < count:
                return None
            newest = messages[-1]
            return newest if contains is None or contains in _message_text(newest) else None

        return self.ws.wait_until(ready, timeout)

    def ephemerals(self, channel_id: str | None = None) -> list[dict[str, Any]]:
        """Ephemeral messages shown to them, oldest first."""
        return self.ws.ephemerals(self.user_id, channel_id)

    def home(self) -> dict[str, Any] | None:
        """Their App Home tab as last published."""
        return self.ws.home_tab(self.user_id)

    def current_view(self) -> dict[str, Any] | None:
        """The modal on their screen, if any."""
        views = self.ws.open_views(self.user_id)
        return views[-1] if views else None

    # -- finding what to act on ---------------------------------------------------------------
    def _candidates(self, channel_id: str | None) -> list[tuple[dict[str, Any], str, bool]]:
        """(message, channel, is_ephemeral) they can see, newest first."""
        channel = channel_id or self.ws.dm_channel_id(self.user_id)
        found = [(m, channel, False) for m in self.ws.channel_messages(channel)] if channel else []
        found += [(e, e["channel"], True) for e in self.ephemerals(channel_id)]
        return sorted(found, key=lambda item: item[0]["ts"], reverse=True)

    def _locate(
        self, message: dict[str, Any], channel_id: str | None
    ) -> tuple[dict[str, Any], str, bool]:
        """(message, channel, is_ephemeral) of a message they were handed by a read-back call."""
        if "source" in message:  # ephemeral records carry their channel and origin
            return message, message["channel"], True
        if channel_id is None:
            with self.ws.lock:
                channel_id = next(
                    (c.id for c in self.ws.state.channels.values() if message["ts"] in c.by_ts),
                    None,
                )
        if channel_id is None:
            raise LookupError(f"message {message.get('ts')} is not in any conversation")
        return message, channel_id, False

    @staticmethod
    def _match(
        blocks: list[dict[str, Any]], action_id: str | None, text: str | None, value: str | None
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None] | None:
        for block, element in payloads.interactive_elements(blocks):
            if action_id is not None and element.get("action_id") != action_id:
                continue
            options = payloads.options_of(element)
            if element["type"] == "button" or not options:
                labels = [t.lower() for t in _visible_texts(element)]
                if text is not None and text.lower() not in labels:
                    continue
                if value is not None and element.get("value") != value:
                    continue
                return block, element, None
            for option in options:  # a select: the option is what gets clicked
                if text is not None and option["text"]["text"].lower() != text.lower():
                    continue
                if value is not None and option.get("value") != value:
                    continue
                return block, element, option
        return None

    def find_action(
        self,
        message: dict[str, Any] | None = None,
        *,
        action_id: str | None = None,
        text: str | None = None,
        value: str | None = None,
        channel_id: str | None = None,
    ) -> dict[str, Any]:
        """Locate an element (newest message first) matching action_id / visible text / value."""
        if message is not None:
            candidates = [self._locate(message, channel_id)]
        else:
            candidates = self._candidates(channel_id)
        for candidate, channel, is_ephemeral in candidates:
            hit = self._match(candidate.get("blocks") or [], action_id, text, value)
            if hit:
                return {
                    "message": candidate,
                    "channel_id": channel,
                    "is_ephemeral": is_ephemeral,
                    "block": hit[0],
                    "element": hit[1],
                    "option": hit[2],
                }
        asked = {"action_id": action_id, "text": text, "value": value}
        wanted = {k: v for k, v in asked.items() if v}
        raise LookupError(f"{self.user_id} sees no element matching {wanted}")

    # -- acting ---------------------------------------------------------------------------------
    def click(
        self,
        message: dict[str, Any] | None = None,
        *,
        action_id: str | None = None,
        text: str | None = None,
        value: str | None = None,
        channel_id: str | None = None,
        **send_options: Any,
    ) -> SlackHttpResponse:
        """Click a button (or pick a select option) in a message they can see."""
        found = self.find_action(
            message, action_id=action_id, text=text, value=value, channel_id=channel_id
        )
        with self.ws.lock:
            action = payloads.action_entry(found["block"], found["element"], option=found["option"])
            payload = payloads.block_actions(
                self.ws,
                user_id=self.user_id,
                action=action,
                message=found["message"],
                channel_id=found["channel_id"],
                is_ephemeral=found["is_ephemeral"],
            )
        return self.sender.send_interaction(payload, **send_options)

    def click_button(self, text: str, **kwargs: Any) -> SlackHttpResponse:
        """Click the newest button with this label."""
        return self.click(text=text, **kwargs)

    def choose(
        self, option: str, *, action_id: str | None = None, **kwargs: Any
    ) -> SlackHttpResponse:
        """Pick an option (by visible text or value) in a select, overflow or radio group."""
        try:
            return self.click(action_id=action_id, text=option, **kwargs)
        except LookupError:
            return self.click(action_id=action_id, value=option, **kwargs)

    def click_in_view(
        self,
        *,
        action_id: str | None = None,
        text: str | None = None,
        value: str | None = None,
        home: bool = False,
        **send_options: Any,
    ) -> SlackHttpResponse:
        """Click an element in their open modal (or, with ``home=True``, their App Home)."""
        view = self.home() if home else self.current_view()
        if view is None:
            raise LookupError(f"{self.user_id} has no {'home tab' if home else 'open modal'}")
        hit = self._match(view["blocks"], action_id, text, value)
        if hit is None:
            raise LookupError(f"no element matching action_id={action_id} text={text} in view")
        with self.ws.lock:
            action = payloads.action_entry(hit[0], hit[1], option=hit[2])
            payload = payloads.block_actions(
                self.ws, user_id=self.user_id, action=action, view=view
            )
        return self.sender.send_interaction(payload, **send_options)

    def submit_view(
        self, values: dict[str, Any] | None = None, *, force: bool = False, **send_options: Any
    ) -> SlackHttpResponse:
        """Fill the open modal's inputs (keyed by action_id or block_id) and press submit."""
        view = self.current_view()
        if view is None:
            raise LookupError(f"{self.user_id} has no open modal to submit")
        values = dict(values or {})
        state: dict[str, dict[str, Any]] = {}
        for block in view["blocks"]:
            element = block.get("element") if block.get("type") == "input" else None
            if not element:
                continue
            keys = (element.get("action_id"), block["block_id"])
            key = next((k for k in keys if k in values), None)
            entry = (
                payloads.filled_state(element, values.pop(key))
                if key is not None
                else payloads.initial_state(element)
            )
            empty = all(v in (None, [], "") for k, v in entry.items() if k != "type")
            if empty and not block.get("optional") and not force:
                label = block.get("label", {}).get("text", block["block_id"])
                raise ValueError(f"{label!r} is required: Slack won't let {self.user_id} submit")
            state.setdefault(block["block_id"], {})[element["action_id"]] = entry
        if values:
            raise LookupError(f"the modal has no inputs {sorted(values)}")
        view["state"] = {"values": state}
        with self.ws.mutation():
            self.ws.state.views[view["id"]]["state"] = view["state"]
            payload = payloads.view_submission(self.ws, user_id=self.user_id, view=view)
        response = self.sender.send_interaction(payload, **send_options)
        interactions.apply_view_submission_reply(
            self.ws, self.user_id, view["id"], response.status, response.body
        )
        return response

    def close_view(self, **send_options: Any) -> SlackHttpResponse | None:
        """Press the modal's close button; the bot hears of it only with notify_on_close."""
        view = interactions.close_view(self.ws, self.user_id)
        if view is None or not view.get("notify_on_close"):
            return None
        with self.ws.lock:
            payload = payloads.view_closed(self.ws, user_id=self.user_id, view=view)
        return self.sender.send_interaction(payload, **send_options)

    def command(
        self, command: str, text: str = "", *, channel_id: str | None = None, **send_options: Any
    ) -> SlackHttpResponse:
        """Run a slash command (in their DM with the bot unless ``channel_id`` is given)."""
        channel = channel_id or self.dm_channel_id
        with self.ws.lock:
            fields = payloads.slash_command(
                self.ws, user_id=self.user_id, command=command, text=text, channel_id=channel
            )
        response = self.sender.send_form(fields, **send_options)
        interactions.apply_command_reply(
            self.ws,
            user_id=self.user_id,
            channel_id=channel,
            command=command,
            text=text,
            status=response.status,
            body=response.body,
        )
        return response

    def open_home(self, **send_options: Any) -> SlackHttpResponse:
        """Open the app's Home tab (Slack sends app_home_opened on every visit)."""
        channel = self.dm_channel_id
        with self.ws.lock:
            envelope = payloads.app_home_opened(self.ws, user_id=self.user_id, channel_id=channel)
        return self.sender.send_event(envelope, **send_options)

    def send_dm(self, text: str, **send_options: Any) -> SlackHttpResponse:
        """Write to the bot in DM: the message is stored and a message.im event sent."""
        channel_id = self.dm_channel_id
        with self.ws.mutation():
            channel = self.ws.state.channels[channel_id]
            message = self.ws.post(channel, self.ws.user_message(self.user_id, text))
            envelope = payloads.message_im(self.ws, message=message, channel_id=channel_id)
        return self.sender.send_event(envelope, **send_options)


def _message_text(message: dict[str, Any]) -> str:
    """All the text a person reads in a message: its text and its blocks' texts."""
    parts = [message.get("text") or ""]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                parts.append(node["text"])
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(message.get("blocks") or [])
    return "\n".join(parts)
