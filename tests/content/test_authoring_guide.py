"""docs/CONTENT.md stays true: its examples validate and preview cleanly, and it names every
field."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.config import default_content_dir
from bot.content import schema
from bot.content.loader import check_catalog
from bot.learning.blocks import render_problems
from bot.learning.preview import build_preview

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "CONTENT.md"
EXAMPLE = re.compile(r"<!-- example: (?P<path>\S+) -->\n```\w*\n(?P<body>.*?)\n```", re.S)


def examples() -> dict[str, str]:
    found = {
        m["path"]: m["body"] + "\n" for m in EXAMPLE.finditer(GUIDE.read_text(encoding="utf-8"))
    }
    assert {
        "modules/ask-before-you-answer.md",
        "prompts/example.yaml",
        "programs/taster.yaml",
    } <= set(found)
    return found


def test_the_guides_examples_pass_validation_together_with_the_shipped_catalog(
    tmp_path: Path,
) -> None:
    root = tmp_path / "content"
    shutil.copytree(default_content_dir(), root)
    for relative, text in examples().items():
        (root / relative).write_text(text, encoding="utf-8")
    catalog, problems = check_catalog(root)
    assert [str(p) for p in problems] == []
    module = catalog.modules["ask-before-you-answer"]
    assert module.reflection is None, "the example is the minimal module: no optional fields"
    assert render_problems(module) == []
    assert build_preview(catalog, module.id, template_id="taster").problems == []
    assert "taster" in catalog.programs and "speaking-last" in catalog.prompts


@pytest.mark.parametrize(
    "model",
    [
        schema.Module,
        schema.Question,
        schema.Option,
        schema.Prompt,
        schema.ProgramTemplate,
        schema.Cadence,
        schema.DeliveryWindow,
        schema.CircleSchedule,
        schema.Event,
        schema.Kpi,
        schema.Scale,
        schema.FocusBehaviour,
        schema.AssessmentQuestion,
    ],
)
def test_the_guide_names_every_field_of_the_schema(model: type[BaseModel]) -> None:
    text = GUIDE.read_text(encoding="utf-8")
    missing = [
        name
        for name in model.model_fields
        if name != "body" and f"`{name}`" not in text and f"{name}:" not in text
    ]
    assert missing == [], f"docs/CONTENT.md does not describe {model.__name__}.{missing}"


def test_the_guides_limits_match_the_schema() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    assert f"at most {schema.MODULE_BODY_MAX:,} characters" in text
    minutes = schema.Module.model_fields["minutes"].metadata
    low, high = (
        next(getattr(m, attr) for m in minutes if hasattr(m, attr)) for attr in ("ge", "le")
    )
    assert f"a whole number from {low} to {high}" in text
    assert set(schema.SkillArea) <= set(re.findall(r"`(\w+)`", text))
