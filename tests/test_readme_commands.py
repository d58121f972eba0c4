"""The docs' commands exist: every `upward …` in README.md and docs/ names a real command with real
options.

Checked against the click definitions in bot/cli.py, so a renamed command or option fails here
before a newcomer meets it. Fenced shell blocks are checked strictly (arguments, required options,
choices); inline `upward …` spans in prose and tables loosely (the command and its --options).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from bot.cli import cli
from bot.roster.service import parse_roster

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^[ \t]*```(\w*)\n(.*?)^[ \t]*```", re.S | re.M)
SHELL = {"", "bash", "sh", "shell", "console"}
INLINE = re.compile(r"(?<!`)`(upward [^`]+)`")
OPERATORS = {"&&", "||", "|", ";", "&", "(", ")"}


def fenced_commands(text: str) -> list[list[str]]:
    """Each `upward` invocation in the fenced shell blocks, as argv words."""
    found = []
    for lang, body in FENCE.findall(text):
        if lang not in SHELL:
            continue
        for line in body.replace("\\\n", " ").splitlines():
            lexer = shlex.shlex(line.removeprefix("$ "), posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            segment: list[str] = []
            for token in [*lexer, ";"]:
                if token not in OPERATORS:
                    segment.append(token)
                    continue
                while segment and re.fullmatch(r"[A-Z_]+=.*", segment[0]):  # VAR=value upward …
                    segment.pop(0)
                if segment[:1] == ["upward"]:
                    found.append(segment)
                segment = []
    return found


def all_fenced() -> list[tuple[str, list[str]]]:
    return [
        (doc.name, words)
        for doc in DOCS
        for words in fenced_commands(doc.read_text(encoding="utf-8"))
    ]


def all_inline() -> list[tuple[str, str]]:
    return [
        (doc.name, span) for doc in DOCS for span in INLINE.findall(doc.read_text(encoding="utf-8"))
    ]


def resolve(words: list[str]) -> tuple[click.Command, list[str], str]:
    """The command `words` name, the words after it, and its full name."""
    command: click.Command = cli
    rest = words[1:]
    name = "upward"
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        sub = command.commands.get(rest[0])
        assert sub is not None, (
            f"`{name}` has no command '{rest[0]}' (it has: {', '.join(sorted(command.commands))})"
        )
        command, name, rest = sub, f"{name} {rest[0]}", rest[1:]
    return command, rest, name


def options_of(command: click.Command) -> dict[str, click.Option]:
    found = {"--help": None, "-h": None}
    for param in command.params:
        if isinstance(param, click.Option):
            found.update({opt: param for opt in [*param.opts, *param.secondary_opts]})
    return found  # type: ignore[return-value]


def check_invocation(words: list[str]) -> None:
    """Every option exists, values go where values are expected, required ones are given."""
    command, rest, name = resolve(words)
    options = options_of(command)
    given: set[str] = set()
    positional = 0
    i = 0
    while i < len(rest):
        word = rest[i]
        if word.startswith("-") and word != "-":
            flag, eq, value = word.partition("=")
            assert flag in options, (
                f"`{name}` has no option {flag} (it has: {', '.join(sorted(options))})"
            )
            param = options[flag]
            i += 1
            if param is None:
                return  # --help
            given.add(param.name or "")
            if not param.is_flag and not param.count:
                if not eq:
                    assert i < len(rest), f"`{name} {flag}` needs a value"
                    value, i = rest[i], i + 1
                if isinstance(param.type, click.Choice):
                    assert value in param.type.choices, (
                        f"`{name} {flag} {value}`: not one of {param.type.choices}"
                    )
            continue
        positional += 1
        i += 1
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    if not any(a.nargs == -1 for a in arguments):
        assert positional <= sum(a.nargs for a in arguments), (
            f"`{' '.join(words)}`: too many arguments for `{name}`"
        )
    if isinstance(command, click.Group):
        assert positional == 0, f"`{' '.join(words)}`: `{name}` needs a command"
        return
    required_args = sum(a.nargs for a in arguments if a.required)
    assert positional >= required_args, (
        f"`{' '.join(words)}`: `{name}` needs {required_args} argument(s)"
    )
    missing = [
        p.opts[0]
        for p in command.params
        if isinstance(p, click.Option) and p.required and p.name not in given
    ]
    assert not missing, f"`{' '.join(words)}`: `{name}` requires {', '.join(missing)}"


def check_span(span: str) -> None:
    """A command named in prose or a table: its leading words name commands (a|b: each), and its
    --options exist on each of them. Placeholders and [optional] parts are not checked."""
    words = span.replace("\\|", "|").split()
    groups: list[click.Command] = [cli]
    for word in words[1:]:
        if (
            not all(isinstance(g, click.Group) for g in groups)
            or word.startswith(("-", "["))
            or not word.islower()
        ):
            break
        names = word.split("|")
        if not all(n in g.commands for g in groups for n in names):  # type: ignore[attr-defined]
            break  # an argument, e.g. a placeholder
        groups = [g.commands[n] for g in groups for n in names]  # type: ignore[attr-defined]
    for flag in re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", span):
        for command in groups:
            assert flag in options_of(command), f"`{span}`: `{command.name}` has no option {flag}"


def test_the_docs_name_commands_at_all() -> None:
    fenced = [words[:3] for _, words in all_fenced()]
    for expected in (
        ["upward", "db", "upgrade"],
        ["upward", "roster", "import"],
        ["upward", "serve"],
        ["upward", "worker"],
    ):
        assert any(words[: len(expected)] == expected for words in fenced), (
            f"README shows no `{' '.join(expected)}`"
        )
    assert len(all_inline()) > 20


@pytest.mark.parametrize(
    ("doc", "words"), all_fenced(), ids=lambda v: " ".join(v) if isinstance(v, list) else v
)
def test_each_fenced_command_exists_with_those_options(doc: str, words: list[str]) -> None:
    check_invocation(words)


@pytest.mark.parametrize(("doc", "span"), all_inline(), ids=lambda v: v[:60])
def test_each_command_named_inline_exists(doc: str, span: str) -> None:
    check_span(span)


def test_the_checker_refuses_what_does_not_exist() -> None:
    for wrong in (
        "upward frobnicate",
        "upward db downgrade",
        "upward serve --hots 0.0.0.0",
        "upward roster import x.csv",
        "upward export --program P --format xml --what answers",
        "upward program create A B --template pilot --start 2026-12-01",
    ):
        with pytest.raises(AssertionError):
            check_invocation(shlex.split(wrong))
    with pytest.raises(AssertionError):
        check_span("upward program create NAME --templat pilot")


def test_the_install_guides_roster_example_imports_cleanly() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"<!-- example-roster -->\n```csv\n(.*?)```", readme, re.S)
    assert example is not None, "README's install guide lost its roster example"
    rows, problems = parse_roster(example.group(1), filename="roster.csv")
    assert problems == [] and {r.role.value for r in rows} == {"lead", "mentor", "executive"}
