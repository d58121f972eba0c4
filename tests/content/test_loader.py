"""The content catalog: the shipped one is valid, and each kind of defect is reported precisely."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.config import default_content_dir
from bot.content.loader import ContentError, check_catalog, load_catalog
from bot.content.schema import SkillArea


@pytest.fixture()
def catalog_copy(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(default_content_dir(), root)
    return root


def read_module(path: Path) -> tuple[dict, str]:
    _, meta, body = path.read_text().split("---\n", 2)
    return yaml.safe_load(meta), body


def write_module(path: Path, meta: dict, body: str) -> None:
    path.write_text(f"---\n{yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)}---\n{body}")


def test_shipped_catalog_is_valid_and_complete() -> None:
    catalog, problems = check_catalog()
    assert problems == []
    assert len(catalog.modules) >= 12
    assert {m.skill_area for m in catalog.modules.values()} == set(SkillArea)
    assert {"pilot", "quarter", "enterprise"} <= set(catalog.programs)
    for area in SkillArea:
        assert catalog.prompts_for(area), f"no circle prompt for {area}"


def test_playbook_templates_follow_the_playbook() -> None:
    catalog = load_catalog()
    pilot, quarter, enterprise = (catalog.programs[k] for k in ("pilot", "quarter", "enterprise"))
    assert pilot.weeks == 4 and pilot.circles.frequency == "weeks" and len(pilot.circles.weeks) == 2
    assert quarter.weeks == 13 and quarter.circles.frequency == "monthly"
    assert [e.kind for e in quarter.events].count("workshop") >= 1
    assert [e.kind for e in quarter.events].count("shadowing") == 2
    assert enterprise.weeks is None and enterprise.circles.frequency == "monthly"
    assert any(e.every_weeks for e in enterprise.events if e.kind == "workshop")
    # The pilot must have a module for every planned nudge.
    assert len(pilot.modules) >= pilot.weeks * pilot.cadence.modules_per_week
    for template in (pilot, quarter, enterprise):
        assert 2 <= len(template.kpis) <= 3


def test_module_bodies_are_slack_mrkdwn_not_github_markdown() -> None:
    for module in load_catalog().modules.values():
        assert "**" not in module.body, f"{module.id}: use *bold*, not **bold**"
        assert not any(line.startswith("#") for line in module.body.splitlines()), module.id


def test_each_seeded_defect_is_reported_with_file_and_field(catalog_copy: Path) -> None:
    modules = sorted((catalog_copy / "modules").glob("*.md"))
    first, second, third, fourth, fifth = modules[:5]

    meta, body = read_module(first)
    meta["questions"][0]["correct"] = "zz"
    write_module(first, meta, body)

    meta, body = read_module(second)
    meta["minutes"] = 12
    write_module(second, meta, body)

    meta, body = read_module(third)
    write_module(third, meta, body + "\n" + "x" * 3000)

    meta, body = read_module(fourth)
    meta["difficulty"] = "hard"
    write_module(fourth, meta, body)

    fifth.write_text("no front matter here, just text\n")

    pilot_path = catalog_copy / "programs" / "pilot.yaml"
    pilot = yaml.safe_load(pilot_path.read_text())
    pilot["modules"].append("no-such-module")
    pilot_path.write_text(yaml.safe_dump(pilot, sort_keys=False))

    prompt_files = sorted((catalog_copy / "prompts").glob("*.yaml"))
    donor = yaml.safe_load(prompt_files[0].read_text())["prompts"][0]
    extra = yaml.safe_load(prompt_files[1].read_text())
    extra["prompts"].append(donor)
    prompt_files[1].write_text(yaml.safe_dump(extra, sort_keys=False))

    (catalog_copy / "programs" / "broken.yaml").write_text("id: broken\nname: [unclosed\n")

    _, problems = check_catalog(catalog_copy)
    shown = [str(p) for p in problems]

    def reported(file: Path, field: str, reason: str) -> bool:
        return any(
            p.file.endswith(f"{file.parent.name}/{file.name}")
            and p.field.startswith(field)
            and reason in p.reason
            for p in problems
        )

    assert reported(first, "questions[0]", "correct option 'zz' is not one of the options"), shown
    assert reported(second, "minutes", "less than or equal to 10"), shown
    assert reported(third, "body", "too long"), shown
    assert reported(fourth, "difficulty", "unknown field"), shown
    assert reported(fifth, "", "starts with a '---' line"), shown
    assert reported(pilot_path, "modules[", "no module 'no-such-module'"), shown
    assert reported(prompt_files[1], "prompts[", f"duplicate prompt id '{donor['id']}'"), shown
    assert reported(catalog_copy / "programs" / "broken.yaml", "line ", "not valid YAML"), shown
    assert len(problems) == 8, shown


def test_a_file_nested_too_deeply_is_one_problem_naming_it(catalog_copy: Path) -> None:
    """3,000 nested lists made `content validate` die of RecursionError without a file name."""
    deep = "[" * 3000 + "]" * 3000
    (catalog_copy / "programs" / "deep.yaml").write_text(f"id: deep\nmodules: {deep}\n")
    (catalog_copy / "modules" / "deep.md").write_text(f"---\nid: {deep}\n---\nText\n")

    _, problems = check_catalog(catalog_copy)

    assert sorted((p.file.rsplit("/", 2)[-2:], p.reason) for p in problems) == [
        (["modules", "deep.md"], "nested too deeply to read; content is a few levels"),
        (["programs", "deep.yaml"], "nested too deeply to read; content is a few levels"),
    ]


def test_load_catalog_raises_with_every_problem(catalog_copy: Path) -> None:
    (catalog_copy / "modules" / "empty.md").write_text("---\nid: empty\n---\n")
    with pytest.raises(ContentError) as info:
        load_catalog(catalog_copy)
    fields = {p.field for p in info.value.problems}
    assert {"title", "skill_area", "minutes", "questions"} <= fields


def test_module_id_must_match_its_file_name(catalog_copy: Path) -> None:
    path = sorted((catalog_copy / "modules").glob("*.md"))[0]
    path.rename(path.with_name("renamed.md"))
    _, problems = check_catalog(catalog_copy)
    assert [p.field for p in problems] == ["id"] and "match the file name" in problems[0].reason


def test_missing_folder_is_reported(tmp_path: Path) -> None:
    _, problems = check_catalog(tmp_path / "nowhere")
    assert len(problems) == 1 and "no such folder" in problems[0].reason


def test_a_path_is_shown_inside_the_working_directory_relative_else_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "deep" / "work"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    outside = tmp_path / "elsewhere"

    (inside_problem,) = check_catalog("content")[1]
    (outside_problem,) = check_catalog(outside)[1]

    assert inside_problem.file == "content"
    assert outside_problem.file == str(outside), "no ../../ climbing out of the working directory"


def test_cli_validate_of_a_missing_folder_names_it_as_given(tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent"
    (tmp_path / "work").mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "bot", "content", "validate", str(missing)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path / "work",
    )
    assert result.returncode == 1
    assert result.stdout == f"{missing}: no such folder; pass the path of a content/ folder\n"
    assert result.stderr == "1 problem in 1 file; fix it and run this again.\n"


def test_templates_are_listed_shortest_first_everywhere() -> None:
    catalog = load_catalog()
    assert [t.id for t in catalog.templates()] == ["pilot", "quarter", "enterprise"]


def test_cli_validate_prints_each_problem_and_exits_1(catalog_copy: Path) -> None:
    path = sorted((catalog_copy / "modules").glob("*.md"))[0]
    meta, body = read_module(path)
    meta["minutes"] = 2
    write_module(path, meta, body)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "content", "validate", str(catalog_copy)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert f"{path.name}:minutes: Input should be greater than or equal to 3" in result.stdout
    assert "Traceback" not in result.stderr


def test_cli_validate_passes_on_the_shipped_catalog() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "content", "validate"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all valid" in result.stdout


def test_an_unquoted_delivery_time_is_reported_with_the_fix(catalog_copy: Path) -> None:
    path = catalog_copy / "programs" / "pilot.yaml"
    path.write_text(path.read_text() + "delivery_window:\n  start: 08:30\n  end: 16:00\n")
    _, problems = check_catalog(catalog_copy)
    assert [(p.field, p.reason) for p in problems] == [
        (
            "delivery_window.end",
            'put the time in quotes, e.g. "17:00": unquoted, YAML reads it as a number',
        )
    ]
    path.write_text(path.read_text().replace("08:30", '"08:30"').replace("16:00", '"16:00"'))
    assert check_catalog(catalog_copy)[1] == []
