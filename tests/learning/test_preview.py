"""`upward content preview`: a module's messages as Upward sends them, checked like Slack would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
import yaml

from bot.config import default_content_dir
from bot.content.loader import load_catalog
from bot.core.ids import Action
from bot.learning.blocks import module_text
from bot.learning.preview import build_preview, render_text
from tests.content.test_loader import read_module, write_module

MODULE = "emoji-and-tone-in-chat"


def preview(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "UPWARD_CONTENT_DIR"} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", "content", "preview", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=full_env,
    )


@pytest.fixture()
def catalog_copy(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(default_content_dir(), root)
    return root


def test_every_shipped_module_previews_with_nothing_slack_would_refuse() -> None:
    catalog = load_catalog()
    for module in catalog.modules.values():
        shown = build_preview(catalog, module.id)
        assert shown.problems == [], module.id
        names = [s.name for s in shown.steps]
        questions = [
            f"q{n}-{kind}"
            for n in range(1, len(module.questions) + 1)
            for kind in ("wrong", "right")
        ]
        assert names == [
            "arrives",
            *questions,
            *(["reflection"] if module.reflection else []),
            "done",
            "reminder",
        ]
        first = shown.steps[0]
        assert first.method == "chat.postMessage" and first.payload["text"] == module_text(module)
        assert len(first.payload["blocks"]) <= 50


def test_the_steps_carry_the_buttons_the_listeners_answer() -> None:
    catalog = load_catalog()
    module = catalog.modules[MODULE]
    steps = {s.name: s for s in build_preview(catalog, MODULE).steps}
    actions = [
        e
        for b in steps["arrives"].payload["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    answer_ids = {e["action_id"] for e in actions if e["action_id"].startswith(f"{Action.answer}:")}
    assert answer_ids == {f"{Action.answer}:{o.id}" for q in module.questions for o in q.options}
    assert {Action.mark_done, Action.snooze, Action.opt_out} <= {e["action_id"] for e in actions}

    wrong = json.dumps(steps["q1-wrong"].payload["blocks"])
    assert module.questions[0].explanation[:40] in wrong and Action.retry in wrong
    right = json.dumps(steps["q1-right"].payload["blocks"])
    assert "is right" in right and "First try missed" in right and Action.retry not in right
    assert "Done. Thank you" in json.dumps(steps["done"].payload["blocks"])
    assert (
        steps["reflection"].method == "views.open"
        and steps["reflection"].payload["view"]["type"] == "modal"
    )


def test_text_rendering_shows_each_step_and_only_what_an_update_changes() -> None:
    catalog = load_catalog()
    module = catalog.modules[MODULE]
    text = render_text(build_preview(catalog, MODULE))
    assert text.count(module.body.splitlines()[0]) == 1, (
        "the body is shown once, not again in every update"
    )
    assert f"[{module.questions[0].options[0].label}]" in text
    assert "[Try again]" in text and "[Mark done] (green)" in text
    assert "https://" not in text, (
        "the Block Kit Builder link (thousands of characters) is asked for"
    )
    assert text.endswith(
        f"`upward content preview {MODULE} --builder-link` prints a link that opens the first"
        " message in Block Kit Builder."
    )


def test_cli_prints_the_text_then_the_json() -> None:
    result = preview(MODULE)
    assert result.returncode == 0, result.stderr
    text, _, raw = result.stdout.partition("── The same as JSON (what --json prints) ")
    assert "Emoji and tone in chat\n======================" in text
    document = json.loads(raw[raw.index("{") :])
    assert document["module"] == MODULE and document["problems"] == []


def test_cli_builder_link_alone_is_the_link_that_the_text_mode_leaves_out() -> None:
    result = preview(MODULE, "--builder-link")
    assert result.returncode == 0, result.stderr
    (link,) = result.stdout.splitlines()
    assert link.startswith("https://app.slack.com/block-kit-builder/#")
    blocks = json.loads(urllib.parse.unquote(link.split("#", 1)[1]))["blocks"]
    assert blocks[0]["text"]["text"] == "Emoji and tone in chat"
    text = preview(MODULE, "--text")
    assert max(len(line) for line in text.stdout.splitlines()) < 500


def test_cli_json_only_is_one_json_document() -> None:
    result = preview(MODULE, "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert [s["method"] for s in document["steps"]][:2] == ["chat.postMessage", "chat.update"]
    assert document["steps"][0]["payload"]["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Emoji and tone in chat", "emoji": True},
    }


def test_cli_text_only_numbers_the_module_as_in_a_template() -> None:
    pilot = load_catalog().programs["pilot"]
    module_id = pilot.modules[2]
    result = preview(module_id, "--text", "--template", "pilot")
    assert result.returncode == 0, result.stderr
    assert f"module 3 of {len(pilot.modules)}" in result.stdout
    assert not result.stdout.rstrip().endswith("}")


def test_unknown_id_is_one_line_with_close_matches_and_how_to_list() -> None:
    result = preview("emoji-tone")
    assert result.returncode == 1 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"did you mean '{MODULE}'" in lines[0] and "upward content preview --list" in lines[0]

    listed = preview("--list")
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == len(load_catalog().modules)
    assert any(line.startswith(f"{MODULE} ") for line in listed.stdout.splitlines())


def test_broken_module_file_prints_the_validators_lines(catalog_copy: Path) -> None:
    path = catalog_copy / "modules" / f"{MODULE}.md"
    meta, body = read_module(path)
    meta["minutes"] = 12
    del meta["summary"]
    write_module(path, meta, body)
    result = preview(MODULE, "--content-dir", str(catalog_copy))
    assert result.returncode == 1 and result.stdout == ""
    assert "Traceback" not in result.stderr
    assert f"{MODULE}.md:minutes: Input should be less than or equal to 10" in result.stderr
    assert f"{MODULE}.md:summary: Field required" in result.stderr


def test_a_message_slack_would_refuse_is_shown_and_reported(catalog_copy: Path) -> None:
    path = catalog_copy / "modules" / f"{MODULE}.md"
    meta, body = read_module(path)
    meta["questions"][1]["prompt"] = "x" * 2999  # valid for the schema; "*2. …*" around it is not
    write_module(path, meta, body)
    result = preview(MODULE, "--json", env={"UPWARD_CONTENT_DIR": str(catalog_copy)})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    document = json.loads(result.stdout)
    assert any("x" * 2999 in json.dumps(b) for b in document["steps"][0]["payload"]["blocks"])
    problems = [line for line in result.stderr.splitlines() if ":(message): " in line]
    assert len(problems) == 1, result.stderr
    assert (
        "text attribute cannot exceed 3000 characters" in problems[0]
        and "steps: arrives," in problems[0]
    )


def test_another_broken_file_is_reported_after_the_preview(catalog_copy: Path) -> None:
    pilot = catalog_copy / "programs" / "pilot.yaml"
    data = yaml.safe_load(pilot.read_text())
    data["modules"].append("no-such-module")
    pilot.write_text(yaml.safe_dump(data, sort_keys=False))
    result = preview(MODULE, "--text", "--content-dir", str(catalog_copy))
    assert result.returncode == 1 and "Emoji and tone in chat" in result.stdout
    assert "pilot.yaml:modules[8]: no module 'no-such-module'" in result.stderr
