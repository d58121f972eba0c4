"""The Block Kit renderer: Slack's blocks and mrkdwn as HTML, with every piece of user text
escaped."""

from __future__ import annotations

import datetime as dt

from bot.sandbox.blockkit_html import (
    RenderContext,
    render_blocks,
    render_message,
    render_mrkdwn,
    render_view,
)

CTX = RenderContext(users={"U1": "Ada Lovelace"}, channels={"C1": "circle-1"}, tz="Asia/Kolkata")


def test_mrkdwn_bold_italic_strike_code_quotes_and_line_breaks() -> None:
    html = render_mrkdwn("*Bold* and _italic_ and ~gone~ and `x = 1`\n> quoted _words_\nlast", CTX)
    assert "<b>Bold</b>" in html and "<i>italic</i>" in html and "<s>gone</s>" in html
    assert '<code class="bk-code">x = 1</code>' in html
    assert '<blockquote class="bk-quote">quoted <i>words</i></blockquote>' in html
    assert html.endswith("</blockquote>last")
    assert render_mrkdwn("one\ntwo\n\nthree", CTX) == "one<br>two<br><br>three"
    assert '<pre class="bk-pre">a *not bold*</pre>' in render_mrkdwn("```a *not bold*```", CTX)
    assert "snake_case_name" in render_mrkdwn("snake_case_name", CTX)


def test_links_mentions_channels_dates_and_emoji() -> None:
    html = render_mrkdwn(
        "See <https://example.com/a?b=1&c=2|the page>, <@U1>, <#C1> and :tada:", CTX
    )
    assert (
        '<a class="bk-link" href="https://example.com/a?b=1&amp;c=2"' in html
        and ">the page</a>" in html
    )
    assert "@Ada Lovelace" in html and "#circle-1" in html and "🎉" in html
    when = int(dt.datetime(2026, 11, 26, 10, 30, tzinfo=dt.UTC).timestamp())
    assert "Thursday, November 26th at 16:00" in render_mrkdwn(
        f"<!date^{when}^{{date_long_pretty}} at {{time}}|x>", CTX
    )


def test_user_text_is_escaped_and_unsafe_links_are_not_links() -> None:
    html = render_mrkdwn('<script>alert(1)</script> &lt;b&gt; "q" <javascript:alert(1)|click>', CTX)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;" in html and "&quot;q&quot;" in html
    assert "href" not in html
    blocks = [
        {"type": "section", "text": {"type": "plain_text", "text": "<img src=x onerror=alert(1)>"}}
    ]
    assert "<img" not in render_blocks(blocks, CTX)


def test_blocks_look_like_slack() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Weekly digest"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Active*\n7 of 8"}]},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": ":stopwatch: 5 min"}]},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Mark done"},
                    "style": "primary",
                    "action_id": "a",
                },
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Stop"},
                    "style": "danger",
                    "action_id": "b",
                },
                {
                    "type": "datepicker",
                    "action_id": "c",
                    "placeholder": {"type": "plain_text", "text": "Pause until…"},
                },
                {
                    "type": "static_select",
                    "action_id": "d",
                    "placeholder": {"type": "plain_text", "text": "Pick"},
                    "options": [],
                },
            ],
        },
        {"type": "image", "image_url": "https://example.com/x.png", "alt_text": "a chart"},
        {"type": "image", "image_url": "data:image/png;base64,AAAA", "alt_text": "inline"},
    ]
    html = render_blocks(blocks, CTX)
    assert '<div class="bk-header">Weekly digest</div>' in html
    assert '<div class="bk-field"><b>Active</b><br>7 of 8</div>' in html
    assert '<hr class="bk-divider">' in html and "⏱️ 5 min" in html
    assert '<button type="button" class="bk-button bk-button-primary">Mark done</button>' in html
    assert "bk-button-danger" in html and "Pause until…" in html and "Pick" in html
    assert "https://example.com/x.png" not in html.split("title=")[0], "no network image is loaded"
    assert 'src="data:image/png;base64,AAAA"' in html


def test_messages_views_and_threads() -> None:
    ts = str(dt.datetime(2026, 11, 3, 4, 30, tzinfo=dt.UTC).timestamp())
    reply = render_message({"user": "U1", "text": "thanks", "ts": ts}, CTX)
    html = render_message(
        {
            "user": "UB",
            "bot_id": "B1",
            "bot_profile": {"name": "upward"},
            "text": "*hi*",
            "ts": ts,
            "edited": {"ts": ts},
        },
        CTX,
        replies=[reply],
    )
    assert "Upward" in html and "APP" in html and "Tue 3 Nov, 10:00" in html and "(edited)" in html
    assert "1 reply" in html and "Ada Lovelace" in html
    assert "Only visible to you" in render_message(
        {"user": "U1", "bot_id": "B1", "text": "x", "ts": ts}, CTX, is_ephemeral=True
    )
    modal = render_view(
        {
            "type": "modal",
            "title": {"type": "plain_text", "text": "Reflection"},
            "submit": {"type": "plain_text", "text": "Save"},
            "blocks": [
                {
                    "type": "input",
                    "label": {"type": "plain_text", "text": "Yours"},
                    "element": {
                        "type": "plain_text_input",
                        "multiline": True,
                        "initial_value": "</textarea><b>",
                    },
                }
            ],
        },
        CTX,
    )
    assert (
        "Reflection" in modal
        and ">Save</button>" in modal
        and "&lt;/textarea&gt;&lt;b&gt;" in modal
    )
