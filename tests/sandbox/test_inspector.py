"""The sandbox inspector: a person's DMs, App Home and modals in a browser, and its buttons are real
clicks.

Upward's real WSGI app and the stand-in run over HTTP as in tests/e2e; the tests read the
inspector's pages and press its forms over HTTP, as a browser would, and check what Upward
recorded. One test renders a page in headless Chromium and keeps test-artifacts/inspector.png.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.engine import URL

from bot.learning.answers import REFLECTION_ID
from bot.models import Answer, Delivery, DeliveryKind, Person
from bot.sandbox import inspector
from tests.demo.chromium import headless_chromium
from tests.e2e.conftest import Stack, running_stack

SQLITE = pytest.mark.parametrize(
    "backend", ["sqlite"], indirect=True
)  # the inspector is about the stand-in

UTC = dt.UTC
SOFIA = "U07EXEC0003"  # Europe/Berlin
ARJUN = "U07EXEC0006"  # Asia/Kolkata
LEAD = "U07LEAD0001"  # Priya Raman, Europe/London
START = dt.date(2026, 12, 1)
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "test-artifacts" / "inspector.png"
WINDOW = (1280, 2800)


@dataclass
class Form:
    """One <form> of a page: where it posts, its fields (those tied to it by form="id" too) and its
    text."""

    action: str
    method: str
    id: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    text: str = ""


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._open: Form | None = None
        self._tied: list[
            tuple[str, str, str]
        ] = []  # (form id, name, value) of fields outside their form

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._open = Form(a.get("action", ""), a.get("method", "get").lower(), a.get("id", ""))
            self.forms.append(self._open)
        elif tag in ("input", "textarea", "select") and a.get("name"):
            if a.get("form"):
                self._tied.append((a["form"], a["name"], a.get("value", "")))
            elif self._open is not None:
                self._open.fields[a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open.text += data

    def close(self) -> None:
        super().close()
        for form_id, name, value in self._tied:
            next(f for f in self.forms if f.id == form_id).fields[name] = value


def forms(page: str) -> list[Form]:
    parser = _Forms()
    parser.feed(page)
    parser.close()
    return parser.forms


def form(page: str, action: str, text: str | None = None) -> Form:
    """The first form posting to /sandbox/inspector/<action> whose visible text is `text`."""
    found = [
        f
        for f in forms(page)
        if f.action.endswith(f"/{action}") and (text is None or f.text.strip() == text)
    ]
    assert found, f"no {action} form labelled {text!r} in the page"
    return found[0]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def press(stack: Stack, f: Form, **typed: str) -> str:
    """Submit a form as a browser does (POST, follow the 303 back) and return the page it lands
    on."""
    body = urlencode({**f.fields, **typed}).encode()
    with urllib.request.urlopen(
        urllib.request.Request(stack.slack.url + f.action, data=body), timeout=20
    ) as response:
        assert response.status == 200 and "/sandbox/inspector" in response.url
        stack.settle()
        return response.read().decode()


def page_of(stack: Stack, user: str) -> str:
    status, page = get(f"{stack.slack.url}/sandbox/inspector/person/{user}")
    assert status == 200
    return page


def blocks_text(message: dict) -> str:
    return json.dumps(message.get("blocks") or [], ensure_ascii=False)


@pytest.fixture()
def stack(empty_database: URL) -> Iterator[Stack]:
    with running_stack(empty_database) as running:
        running.slack.request_url = f"{running.bot_url}/slack/events"
        yield running


def with_first_module(stack: Stack, *users: str) -> None:
    """The demo pilot, ticked hour by hour until each of `users` has module 1 in their DM."""
    stack.create_pilot(start=START)
    now = dt.datetime(2026, 12, 1, 0, tzinfo=UTC)
    for _ in range(24 * 7):
        stack.tick(now)
        if all(
            any("module 1 of" in blocks_text(m) for m in stack.slack.workspace.dm_messages(u))
            for u in users
        ):
            return
        now += dt.timedelta(hours=1)
    raise AssertionError("module 1 did not arrive within a week")


def module_message(stack: Stack, user: str) -> dict:
    return next(
        m for m in stack.slack.workspace.dm_messages(user) if "module 1 of" in blocks_text(m)
    )


@SQLITE
def test_the_index_lists_people_with_role_and_zone_and_channels_escaping_every_name(
    stack: Stack,
) -> None:
    stack.slack.workspace.add_user(
        name="mallory", real_name='<img src=x onerror="alert(1)"> & Co', tz="UTC"
    )
    status, page = get(f"{stack.slack.url}/sandbox/inspector")
    assert status == 200
    row = page[page.index('<td><a href="/sandbox/inspector/person/U07EXEC0003"') :]
    row = row[: row.index("</tr>")]
    assert "Sofia Lindqvist" in row and "executive" in row and "Europe/Berlin" in row
    assert "Priya Raman" in page and ">lead<" in page and ">mentor<" in page
    assert 'href="/sandbox/inspector/channel/C07PROGRAM1"' in page and "reverse-mentoring" in page
    assert (
        "<img src=x" not in page
        and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; Co" in page
    )
    assert f"{stack.bot_url}/slack/events" in page
    assert get(f"{stack.slack.url}/sandbox/inspector/person/U0NOBODY01")[0] == 404


@SQLITE
def test_a_persons_page_shows_their_dm_in_their_zone_with_bot_text_escaped(stack: Stack) -> None:
    with_first_module(stack, SOFIA)
    client = WebClient(base_url=stack.slack.api_url, token=stack.slack.bot_token)
    client.chat_postMessage(channel=SOFIA, text="<script>alert(1)</script> & *bold*")
    client.chat_postEphemeral(channel=SOFIA, user=SOFIA, text="just for Sofia")
    page = page_of(stack, SOFIA)
    message = module_message(stack, SOFIA)
    local = dt.datetime.fromtimestamp(float(message["ts"]), ZoneInfo("Europe/Berlin"))
    assert f'datetime="{local.isoformat()}"' in page and f"{local:%a %-d %b, %H:%M}" in page
    assert "module 1 of" in page and "Chief Operating Officer · executive · Europe/Berlin" in page
    assert (
        "<script>alert" not in page
        and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; <b>bold</b>" in page
    )
    assert "Only visible to you" in page and "just for Sofia" in page
    labels = {f.text.strip() for f in forms(page) if f.action.endswith("/click")}
    assert {
        "Mark done",
        "Snooze a week",
        "Stop these messages",
        "Write a reflection",
        "Pause until",
    } <= labels
    assert (
        'onsubmit="return confirm(this.dataset.confirm)"' in page
    )  # "Stop these messages" asks first


@SQLITE
def test_pressing_an_answer_in_the_inspector_is_a_real_click_and_the_page_shows_the_update(
    stack: Stack,
) -> None:
    with_first_module(stack, SOFIA)
    module = stack.catalog.modules[stack.catalog.programs["pilot"].modules[0]]
    question = module.questions[0]
    wrong = next(o for o in question.options if o.id != question.correct)
    landed = press(stack, form(page_of(stack, SOFIA), "click", wrong.label))
    assert f"Sofia Lindqvist pressed “{wrong.label}”; Upward answered HTTP 200." in landed
    with stack.session() as session:
        answers = session.scalars(
            select(Answer)
            .join(Delivery)
            .join(Person)
            .where(Person.slack_user_id == SOFIA, Delivery.kind == DeliveryKind.module)
        ).all()
        assert [(a.question_id, a.correct) for a in answers] == [(question.id, False)]
    page = page_of(stack, SOFIA)
    assert f"You chose <b>{wrong.label}</b>" in page and "(edited)" in page
    assert "Try again" in {f.text.strip() for f in forms(page)}
    assert "You chose" in blocks_text(module_message(stack, SOFIA))


@SQLITE
def test_picking_a_pause_date_and_opening_app_home_through_the_inspector(stack: Stack) -> None:
    with_first_module(stack, SOFIA)
    landed = press(stack, form(page_of(stack, SOFIA), "home"))
    assert "Sofia Lindqvist opened App Home" in landed
    assert stack.slack.workspace.home_tab(SOFIA) is not None
    home = page_of(stack, SOFIA).split('id="home"', 1)[1]
    assert "executive in <b>Pilot</b>" in home and "Snooze a week" in home
    press(stack, form(page_of(stack, SOFIA), "click", "Pause until"), picked="2026-12-20")
    with stack.session() as session:
        paused = session.scalar(select(Person.paused_until).where(Person.slack_user_id == SOFIA))
    assert paused is not None and paused.astimezone(ZoneInfo("Europe/Berlin")).date() == dt.date(
        2026, 12, 20
    )
    no_date = press(stack, form(page_of(stack, SOFIA), "click", "Pause until"))
    assert "Pick a date (or time) first" in no_date and 'class="notice bad"' in no_date


@SQLITE
def test_the_reflection_modal_opens_in_the_page_and_submits_through_the_inspector(
    stack: Stack,
) -> None:
    with_first_module(stack, SOFIA)
    page = press(stack, form(page_of(stack, SOFIA), "click", "Write a reflection"))
    assert 'class="overlay"' in page and "<textarea" in page
    save = form(page, "submit", "Save")
    [field_name] = [k for k in save.fields if k.startswith("input-")]
    refused = press(stack, save)  # empty: Slack would not submit a required field
    assert "Fill in every field" in refused and stack.slack.workspace.open_views(SOFIA)
    closed = press(stack, save, **{field_name: "Ask before <assuming> & listen"})
    assert "submitted “Reflection”; Upward answered HTTP 200" in closed
    assert not stack.slack.workspace.open_views(SOFIA) and 'class="overlay"' not in page_of(
        stack, SOFIA
    )
    with stack.session() as session:
        text = session.scalar(
            select(Answer.value)
            .join(Delivery)
            .join(Person)
            .where(Person.slack_user_id == SOFIA, Answer.question_id == REFLECTION_ID)
        )
    assert text == "Ask before <assuming> & listen"
    assert "Edit reflection" in {f.text.strip() for f in forms(page_of(stack, SOFIA))}


@SQLITE
def test_a_slash_command_a_stale_button_and_a_request_from_elsewhere(stack: Stack) -> None:
    with_first_module(stack, SOFIA)
    page = page_of(stack, SOFIA)
    landed = press(stack, form(page, "command"), text="help")
    assert "Sofia Lindqvist ran /circle help; Upward answered HTTP 200." in landed
    assert stack.slack.workspace.ephemerals(SOFIA) and "Only visible to you" in page_of(
        stack, SOFIA
    )
    stale = form(page, "click", "Mark done")
    stale.fields["ts"] = "1.000001"
    assert "That message is gone" in press(stack, stale)
    refused = inspector.handle(
        stack.slack, "GET", "/sandbox/inspector", "", b"", client="192.0.2.7"
    )
    assert refused.status == 403


@SQLITE
def test_a_channel_page_shows_it_as_a_member_sees_it_and_runs_commands_there(stack: Stack) -> None:
    client = WebClient(base_url=stack.slack.api_url, token=stack.slack.bot_token)
    posted = client.chat_postMessage(channel="C07PROGRAM1", text="Weekly digest <b>not html</b>")[
        "ts"
    ]
    status, page = get(f"{stack.slack.url}/sandbox/inspector/channel/C07PROGRAM1")
    assert status == 200 and "reverse-mentoring" in page and "Viewing as" in page
    local = dt.datetime.fromtimestamp(
        float(posted), ZoneInfo("Europe/London")
    )  # Priya, the only member
    assert f"{local:%a %-d %b, %H:%M}" in page and "times in Europe/London" in page
    assert "Weekly digest &lt;b&gt;not html&lt;/b&gt;" in page
    landed = press(stack, form(page, "command"), text="help")
    assert (
        "Priya Raman ran /circle help" in landed and "Viewing as" in landed
    )  # back on the channel's page
    theirs = stack.slack.workspace.ephemerals(LEAD, "C07PROGRAM1")
    assert theirs and "in #reverse-mentoring" in page_of(stack, LEAD)
    assert get(f"{stack.slack.url}/sandbox/inspector/channel/C0NOTHERE1")[0] == 404


@SQLITE
def test_the_inspector_in_chromium_shows_an_executives_module_with_its_buttons(
    stack: Stack, tmp_path: Path
) -> None:
    browser = headless_chromium(tmp_path / "profile", WINDOW, checking="the inspector")
    with_first_module(stack, ARJUN)
    press(stack, form(page_of(stack, ARJUN), "home"))
    url = f"{stack.slack.url}/sandbox/inspector/person/{ARJUN}"
    dom = browser.dom(url)
    module = dom[dom.index("module 1 of") :]
    for label in ("Mark done", "Snooze a week", "Write a reflection", "Stop these messages"):
        assert f">{label}</button>" in module, f"{label!r} is not a button in the module"
    assert '<button type="submit" class="bk-button bk-button-primary">Mark done</button>' in module
    assert 'type="date" name="picked"' in module and "Arjun Mehta" in dom and "App Home tab" in dom
    assert 'src="http' not in dom and "<link" not in dom, (
        "the page must load nothing from a network"
    )
    browser.screenshot(url, SCREENSHOT)


def test_upward_serve_sandbox_prints_the_inspector_and_its_buttons_reach_upward(
    tmp_path: Path,
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--sandbox", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(8)]
        [url] = [line.split()[1] for line in lines if line.strip().startswith("Inspector:")]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/sandbox/inspector")
        status, index = get(url)
        assert status == 200 and f"http://127.0.0.1:{port}/slack/events" in index
        base = url.removesuffix("/sandbox/inspector")
        page = get(f"{url}/person/{SOFIA}")[1]
        home = form(page, "home")
        body = urlencode(home.fields).encode()
        with urllib.request.urlopen(
            urllib.request.Request(base + home.action, data=body), timeout=20
        ) as response:
            landed = response.read().decode()
        assert "opened App Home; Upward answered HTTP 200" in landed
        assert "executive in <b>Demo pilot</b>" in get(f"{url}/person/{SOFIA}")[1]
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
