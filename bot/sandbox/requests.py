"""Signed HTTP requests into the bot, exactly as Slack sends them (v0 signatures).

``SignedSender`` POSTs form or JSON bodies with ``X-Slack-Request-Timestamp`` and
``X-Slack-Signature``; options produce the broken variants a security test needs (stale
timestamp, wrong secret, body changed after signing, no signature) and Slack's retry headers.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

if TYPE_CHECKING:
    from bot.sandbox.standin import StandIn

STALE_AGE = 10 * 60  # Slack refuses requests older than 5 minutes; this is safely older
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass
class SlackHttpResponse:
    """The app's answer to one request, plus what was sent."""

    status: int
    headers: dict[str, str]
    body: bytes
    sent: Any = field(default=None, repr=False)  # the payload/fields that were sent

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body parsed as JSON (None when empty)."""
        return json.loads(self.body) if self.body.strip() else None


def signature_headers(body: bytes | str, signing_secret: str, timestamp: int) -> dict[str, str]:
    """The two v0 signing headers for ``body`` at ``timestamp``, made by slack_sdk itself."""
    verifier = SignatureVerifier(signing_secret)
    signature = verifier.generate_signature(timestamp=str(timestamp), body=body)
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": signature or ""}


def _tampered(body: bytes, content_type: str) -> bytes:
    """The body changed in a way a real attacker might: an extra field."""
    if content_type == JSON:
        data = json.loads(body)
        data["tampered"] = True
        return json.dumps(data).encode()
    return body + b"&tampered=1"


class SignedSender:
    """POSTs signed Slack requests to one request URL (e.g. ``http://127.0.0.1:3000/slack/events``)."""

    def __init__(
        self,
        request_url: str,
        signing_secret: str,
        *,
        timeout: float = 3.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # Slack gives up on an app after 3 seconds, so that is the default timeout too.
        self.request_url = request_url
        self.signing_secret = signing_secret
        self.timeout = timeout
        self.clock = clock

    @property
    def target(self) -> str:
        """Where the requests go (for messages)."""
        return self.request_url

    @classmethod
    def for_stand_in(cls, stand_in: StandIn, request_url: str, **kwargs: Any) -> SignedSender:
        """A sender using the signing secret of the stand-in's seeded app."""
        return cls(request_url, stand_in.signing_secret, **kwargs)

    def post(
        self,
        body: bytes | str,
        content_type: str,
        *,
        stale: bool = False,
        wrong_secret: bool = False,
        tamper: bool = False,
        unsigned: bool = False,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        timestamp: int | None = None,
        url: str | None = None,
        sent: Any = None,
    ) -> SlackHttpResponse:
        """Sign and POST a raw body; the keyword options break the request on purpose."""
        raw = body.encode() if isinstance(body, str) else body
        headers = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        if not unsigned:
            ts = timestamp if timestamp is not None else int(self.clock())
            if stale:
                ts -= STALE_AGE
            secret = self.signing_secret + "-wrong" if wrong_secret else self.signing_secret
            headers.update(signature_headers(raw, secret, ts))
        if tamper:
            raw = _tampered(raw, content_type)
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        request = urllib.request.Request(
            url or self.request_url, data=raw, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return SlackHttpResponse(
                    response.status, dict(response.headers.items()), response.read(), sent
                )
        except urllib.error.HTTPError as error:  # 4xx/5xx are answers, not transport failures
            return SlackHttpResponse(error.code, dict(error.headers.items()), error.read(), sent)

    def send_form(self, fields: Mapping[str, str], **options: Any) -> SlackHttpResponse:
        """A form-encoded request (slash commands)."""
        return self.post(urlencode(fields), FORM, sent=dict(fields), **options)

    def send_interaction(self, payload: Mapping[str, Any], **options: Any) -> SlackHttpResponse:
        """An interactivity request: form field ``payload=<json>``."""
        return self.post(urlencode({"payload": json.dumps(payload)}), FORM, sent=payload, **options)

    def send_event(self, envelope: Mapping[str, Any], **options: Any) -> SlackHttpResponse:
        """An Events API request: raw JSON."""
        return self.post(json.dumps(envelope), JSON, sent=envelope, **options)
