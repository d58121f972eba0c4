"""Load content/** into pydantic specs, collecting every problem as `file:field: reason`."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.config import default_content_dir
from bot.content.schema import Module, ProgramTemplate, Prompt, PromptFile
from bot.core.words import count

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one content file."""

    file: str
    field: str
    reason: str

    def __str__(self) -> str:
        return (
            f"{self.file}:{self.field}: {self.reason}"
            if self.field
            else f"{self.file}: {self.reason}"
        )


@dataclass
class Catalog:
    """Everything in content/, keyed by id."""

    root: Path
    modules: dict[str, Module] = field(default_factory=dict)
    prompts: dict[str, Prompt] = field(default_factory=dict)
    programs: dict[str, ProgramTemplate] = field(default_factory=dict)

    def module(self, module_id: str) -> Module | None:
        return self.modules.get(module_id)

    def templates(self) -> list[ProgramTemplate]:
        """The program templates in the one order Upward lists them: shortest first (pilot,
        quarter), ongoing ones (enterprise) last."""
        return sorted(self.programs.values(), key=lambda t: (t.weeks is None, t.weeks or 0, t.id))

    def prompts_for(self, skill_area: str) -> list[Prompt]:
        """Prompts of one skill area, in a stable order."""
        return sorted(
            (p for p in self.prompts.values() if p.skill_area == skill_area), key=lambda p: p.id
        )


class ContentError(Exception):
    """The catalog has problems; `problems` lists each one."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(
            f"{count(len(problems), 'problem')} in the content catalog, first: {problems[0]}"
        )


def load_catalog(root: Path | str | None = None) -> Catalog:
    """Load and validate the catalog; raise ContentError listing every problem."""
    catalog, problems = check_catalog(root)
    if problems:
        raise ContentError(problems)
    return catalog


def check_catalog(root: Path | str | None = None) -> tuple[Catalog, list[Problem]]:
    """Load what is valid and return it with the list of problems found (empty when all is well)."""
    root = Path(root) if root is not None else default_content_dir()
    catalog = Catalog(root=root)
    problems: list[Problem] = []
    if not root.is_dir():
        return catalog, [
            Problem(_show(root), "", "no such folder; pass the path of a content/ folder")
        ]

    for sub in ("modules", "prompts", "programs"):
        if not (root / sub).is_dir():
            problems.append(
                Problem(
                    _show(root / sub),
                    "",
                    "folder missing; the catalog needs modules/, prompts/ and programs/",
                )
            )

    seen_files: dict[str, str] = {}
    module_files = _files(root / "modules", (".md",))
    # A module whose file exists but is invalid is reported once, in its own file, not again by
    # every program that names it.
    module_names = {p.stem for p in module_files}
    for path in module_files:
        module = _load(path, Module, problems, front_matter=True)
        if module is None:
            continue
        if path.stem != module.id:
            problems.append(
                Problem(_show(path), "id", f"'{module.id}' must match the file name '{path.stem}'")
            )
        _add_unique(catalog.modules, module.id, module, path, seen_files, problems, "module")

    for path in _files(root / "prompts", (".yaml", ".yml")):
        prompt_file = _load(path, PromptFile, problems)
        if prompt_file is None:
            continue
        for i, prompt in enumerate(prompt_file.prompts):
            _add_unique(
                catalog.prompts,
                prompt.id,
                prompt,
                path,
                seen_files,
                problems,
                "prompt",
                f"prompts[{i}].id",
            )

    for path in _files(root / "programs", (".yaml", ".yml")):
        template = _load(path, ProgramTemplate, problems)
        if template is None:
            continue
        if path.stem != template.id:
            problems.append(
                Problem(
                    _show(path), "id", f"'{template.id}' must match the file name '{path.stem}'"
                )
            )
        _add_unique(catalog.programs, template.id, template, path, seen_files, problems, "program")
        for i, module_id in enumerate(template.modules):
            if module_id not in catalog.modules and module_id not in module_names:
                problems.append(
                    Problem(
                        _show(path),
                        f"modules[{i}]",
                        f"no module '{module_id}' in {_show(root / 'modules')}",
                    )
                )

    if not catalog.programs and (root / "programs").is_dir():
        problems.append(Problem(_show(root / "programs"), "", "no program templates found"))
    if catalog.modules and catalog.prompts:
        for area in {m.skill_area for m in catalog.modules.values()}:
            if not catalog.prompts_for(area):
                problems.append(
                    Problem(
                        _show(root / "prompts"),
                        "",
                        f"no circle prompt for skill area '{area}', which modules use",
                    )
                )
    return catalog, problems


def _files(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in suffixes)


def _load(
    path: Path, model: type[ModelT], problems: list[Problem], *, front_matter: bool = False
) -> ModelT | None:
    """Parse one file into `model`, appending its problems; None when it is unusable."""
    shown = _show(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(shown, "", f"cannot read the file: {exc}"))
        return None
    try:
        if front_matter:
            data = _split_front_matter(text)
        else:
            data = yaml.safe_load(text)
    except ValueError as exc:
        problems.append(Problem(shown, "", str(exc)))
        return None
    except yaml.YAMLError as exc:
        problems.append(Problem(shown, _yaml_where(exc), f"not valid YAML: {_yaml_reason(exc)}"))
        return None
    except RecursionError:  # PyYAML and pydantic recurse per level: no content nests this deep
        problems.append(Problem(shown, "", "nested too deeply to read; content is a few levels"))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(shown, "", "expected a mapping of fields at the top level"))
        return None
    try:
        return model.model_validate(data)
    except RecursionError:
        problems.append(Problem(shown, "", "nested too deeply to read; content is a few levels"))
        return None
    except ValidationError as exc:
        problems.extend(Problem(shown, _loc(err["loc"]), _reason(err)) for err in exc.errors())
        return None


def _split_front_matter(text: str) -> dict[str, Any]:
    """`---\\nyaml\\n---\\nbody` -> the YAML mapping with `body` set to the Markdown after it."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise ValueError(
            "a module starts with a '---' line, then YAML front matter, then '---' and the body"
        )
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---")
    except StopIteration:
        raise ValueError("front matter is not closed: add a '---' line before the body") from None
    meta = yaml.safe_load("\n".join(lines[1:end])) or {}
    if not isinstance(meta, dict):
        raise ValueError("front matter must be a mapping of fields")
    if "body" in meta:
        raise ValueError("'body' is the Markdown after the front matter, not a front-matter field")
    meta["body"] = "\n".join(lines[end + 1 :]).strip()
    return meta


def _add_unique(
    into: dict[str, Any],
    key: str,
    value: Any,
    path: Path,
    seen: dict[str, str],
    problems: list[Problem],
    kind: str,
    where: str = "id",
) -> None:
    tag = f"{kind}:{key}"
    if tag in seen:
        problems.append(
            Problem(_show(path), where, f"duplicate {kind} id '{key}' (also in {seen[tag]})")
        )
        return
    seen[tag] = _show(path)
    into[key] = value


def _loc(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


def _reason(err: dict[str, Any]) -> str:
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return "unknown field (check its spelling)"
    if err["type"] == "string_too_long":
        limit = err.get("ctx", {}).get("max_length")
        return f"too long: {len(str(err.get('input', '')))} characters, at most {limit}"
    return msg


def _yaml_where(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f"line {mark.line + 1}" if mark is not None else ""


def _yaml_reason(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    return str(problem) if problem else str(exc).splitlines()[0]


def _show(path: Path) -> str:
    """A path the person can find: relative to the working directory when inside it, else
    absolute (never a climb of `../../`)."""
    absolute = Path(os.path.abspath(path))
    try:
        return str(absolute.relative_to(Path.cwd()))
    except (ValueError, OSError):  # outside the working directory, or it was deleted
        return str(absolute)
