"""A local stand-in for Slack's Web API, plus signed requests into the bot and simulated people.

with SlackStandIn(rate_limits=False) as slack:
    client = WebClient(base_url=slack.api_url, token=slack.bot_token)
    client.chat_postMessage(channel=user_id, text="hi")
    slack.workspace.dm_messages(user_id)

    sender = SignedSender.for_stand_in(slack, "http://127.0.0.1:3000/slack/events")
    alice = SimulatedUser(slack, sender, user_id)
    alice.click_button("Mark done")

    # Socket Mode: the app connects with slack.app_token; envelopes instead of HTTP requests.
    bob = slack.socket_person(other_user_id)
    bob.command("/circle", "list")
    slack.socket_mode.disconnect("refresh_requested")
"""

from bot.sandbox.errors import SlackError
from bot.sandbox.faults import Fault, FaultPlan, Faults
from bot.sandbox.model import CallRecord
from bot.sandbox.oauth import InstallError, InstallResult
from bot.sandbox.people import SimulatedUser
from bot.sandbox.ratelimit import Limit, RateLimiter, RateLimits
from bot.sandbox.requests import SignedSender, SlackHttpResponse, signature_headers
from bot.sandbox.seed import DEMO_SEED_PATH, MINIMAL_SEED, OTHER_TEAM_SEED, SeedError, load_seed
from bot.sandbox.server import SlackStandIn
from bot.sandbox.socket_deliveries import Envelope, NoConnection
from bot.sandbox.socket_mode import ConnectionInfo, SocketModeServer
from bot.sandbox.socket_sender import SocketAck, SocketSender
from bot.sandbox.workspace import Workspace

__all__ = [
    "DEMO_SEED_PATH",
    "MINIMAL_SEED",
    "OTHER_TEAM_SEED",
    "CallRecord",
    "ConnectionInfo",
    "Envelope",
    "Fault",
    "FaultPlan",
    "Faults",
    "InstallError",
    "InstallResult",
    "Limit",
    "NoConnection",
    "RateLimiter",
    "RateLimits",
    "SeedError",
    "SignedSender",
    "SimulatedUser",
    "SlackError",
    "SlackHttpResponse",
    "SlackStandIn",
    "SocketAck",
    "SocketModeServer",
    "SocketSender",
    "Workspace",
    "load_seed",
    "signature_headers",
]
