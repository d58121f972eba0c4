"""The WSGI application `upward serve` runs: Slack's endpoint plus a health check.

Distributed (SLACK_CLIENT_ID set), Bolt's WSGI handler also answers GET /slack/install and
GET /slack/oauth_redirect (bot.slack.installations.INSTALL_PATH / REDIRECT_PATH).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App, BoltRequest
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from bot.core.limits import REQUEST_BODY_MAX
from bot.db import DatabaseUnavailable, check_database, describe_db_error
from bot.logs import REQUEST_ID_HEADER, request_id, safe_request_id
from bot.migrate import Schema
from bot.slack import inbound

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# What Slack sends: whole seconds since 1970 in ASCII digits, and `v0=` with a hex SHA-256.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class UpwardWSGI:
    """Route `/healthz` to a database check, everything else to Bolt's WSGI handler (events, and the
    OAuth pages)."""

    def __init__(self, bolt_app: App, engine: Engine, *, signing_secret: str):
        self.engine = engine
        self.schema = Schema.of_migrations()  # read once: /healthz compares the database with it
        self.slack = SlackRequestHandler(bolt_app, path=EVENTS_PATH)
        self.verifier = SignatureVerifier(signing_secret)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            return self._health(start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > REQUEST_BODY_MAX:
            return _json(
                start_response,
                "413 Content Too Large",
                {"ok": False, "error": "request body too large"},
            )
        # One id for every line this request logs, here and in Bolt's listeners (which read the
        # header).
        key = "HTTP_" + REQUEST_ID_HEADER.upper().replace("-", "_")
        environ[key] = safe_request_id(environ.get(key))
        token = request_id.set(environ[key])
        try:
            if path == EVENTS_PATH and environ.get("REQUEST_METHOD") == "POST":
                return self._events(environ, start_response, length)
            return self.slack(environ, start_response)
        finally:
            request_id.reset(token)

    def _events(
        self, environ: WSGIEnvironment, start_response: StartResponse, length: int
    ) -> Iterable[bytes]:
        """Check the signature on the raw bytes, then read the body, then hand Bolt the request it
        was checked as.

        Nothing decodes or parses a body before its signature holds: a 985 KB unsigned body cost
        200 ms of parsing when it was read first. The body is decoded once: an interaction's
        payload is 10-50 KB of percent-encoded JSON, and decoding it a second time for the check
        cost about 0.5 ms of the ~1.6 ms each ack needs.
        """
        body = environ["wsgi.input"].read(length) if length else b""
        if not self._signed(body, environ):  # as Bolt answers any request without a valid one
            return _json(start_response, "401 Unauthorized", {"error": "invalid request"})
        try:
            request = BoltRequest(
                body=body.decode("utf-8"),
                query=environ.get("QUERY_STRING", ""),
                headers=WsgiHttpRequest(environ).get_headers(),
            )
            problem = inbound.problem_in(request.body)
        except Exception:  # Bolt cannot read it: say why, as the full check does
            problem = inbound.problem(body, environ.get("CONTENT_TYPE")) or "unreadable"
        if problem is not None:
            log.warning(
                "refused a signed request Slack would never send (%s); nothing was done", problem
            )
            return _json(
                start_response,
                "400 Bad Request",
                {"ok": False, "error": f"malformed request: {problem}"},
            )
        answer = self.slack.app.dispatch(request)
        response = WsgiHttpResponse(status=answer.status, headers=answer.headers, body=answer.body)
        start_response(response.status, response.get_headers())
        return response.get_body()

    def _signed(self, body: bytes, environ: WSGIEnvironment) -> bool:
        """Whether Slack signed these bytes within the last 5 minutes (slack_sdk's check).

        Headers Slack never sends are refused before the check, which would raise on them: a
        timestamp that is not 1-12 ASCII digits (a fraction, a sign, 400 digits, full-width digits,
        two headers joined by a comma), a signature that is not `v0=` and 64 hex digits.
        """
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        if not (_TIMESTAMP.fullmatch(timestamp) and _SIGNATURE.fullmatch(signature)):
            return False
        try:
            return self.verifier.is_valid(body, timestamp, signature)
        except UnicodeDecodeError:  # slack_sdk signs text; Slack's bodies are UTF-8
            return False

    def _health(self, start_response: StartResponse) -> Iterable[bytes]:
        """Ok (the database answers, its schema is current) or not ok, and nothing else: anyone can
        ask. Why not goes to the log (without the database's credentials), where the operator
        looks."""
        try:
            check_database(self.engine)
            problem = self.schema.problem(self.engine)
        except DatabaseUnavailable as exc:
            problem = str(exc)
        except DBAPIError as exc:  # the database went away between the two checks
            problem = describe_db_error(self.engine.url, exc)
        if problem is not None:
            log.warning("health check failed: %s", problem)
            return _json(start_response, "503 Service Unavailable", {"ok": False})
        return _json(start_response, "200 OK", {"ok": True})


def _json(start_response: StartResponse, status: str, body: dict[str, object]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def serve_in_thread(
    app: UpwardWSGI, *, host: str = "127.0.0.1", port: int = 0
) -> tuple[WSGIServer, str]:
    """A threaded WSGI server for the same app, for tests and `serve --sandbox`; returns it and its
    URL."""
    server = make_server(
        host, port, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    threading.Thread(target=server.serve_forever, name="upward-web", daemon=True).start()
    return server, f"http://{host}:{server.server_port}"
