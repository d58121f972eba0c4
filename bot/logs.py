"""Logging: one JSON object a line in production, readable lines in development, never a secret."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import uuid
from collections.abc import Iterable

request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "request_id", default="-"
)  # "-": outside any request
REQUEST_ID_HEADER = (  # taken from the request when it carries one, else generated
    "x-slack-request-id"
)
REQUEST_ID_MAX = 64
# Anything else in the header (a newline, brackets, escapes) could forge a line or a field.
_NOT_IN_REQUEST_IDS = re.compile(r"[^A-Za-z0-9._:-]")


def safe_request_id(sent: str | None) -> str:
    """The id a request's lines are logged under: the header as sent with only letters, digits and
    `._:-` kept, at most REQUEST_ID_MAX characters; a generated one when nothing is left."""
    kept = _NOT_IN_REQUEST_IDS.sub("", sent or "")[:REQUEST_ID_MAX]
    return kept or uuid.uuid4().hex[:12]


# Slack tokens and signatures that could slip into a message (e.g. from a library's debug line):
# bot, user, app-level and refresh tokens (xoxb-, xoxp-, xapp-, xoxe-, and rotated xoxe.xoxb-).
_SECRET = re.compile(r"(xox[a-z](?:\.xox[a-z])?-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|v0=[0-9a-f]{16,})")
# Known secrets shorter than this are not searched for: they would mask ordinary words, and none
# of Slack's is that short (the database's credentials are kept out of lines where they are made).
KNOWN_SECRET_MIN = 8


def redact(text: str, known: Iterable[str] = ()) -> str:
    """Mask anything shaped like a Slack token or request signature, and each `known` secret (the
    signing secret, which has no shape of its own, and the settings' other secrets)."""
    for secret in known:
        if len(secret) >= KNOWN_SECRET_MIN:
            text = text.replace(secret, "…redacted")
    return _SECRET.sub(lambda m: m.group(0)[:5] + "…redacted", text)


class _Context(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line, for log shippers."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(secrets)

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage(), self.secrets),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info), self.secrets)
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__(
            "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s", "%H:%M:%S"
        )
        self.secrets = tuple(secrets)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)


# Libraries that log routine work at INFO (APScheduler: every job run, every minute); their
# warnings and errors still show.
LIBRARIES = ("apscheduler", "slack_sdk", "slack_bolt", "urllib3", "alembic")


def configure_logging(
    fmt: str = "text",
    level: int = logging.INFO,
    *,
    verbose: bool = False,
    secrets: Iterable[str] = (),
) -> None:
    """Route every logger through one handler on stderr, in `fmt` ('json' or 'text'), masking
    `secrets` (Settings.secret_values()) and anything shaped like a Slack token; `LIBRARIES` log
    only warnings unless `verbose`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(secrets) if fmt == "json" else TextFormatter(secrets))
    handler.addFilter(_Context())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for library in LIBRARIES:
        logging.getLogger(library).setLevel(level if verbose else max(level, logging.WARNING))
