"""Counting words: the noun agrees with the number."""

from __future__ import annotations

import re
import tokenize
from pathlib import Path

import pytest

from bot.core.words import count, plural


@pytest.mark.parametrize(
    ("n", "noun", "shown"),
    [
        (0, "lead", "0 leads"),
        (1, "lead", "1 lead"),
        (2, "lead", "2 leads"),
        (1, "module", "1 module"),
        (1, "circle prompt", "1 circle prompt"),
        (3, "circle prompt", "3 circle prompts"),
        (1, "person", "1 person"),
        (5, "person", "5 people"),
        (1, "reply", "1 reply"),
        (2, "reply", "2 replies"),
        (2, "delivery", "2 deliveries"),
        (2, "day", "2 days"),
        (2, "match", "2 matches"),
        (2, "observation of others", "2 observations of others"),
        (2, "KPI", "2 KPIs"),
        (1_200, "executive", "1,200 executives"),
    ],
)
def test_the_noun_agrees_with_the_number(n: int, noun: str, shown: str) -> None:
    assert count(n, noun) == shown


def test_plural_gives_the_noun_alone() -> None:
    assert (plural(1, "file"), plural(4, "file")) == ("file", "files")


def test_nothing_upward_says_counts_with_a_bracketed_s() -> None:
    """ "row(s)", "problem(s)": a count is written with the noun that agrees with it
    (`bot.core.words.count`). Every string literal in bot/ is read."""
    root = Path(__file__).resolve().parents[2] / "bot"
    found = []
    for path in sorted(root.rglob("*.py")):
        with path.open("rb") as source:
            for token in tokenize.tokenize(source.readline):
                text = token.string.replace("http(s)", "")
                if token.type == tokenize.STRING and re.search(r"[a-z]\(s\)", text):
                    found.append(f"{path.relative_to(root.parent)}:{token.start[0]}: {text}")
    assert found == []
