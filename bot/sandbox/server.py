"""The stand-in's HTTP server: Slack's Web API wire format, rate limits, faults, control endpoints.

``POST /api/<method>`` takes form-encoded or JSON bodies (plus query parameters) and a bot token
in ``Authorization: Bearer`` or a ``token`` field, and answers like slack.com. ``/sandbox/...``
serves uploads, response_urls, state inspection and run-time fault/rate-limit control.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from bot.sandbox.errors import SlackError
from bot.sandbox.faults import Fault, FaultPlan, Faults, plan_from_json
from bot.sandbox.interactions import apply_response_url
from bot.sandbox.methods import METHODS, Call
from bot.sandbox.methods.files import receive_upload
from bot.sandbox.model import CallRecord
from bot.sandbox.people import SimulatedUser
from bot.sandbox.ratelimit import RateLimiter, RateLimits, limits_from_json
from bot.sandbox.requests import SignedSender
from bot.sandbox.workspace import Workspace

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


class SlackStandIn:
    """A local Slack Web API on a real HTTP port; use as a context manager or start()/stop()."""

    def __init__(
        self, seed: Mapping[str, Any] | str | Path | None = None, *,
        workspace: Workspace | None = None, host: str = "127.0.0.1", port: int = 0,
        rate_limits: bool | RateLimits = True, faults: FaultPlan | None = None,
        trigger_ttl: float = 3.0, id_seed: int = 0,
    ) -> None:
        self.workspace = workspace or Workspace.from_seed(seed, id_seed=id_seed,
                                                          trigger_ttl=trigger_ttl)
        if isinstance(rate_limits, bool):
            rate_limits = RateLimits() if rate_limits else RateLimits.off()
        self.rate_limiter = RateLimiter(rate_limits)
        self.faults = Faults(faults or FaultPlan())
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> SlackStandIn:
        """Bind the port and serve in a daemon thread."""
        if self._server is not None:
            return self
        server = _Server(self._address, _Handler)
        server.stand_in = self
        host, port = self._address[0], server.server_address[1]
        public_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        self.workspace.public_url = f"http://{public_host}:{port}"
        self._server = server
        # A short poll interval makes stop() return within ~10 ms, which keeps test suites fast.
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                                        name="slack-stand-in", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Root URL of the stand-in, e.g. ``http://127.0.0.1:50123``."""
        if self._server is None:
            raise RuntimeError("the stand-in is not started; call start() or use `with`")
        return self.workspace.public_url

    @property
    def api_url(self) -> str:
        """The ``base_url`` for ``slack_sdk.WebClient`` (ends in ``/api/``)."""
        return f"{self.url}/api/"

    @property
    def bot_token(self) -> str:
        return self.workspace.bot_token

    @property
    def signing_secret(self) -> str:
        return self.workspace.signing_secret

    def fail_next(self, method: str, **kwargs: Any) -> None:
        """Shortcut for ``faults.fail_next`` (see there)."""
        self.faults.fail_next(method, **kwargs)

    def person(self, user_id: str, request_url: str, **sender_options: Any) -> SimulatedUser:
        """A SimulatedUser who sends signed requests to the app at ``request_url``."""
        sender = SignedSender(request_url, self.signing_secret, **sender_options)
        return SimulatedUser(self, sender, user_id)

    # -- the Web API --------------------------------------------------------------------------
    def handle_api(self, method: str, args: dict[str, Any], token: str | None) -> ApiAnswer:
        """Answer one Web API call: auth, rate limit, faults, then the method itself."""
        ws = self.workspace
        if method not in METHODS:
            unknown = ApiAnswer(404, {"ok": False, "error": "unknown_method"})
            return self._record(method, args, unknown)
        with ws.lock:
            auth_error = ws.token_error(token)
            channel_key = self._rate_key(method, args)
        if auth_error:
            return self._record(method, args, ApiAnswer(200, {"ok": False, "error": auth_error}))
        retry_after = self.rate_limiter.check(method, channel_key)
        if retry_after is not None:
            answer = ApiAnswer(429, {"ok": False, "error": "ratelimited"},
                               {"Retry-After": str(retry_after)})
            return self._record(method, args, answer)
        fault = self.faults.decide(method)
        if fault and fault.kind != "slow" and not fault.after_commit:
            return self._record(method, args, self._fault_answer(fault), fault)  # did nothing
        with ws.mutation():
            try:
                answer = ApiAnswer(200, {"ok": True, **METHODS[method](Call(ws, method, args))})
            except SlackError as exc:
                answer = ApiAnswer(exc.status, exc.body())
            except Exception:  # a bug in the stand-in: say so loudly, answer like Slack's 500
                log.exception("stand-in method %s failed", method)
                answer = ApiAnswer(500, {"ok": False, "error": "internal_error"})
        if fault and fault.kind != "slow":
            answer = self._fault_answer(fault)  # the effect happened, the client hears failure
        elif fault:
            answer.delay = fault.delay
        return self._record(method, args, answer, fault)

    def _rate_key(self, method: str, args: dict[str, Any]) -> str | None:
        """The conversation a chat.postMessage counts against (a user id means their DM)."""
        if method != "chat.postMessage":
            return None
        channel = str(args.get("channel") or "")
        found = self.workspace.state.channels.get(channel)
        return found.user or channel if found is not None and found.is_im else channel

    @staticmethod
    def _fault_answer(fault: Fault) -> ApiAnswer:
        if fault.kind == "drop":
            return ApiAnswer(0, None, delay=fault.delay)
        return ApiAnswer(fault.status, {"ok": False, "error": fault.error}, delay=fault.delay)

    def _record(self, method: str, args: dict[str, Any], answer: ApiAnswer,
                fault: Fault | None = None) -> ApiAnswer:
        body = answer.body or {}
        record = CallRecord(method=method, args=args, status=answer.status,
                            ok=bool(body.get("ok")), error=body.get("error"), at=time.time(),
                            fault=fault.label if fault else None)
        with self.workspace.mutation() as state:
            state.calls.append(record)
        return answer

    # -- control endpoints --------------------------------------------------------------------
    def control(self, path: str, verb: str, body: bytes) -> tuple[int, Any]:
        """Handle ``/sandbox/...`` inspection and control requests; (status, JSON)."""
        data = json.loads(body) if body.strip() else {}
        if path == "/sandbox/state":
            return 200, self.workspace.snapshot()
        if path == "/sandbox/calls":
            return 200, [c.to_dict() for c in self.workspace.calls]
        if path == "/sandbox/faults":
            if verb == "POST":
                self.faults.configure(plan_from_json(data, self.faults.plan))
            return 200, self.faults.describe()
        if path == "/sandbox/fail-next" and verb == "POST":
            self.faults.fail_next(data.pop("method"), **data)
            return 200, self.faults.describe()
        if path == "/sandbox/rate-limits":
            if verb == "POST":
                self.rate_limiter.configure(limits_from_json(data, self.rate_limiter.limits))
            return 200, self.rate_limiter.describe()
        return 404, {"ok": False, "error": "not_found"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a hung client must not keep the process alive
    stand_in: SlackStandIn


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SlackStandIn/1.0"

    @property
    def stand_in(self) -> SlackStandIn:
        return cast(_Server, self.server).stand_in

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
            if path.startswith("/api/"):
                self._api(path.removeprefix("/api/"), url.query, body)
            elif path.startswith("/sandbox/upload/") and verb == "POST":
                ok = receive_upload(self.stand_in.workspace, path.rsplit("/", 1)[-1], body)
                self._send(200 if ok else 404, f"OK - {len(body)}" if ok else "file_not_found")
            elif path.startswith("/sandbox/response/") and verb == "POST":
                payload = _loads_or_none(body)
                self._send(*apply_response_url(self.stand_in.workspace,
                                               path.rsplit("/", 1)[-1], payload))
            elif path.startswith("/sandbox/files/"):
                content = self.stand_in.workspace.file_content(path.split("/")[3])
                self._send(200 if content is not None else 404, content or b"")
            else:
                self._send(*self.stand_in.control(path, verb, body))
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
        answer = self.stand_in.handle_api(method, args, token)
        if answer.delay:
            time.sleep(answer.delay)
        if answer.body is None:
            # A dropped connection: no status line at all; the client sees RemoteDisconnected.
            self.close_connection = True
            return
        self._send(answer.status, answer.body, answer.headers)

    def _send(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        if isinstance(body, bytes):
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
