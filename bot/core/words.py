"""Counting in what Upward says: "1 lead", "2 leads"; never "1 leads", never a bracketed "s"."""

from __future__ import annotations

# Nouns Upward counts whose plural is not the noun plus "s".
IRREGULAR = {"person": "people", "observation of others": "observations of others"}


def plural(n: int, noun: str) -> str:
    """`noun` as it agrees with `n`: plural(1, "lead") -> "lead", plural(3, "lead") -> "leads"."""
    if n == 1:
        return noun
    if noun in IRREGULAR:
        return IRREGULAR[noun]
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u"):
        return noun[:-1] + "ies"  # reply, delivery
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"  # match, box
    return noun + "s"


def count(n: int, noun: str) -> str:
    """`n` and its noun: count(1, "lead") -> "1 lead", count(1200, "person") -> "1,200 people".

    For a phrase, pass its head noun last ("circle prompt", "KPI observation").
    """
    return f"{n:,} {plural(n, noun)}"
