"""The digest on request: computed for a chosen week, or sent now (`upward digest preview/send`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from bot.content.loader import Catalog
from bot.digest import jobs
from bot.digest.model import Digest, Week
from bot.digest.service import compute
from bot.errors import InvalidInput, Refusal
from bot.models import Program
from bot.programs.service import find_program


def digest_for(
    session: Session, *, catalog: Catalog, program_name: str, week: str | None, now: dt.datetime
) -> tuple[Program, Digest]:
    """The program and its digest for ISO `week` (default: the last complete week at `now`)."""
    prog = find_program(session, program_name)
    try:
        chosen = Week.parse(week, prog.timezone) if week else Week.last_complete(now, prog.timezone)
    except ValueError as exc:
        raise InvalidInput(f"--week: {exc}") from None
    return prog, compute(session, program=prog, catalog=catalog, week=chosen)


def send_now(
    session: Session, *, catalog: Catalog, program_name: str, week: str | None, now: dt.datetime
) -> tuple[Digest, int]:
    """Queue the digest for the program's leads now (flushing is the caller's); how many get it."""
    prog, computed = digest_for(
        session, catalog=catalog, program_name=program_name, week=week, now=now
    )
    if not computed.started:
        first = Week.of(prog.start_date, prog.timezone)
        raise Refusal(
            f"'{prog.name}' starts on {prog.start_date:%a %-d %b %Y}, after {computed.week.label}"
            f" ends, so that digest would report nothing: the first digest covers {first.label}"
            " (the worker sends it once that week is over; preview it with `upward digest"
            f" preview --program '{prog.name}' --week {first.label}`)"
        )
    to = [r for r, _ in jobs.recipients(session, prog, now=now)]
    if not to:
        raise Refusal(
            f"'{prog.name}' has no leads to send to: add one with `upward roster import` (role"
            " lead)"
        )
    jobs.enqueue(session, computed, to, now=now, manual=True)
    return computed, len(to)
