"""The reference for the ack benchmark: a Bolt app that only acks, served like `upward serve`
(gunicorn's uvicorn worker, the app behind bot.asgi's front in THREADS threads)."""

from __future__ import annotations

import os
import re

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot.asgi import asgi_front

app = App(
    client=WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    token_verification_enabled=False,
)


@app.action(re.compile(".*"))
def _ack_only(ack: Ack) -> None:
    ack()


wsgi = SlackRequestHandler(app)
asgi = asgi_front(wsgi, threads=int(os.environ.get("BENCH_THREADS", "16")))
