"""`upward serve` with UPWARD_LOG_FORMAT=json: one JSON object a line, each request's lines under
its request id (Slack's header when sent, else a generated one), and never a secret or a token."""

from __future__ import annotations

import json
import re
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path

from sqlalchemy.engine import URL

from bot.sandbox import DEMO_SEED_PATH, SignedSender, SlackStandIn, payloads, signature_headers
from bot.sandbox.requests import FORM, JSON
from tests.e2e.test_serve import _wait_healthy, start_serve
from tests.security.conftest import as_interaction

TOKEN = re.compile(r"xox[abposr]-|xapp-")
GENERATED = re.compile(r"^[0-9a-f]{12}$")
FIELDS = {"time", "level", "logger", "message", "request_id"}
# Printed by `upward serve` itself (click.echo to stderr in bot/cli.py), not logged: the one line
# that is not JSON. It belongs in a log line (or on stdout); bot/cli.py is outside this change.


def _post(
    url: str, body: str, content_type: str, secret: str, request_id: str | None = None
) -> int:
    """A correctly signed POST, with Slack's request id header when given."""
    headers = {"Content-Type": content_type, **signature_headers(body, secret, int(time.time()))}
    if request_id:
        headers["X-Slack-Request-Id"] = request_id
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_json_logs_are_one_object_a_line_under_each_request_s_id_and_hold_no_secret(
    empty_database: URL, tmp_path: Path
) -> None:
    with SlackStandIn(DEMO_SEED_PATH, rate_limits=False) as slack:
        proc, base = start_serve(
            empty_database, slack, tmp_path, "--workers", "1", UPWARD_LOG_FORMAT="json"
        )
        try:
            url = f"{base}/slack/events"
            _wait_healthy(base, proc)
            ws = slack.workspace
            with ws.lock:  # App Home for someone Slack no longer knows: the listener logs a warning
                home = payloads.app_home_opened(ws, user_id="U07EXEC0003", channel_id="D000000001")
            home["event"]["user"] = "UNOBODY0001"
            assert (
                _post(url, json.dumps(home), JSON, slack.signing_secret, request_id="req-4f2a")
                == 200
            )
            assert (
                _post(url, as_interaction([1]), FORM, slack.signing_secret) == 400
            )  # a body Slack never sends
            assert (
                SignedSender(url, slack.signing_secret)
                .post(as_interaction([1]), FORM, wrong_secret=True)
                .status
                == 401
            )
            assert (
                _post(
                    url,
                    json.dumps({**home, "event": {**home["event"], "user": "U07EXEC0003"}}),
                    JSON,
                    slack.signing_secret,
                )
                == 200
            )
            ws.wait_until(lambda: len(ws.calls_to("views.publish")) >= 2, timeout=20)
            time.sleep(0.5)  # the listener's log line follows its Slack call
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err

    entries = []
    for line in err.splitlines():
        entry = json.loads(
            line
        )  # every other line, start-up and shutdown included, is one JSON object
        assert isinstance(entry, dict) and FIELDS <= entry.keys(), line
        entries.append(entry)
    assert any(e["message"].startswith("Upward listening on http://") for e in entries), (
        "the start-up line is JSON too"
    )
    unpublished = [e for e in entries if "home tab of UNOBODY0001 not published" in e["message"]]
    assert [e["request_id"] for e in unpublished] == ["req-4f2a"], (
        "a listener's line carries its request's id"
    )
    refused = [e for e in entries if "Slack would never send" in e["message"]]
    assert len(refused) == 1 and GENERATED.match(refused[0]["request_id"]), refused
    ids = {e["request_id"] for e in entries}
    assert ids <= {"-", "req-4f2a", refused[0]["request_id"]} | {
        i for i in ids if GENERATED.match(i)
    }, ids
    assert "-" not in {e["request_id"] for e in unpublished + refused}

    for secret in (slack.bot_token, slack.signing_secret):
        assert secret not in out + err
    assert not TOKEN.search(out + err), "no Slack token of any kind is ever printed"
