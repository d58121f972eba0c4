"""One way to say no: every error a person is told about derives from `UpwardError`.

- `Refusal`: the request was understood and is not allowed or not possible now ("only this
  circle's mentor can do that"). The text is said to the person as it is.
- `InvalidInput`: what the person typed or sent cannot be read ("2026-13-01 is not a date").
  The text says what was wrong and what to do.

After an ack, one wrapper turns either into a single private reply, and anything else into
"something went wrong, nothing was recorded" plus a log line. The CLI's error handler catches
`UpwardError` once and prints its text as one line. Nothing raised here carries a traceback to a
person.
"""

from __future__ import annotations


class UpwardError(Exception):
    """An error whose text is written for the person who caused it."""

    @property
    def text(self) -> str:
        return str(self)


class Refusal(UpwardError):
    """Understood, and refused: not this person's to do, or not possible in this state."""


class InvalidInput(UpwardError):
    """The input cannot be read: what was wrong, where, and what to do instead.

    `field` names the input it is about, where there is one (a modal's block id: the text is then
    shown under that field).
    """

    def __init__(self, text: str, *, field: str | None = None):
        super().__init__(text)
        self.field = field


SOMETHING_WENT_WRONG = (
    "Something went wrong on Upward's side, so nothing was recorded. Please try again in a minute."
)
