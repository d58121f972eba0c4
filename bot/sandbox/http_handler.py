"""The stand-in's HTTP side: one request in, routed to the part that answers it, one response out.

``POST /api/<method>``: the query string and a form or JSON body become the call's arguments, the
token comes from ``Authorization: Bearer`` or a ``token`` field (HTTP Basic client credentials for
``oauth.v2.access``), and the stand-in's ``ApiAnswer`` goes back as JSON, late (a slow fault) or not
at all (a dropped connection). Uploads, response_urls, the OAuth authorize page, the inspector's
pages and files go to their parts; anything else is a control request (``SlackStandIn.control``),
and a malformed one is a 400. Every answer carries an ``X-Slack-Req-Id``, as Slack's do.

It names the stand-in through ``Served`` (the parts' ``StandIn`` protocol, plus the Web API and the
control endpoints), so server.py imports this module and never the other way round.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, cast
from urllib.parse import parse_qs, urlsplit

from bot.sandbox import inspector
from bot.sandbox.errors import SlackError
from bot.sandbox.interactions import apply_response_url
from bot.sandbox.methods.files import receive_upload
from bot.sandbox.oauth import AUTHORIZE_PATH, approve

log = logging.getLogger("bot.sandbox")


@dataclass
class ApiAnswer:
    """How the stand-in answers one request; ``body`` None means drop the connection."""

    status: int
    body: dict[str, Any] | None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def parse_args(query: str, body: bytes, content_type: str) -> tuple[dict[str, Any], str | None]:
    """Arguments from the query string and a form or JSON body, and any ``token`` field."""
    args: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    kind = content_type.split(";")[0].strip().lower()
    if body.strip():
        if kind == "application/json":
            try:
                data = json.loads(body)
            except ValueError:
                raise SlackError("invalid_json") from None
            if not isinstance(data, dict):
                raise SlackError("invalid_json")
            data.pop("token", None)  # Slack ignores tokens inside JSON bodies
            args.update(data)
        elif kind in ("application/x-www-form-urlencoded", "text/plain", ""):
            try:
                form = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
            except (UnicodeDecodeError, ValueError):
                raise SlackError("invalid_form_data") from None
            args.update({k: v[-1] for k, v in form.items()})
        else:
            raise SlackError("invalid_post_type")
    token = args.pop("token", None)
    return args, token


class Served(inspector.Inspected, Protocol):
    """A stand-in the handler serves: its parts, its Web API and its control endpoints
    (SlackStandIn)."""

    def handle_api(self, method: str, args: dict[str, Any], token: str | None) -> ApiAnswer: ...

    def control(self, path: str, verb: str, body: bytes, query: str = "") -> tuple[int, Any]: ...


class StandInHTTPServer(ThreadingHTTPServer):
    """The stand-in's HTTP server: a thread per request, each answered by ``_Handler``."""

    daemon_threads = True  # a hung client must not keep the process alive

    def __init__(self, address: tuple[str, int], stand_in: Served) -> None:
        super().__init__(address, _Handler)
        self.stand_in = stand_in


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SlackStandIn/1.0"

    @property
    def stand_in(self) -> Served:
        return cast(StandInHTTPServer, self.server).stand_in

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, verb: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = url.path
        try:
            stand_in = self.stand_in
            if path.startswith("/api/"):
                self._api(path.removeprefix("/api/"), url.query, body)
            elif path == AUTHORIZE_PATH and verb == "GET":
                status, headers, text = approve(stand_in, url.query)
                self._send(status, text, headers)
            elif path.startswith("/sandbox/upload/") and verb == "POST":
                file_id = path.rsplit("/", 1)[-1]
                ok = receive_upload(stand_in.workspace_holding("files", file_id), file_id, body)
                self._send(200 if ok else 404, f"OK - {len(body)}" if ok else "file_not_found")
            elif path.startswith("/sandbox/response/") and verb == "POST":
                payload = _loads_or_none(body)
                response_id = path.rsplit("/", 1)[-1]
                self._send(
                    *apply_response_url(
                        stand_in.workspace_holding("response_urls", response_id),
                        response_id,
                        payload,
                    )
                )
            elif path == inspector.PREFIX or path.startswith(inspector.PREFIX + "/"):
                answer = inspector.handle(
                    stand_in, verb, path, url.query, body, client=self.client_address[0]
                )
                headers = {"Location": answer.location} if answer.location else {}
                self._send(
                    answer.status, answer.html, headers, content_type="text/html; charset=utf-8"
                )
            elif path.startswith("/sandbox/files/"):
                file_id = path.split("/")[3]
                content = stand_in.workspace_holding("files", file_id).file_content(file_id)
                self._send(200 if content is not None else 404, content or b"")
            else:
                self._send(*self.stand_in.control(path, verb, body, url.query))
        except (ValueError, KeyError, TypeError) as exc:  # malformed control request
            self._send(400, {"ok": False, "error": "invalid_request", "detail": str(exc)})

    def _api(self, method: str, query: str, body: bytes) -> None:
        try:
            args, token = parse_args(query, body, self.headers.get("Content-Type", ""))
        except SlackError as exc:
            self._send(200, exc.body())
            return
        authorization = self.headers.get("Authorization", "")
        if authorization.lower().startswith("bearer "):
            token = authorization[7:].strip()
        elif authorization.lower().startswith("basic "):  # oauth.v2.access: client id and secret
            try:
                client_id, _, secret = (
                    base64.b64decode(authorization[6:].strip()).decode().partition(":")
                )
            except (binascii.Error, UnicodeDecodeError):
                client_id, secret = "", ""
            args.setdefault("client_id", client_id)
            args.setdefault("client_secret", secret)
        answer = self.stand_in.handle_api(method, args, token)
        if answer.delay:
            time.sleep(answer.delay)
        if answer.body is None:
            # A dropped connection: no status line at all; the client sees RemoteDisconnected.
            self.close_connection = True
            return
        self._send(answer.status, answer.body, answer.headers)

    def _send(
        self,
        status: int,
        body: Any,
        headers: Mapping[str, str] | None = None,
        *,
        content_type: str | None = None,
    ) -> None:
        if content_type is not None:
            payload, kind = str(body).encode(), content_type
        elif isinstance(body, bytes):
            payload, kind = body, "application/octet-stream"
        elif isinstance(body, str):
            payload, kind = body.encode(), "text/plain; charset=utf-8"
        else:
            payload, kind = json.dumps(body).encode(), "application/json; charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Slack-Req-Id", uuid.uuid4().hex)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


def _loads_or_none(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None
