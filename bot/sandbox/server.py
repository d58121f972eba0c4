"""The stand-in: Slack's Web API on a real port, its teams, rate limits, faults, control endpoints.

``POST /api/<method>`` takes form-encoded or JSON bodies (plus query parameters) and a bot token
in ``Authorization: Bearer`` or a ``token`` field, and answers like slack.com. ``/sandbox/...``
serves uploads, response_urls, state inspection and run-time fault/rate-limit control. The HTTP
side (parsing a request, routing it, writing the answer) is ``bot/sandbox/http_handler.py``; this
module decides the answers: auth, rate limits, faults, then the method, each call logged.
``GET /oauth/v2/authorize`` approves an install (``bot/sandbox/oauth.py``). ``/sandbox/inspector``
is a page per simulated person where someone clicks through the app by hand
(``bot/sandbox/inspector.py``; it sends to ``request_url``).

``apps.connections.open`` takes the app-level token (``xapp-…``; a bot token is
``not_allowed_token_type``, and the app token is that on every other method) and answers the URL of
the stand-in's Socket Mode WebSocket (``bot/sandbox/socket_mode.py``); ``/sandbox/socket-mode``
shows and controls its connections. ``transport`` says how the inspector reaches the app.

Several teams can share one stand-in (``teams=[seed, ...]`` or ``add_team``): each has its own
people, conversations and calls, and a token answers in the team it belongs to. They install the
same app: the first team's app id, signing secret and OAuth credentials.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from bot.sandbox.errors import SlackError
from bot.sandbox.faults import Fault, FaultPlan, Faults, plan_from_json
from bot.sandbox.http_handler import ApiAnswer, StandInHTTPServer
from bot.sandbox.methods import METHODS, Call
from bot.sandbox.model import CallRecord
from bot.sandbox.oauth import InstallResult, install
from bot.sandbox.people import SimulatedUser
from bot.sandbox.ratelimit import RateLimiter, RateLimits, limits_from_json
from bot.sandbox.requests import SignedSender
from bot.sandbox.seed import load_seed
from bot.sandbox.socket_mode import SocketModeServer
from bot.sandbox.socket_sender import SocketSender
from bot.sandbox.workspace import Workspace

log = logging.getLogger("bot.sandbox")

# Methods an app calls with its client id and secret instead of a token.
CLIENT_AUTH_METHODS = frozenset({"oauth.v2.access"})
# The method an app calls with its app-level token (and no other method takes that token).
OPEN_CONNECTION = "apps.connections.open"
# Call arguments never shown in /sandbox/calls.
SECRET_ARGS = frozenset({"client_secret"})


class SlackStandIn:
    """A local Slack Web API on a real HTTP port; use as a context manager or start()/stop()."""

    def __init__(
        self,
        seed: Mapping[str, Any] | str | Path | None = None,
        *,
        workspace: Workspace | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limits: bool | RateLimits = True,
        faults: FaultPlan | None = None,
        trigger_ttl: float = 3.0,
        id_seed: int = 0,
        teams: list[Mapping[str, Any] | str | Path] | None = None,
        ack_timeout: float = 3.0,
        socket_port: int = 0,
    ) -> None:
        self.workspace = workspace or Workspace.from_seed(
            seed, id_seed=id_seed, trigger_ttl=trigger_ttl
        )
        self.teams: dict[str, Workspace] = {self.workspace.team_id: self.workspace}
        for other in teams or []:
            self.add_team(other)
        if isinstance(rate_limits, bool):
            rate_limits = RateLimits() if rate_limits else RateLimits.off()
        self.rate_limiter = RateLimiter(rate_limits)
        self.faults = Faults(faults or FaultPlan())
        # The app's Request URL (e.g. http://127.0.0.1:3000/slack/events): where the inspector
        # sends what a person does on its pages. None: the pages show, their buttons send nothing.
        self.request_url: str | None = None
        # How the app hears from Slack: "http" (signed requests to request_url) or "socket" (it
        # holds a Socket Mode connection); the inspector's people send their actions that way.
        self.transport = "http"
        # Socket Mode: apps.connections.open's WebSocket; ack_timeout is how long Slack waits for
        # an ack before redelivering (3 s).
        self.socket_mode = SocketModeServer(
            self.workspace.app_id, host=host, port=socket_port, ack_timeout=ack_timeout
        )
        self._address = (host, port)
        self._server: StandInHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> SlackStandIn:
        """Bind the port and serve in a daemon thread."""
        if self._server is not None:
            return self
        server = StandInHTTPServer(self._address, self)
        host, port = self._address[0], server.server_address[1]
        public_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        for ws in self.teams.values():
            ws.public_url = f"http://{public_host}:{port}"
        self._server = server
        # A short poll interval makes stop() return within ~10 ms, which keeps test suites fast.
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="slack-stand-in",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the ports."""
        if self._server is None:
            return
        self.socket_mode.stop()
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

    @property
    def app_token(self) -> str:
        """The app-level token (``xapp-…``) that opens Socket Mode connections."""
        return self.workspace.seed.app_token

    # -- several teams -------------------------------------------------------------------------
    def add_team(self, seed: Mapping[str, Any] | str | Path) -> Workspace:
        """Another team that can install the same app (the first team's app id, secret and
        credentials)."""
        first = self.workspace
        parsed = load_seed(seed)
        if parsed.team_id in self.teams:
            raise ValueError(f"team {parsed.team_id} is already in the stand-in")
        parsed.app_id, parsed.signing_secret = first.app_id, first.signing_secret
        parsed.verification_token, parsed.bot.app_id = first.seed.verification_token, first.app_id
        parsed.client_id, parsed.client_secret = first.client_id, first.client_secret
        parsed.redirect_urls, parsed.app_token = first.seed.redirect_urls, first.seed.app_token
        # Ids differ between teams (as on Slack), so generated channel ids never collide.
        ws = Workspace(
            parsed,
            id_seed=first.ids_seed + 7919 * len(self.teams),
            trigger_ttl=first.trigger_ttl,
            clock=first.clock,
        )
        ws.public_url = first.public_url
        self.teams[ws.team_id] = ws
        return ws

    def team(self, team_id: str) -> Workspace:
        """One team's workspace, by team id."""
        return self.teams[team_id]

    def workspace_for_token(self, token: str | None) -> Workspace:
        """The team a token belongs to (the first team for unknown tokens, which answer
        invalid_auth)."""
        return next((ws for ws in self.teams.values() if ws.owns_token(token)), self.workspace)

    def workspace_for_user(self, user_id: str) -> Workspace:
        """The team a person belongs to (the first team when nobody has that id)."""
        return next((ws for ws in self.teams.values() if user_id in ws.state.users), self.workspace)

    def workspace_holding(self, kind: str, key: str) -> Workspace:
        """The team whose state has ``key`` in its ``kind`` map (response_urls, files,
        oauth_codes)."""
        return next(
            (ws for ws in self.teams.values() if key in getattr(ws.state, kind)), self.workspace
        )

    def install(self, install_url: str, **options: Any) -> InstallResult:
        """Install the app through its install link as a person of a team would; see
        ``bot.sandbox.oauth.install``."""
        return install(self, install_url, **options)

    def fail_next(self, method: str, **kwargs: Any) -> None:
        """Shortcut for ``faults.fail_next`` (see there)."""
        self.faults.fail_next(method, **kwargs)

    def person(self, user_id: str, request_url: str, **sender_options: Any) -> SimulatedUser:
        """A SimulatedUser (of whichever team they are in) who sends signed requests to the app at
        ``request_url``."""
        sender = SignedSender(request_url, self.signing_secret, **sender_options)
        return SimulatedUser(self, sender, user_id)

    def socket_person(self, user_id: str, **sender_options: Any) -> SimulatedUser:
        """A SimulatedUser whose actions reach the app as envelopes over its Socket Mode
        connection (``SocketSender``; ``timeout=`` how long they wait for the ack)."""
        return SimulatedUser(self, SocketSender(self.socket_mode, **sender_options), user_id)

    # -- the Web API --------------------------------------------------------------------------
    def handle_api(self, method: str, args: dict[str, Any], token: str | None) -> ApiAnswer:
        """Answer one Web API call: auth, rate limit, faults, then the method itself, in the token's
        team."""
        if method in CLIENT_AUTH_METHODS:  # no token: the code says which team is installing
            ws = self.workspace_holding("oauth_codes", str(args.get("code") or ""))
        else:
            ws = self.workspace_for_token(token)
        if method not in METHODS and method != OPEN_CONNECTION:
            unknown = ApiAnswer(404, {"ok": False, "error": "unknown_method"})
            return self._record(method, args, token, unknown, ws=ws)
        with ws.lock:
            auth_error = self._auth_error(ws, method, token)
            channel_key = self._rate_key(ws, method, args)
        if auth_error:
            return self._record(
                method, args, token, ApiAnswer(200, {"ok": False, "error": auth_error}), ws=ws
            )
        retry_after = self.rate_limiter.check(method, channel_key)
        if retry_after is not None:
            answer = ApiAnswer(
                429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
            )
            return self._record(method, args, token, answer, ws=ws)
        fault = self.faults.decide(method)
        if fault and fault.kind != "slow" and not fault.after_commit:
            return self._record(
                method, args, token, self._fault_answer(fault), fault, ws=ws
            )  # did nothing
        with ws.mutation():
            try:
                if method == OPEN_CONNECTION:
                    answer = ApiAnswer(200, {"ok": True, "url": self.socket_mode.open_url()})
                else:
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
        return self._record(method, args, token, answer, fault, ws=ws)

    def _auth_error(self, ws: Workspace, method: str, token: str | None) -> str | None:
        """Slack's answer to the token: the app-level token opens connections and nothing else."""
        if method in CLIENT_AUTH_METHODS:
            return None
        is_app_token = bool(token) and token == self.app_token
        if method != OPEN_CONNECTION:
            return "not_allowed_token_type" if is_app_token else ws.token_error(token)
        if is_app_token:
            return None
        if token and ws.owns_token(token):  # a bot token: known, but the wrong type
            return ws.token_error(token) or "not_allowed_token_type"
        return ws.token_error(token)  # not_authed without a token, else invalid_auth

    @staticmethod
    def _rate_key(ws: Workspace, method: str, args: dict[str, Any]) -> str | None:
        """The conversation a chat.postMessage counts against (a user id means their DM)."""
        if method != "chat.postMessage":
            return None
        channel = str(args.get("channel") or "")
        found = ws.state.channels.get(channel)
        return found.user or channel if found is not None and found.is_im else channel

    @staticmethod
    def _fault_answer(fault: Fault) -> ApiAnswer:
        if fault.kind == "drop":
            return ApiAnswer(0, None, delay=fault.delay)
        return ApiAnswer(fault.status, {"ok": False, "error": fault.error}, delay=fault.delay)

    def _record(
        self,
        method: str,
        args: dict[str, Any],
        token: str | None,
        answer: ApiAnswer,
        fault: Fault | None = None,
        *,
        ws: Workspace | None = None,
    ) -> ApiAnswer:
        ws = ws or self.workspace
        body = answer.body or {}
        shown = {k: "***" if k in SECRET_ARGS else v for k, v in args.items()}
        record = CallRecord(
            method=method,
            args=shown,
            status=answer.status,
            ok=bool(body.get("ok")),
            error=body.get("error"),
            at=time.time(),
            fault=fault.label if fault else None,
            team=ws.team_id,
            token_tail=token[-8:] if token else None,
        )
        with ws.mutation() as state:
            state.calls.append(record)
        return answer

    # -- control endpoints --------------------------------------------------------------------
    def control(self, path: str, verb: str, body: bytes, query: str = "") -> tuple[int, Any]:
        """Handle ``/sandbox/...`` inspection and control requests; (status, JSON).

        ``/sandbox/state`` and ``/sandbox/calls`` show the first team, or ``?team=T…``.
        """
        data = json.loads(body) if body.strip() else {}
        team = parse_qs(query).get("team", [self.workspace.team_id])[-1]
        if path in ("/sandbox/state", "/sandbox/calls") and team not in self.teams:
            return 404, {"ok": False, "error": "team_not_found"}
        if path == "/sandbox/state":
            return 200, self.teams[team].snapshot()
        if path == "/sandbox/calls":
            return 200, [c.to_dict() for c in self.teams[team].calls]
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
        if path.startswith("/sandbox/socket-mode"):
            return self.socket_mode.control(path.removeprefix("/sandbox/socket-mode"), verb, data)
        return 404, {"ok": False, "error": "not_found"}
