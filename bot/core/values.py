"""Numbers inside button values and modal metadata: a payload's claim, so read strictly.

`int()` accepts far more than a button ever holds ("٣", " 7", "1_000", forty digits), and a number
beyond a database column's range fails the query instead of simply matching nothing.
"""

from __future__ import annotations

MAX_ID = 2**31 - 1  # the largest value of an INTEGER primary key (PostgreSQL's int4)


def number(text: str | None, *, low: int, high: int) -> int | None:
    """`text` as an integer in [low, high] written in ASCII digits (an optional leading minus), else
    None."""
    if not text or len(text) > 12 or not text.isascii():
        return None
    digits = text[1:] if text.startswith("-") else text
    if not digits.isdigit():
        return None
    value = int(text)
    return value if low <= value <= high else None


def row_id(text: str | None) -> int | None:
    """A database id (1 or more, within the column's range), else None."""
    return number(text, low=1, high=MAX_ID)
