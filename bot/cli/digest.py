"""`upward digest`: preview the weekly digest, or send it now."""

from __future__ import annotations

import click

from bot.cli.runtime import runtime
from bot.core import words

_WEEK = "ISO week reported, e.g. 2026-W49 (default: the last complete week)."


@click.group()
def digest() -> None:
    """The weekly digest for program leads: preview it, or send it now."""


@digest.command("preview")
@click.option("--program", "program_name", required=True, help="The program.")
@click.option("--week", help=_WEEK)
def digest_preview(program_name: str, week: str | None) -> None:
    """Print the digest leads get for a week; sends nothing and changes nothing."""
    # The digest and its Block Kit (slack_sdk, the outbox) are heavy: only these commands load them.
    from bot.digest import operations
    from bot.digest.blocks import digest_text
    from bot.models import utcnow

    rt = runtime()
    with rt.read_only() as session:
        _, computed = operations.digest_for(
            session, catalog=rt.catalog, program_name=program_name, week=week, now=utcnow()
        )
        click.echo(digest_text(computed))


@digest.command("send")
@click.option("--program", "program_name", required=True, help="The program.")
@click.option("--week", help=_WEEK)
def digest_send(program_name: str, week: str | None) -> None:
    """Send the digest to the program's leads (and its digest channel) now."""
    from bot.core.process import worker_id
    from bot.digest import operations  # heavy, as above
    from bot.models import utcnow
    from bot.slack import outbox

    rt = runtime()
    now = utcnow()
    with rt.session() as session:
        computed, count = operations.send_now(
            session, catalog=rt.catalog, program_name=program_name, week=week, now=now
        )
        # After the program's own refusals (not started, no leads), before anything is committed.
        if not rt.settings.multi_workspace:
            rt.settings.require_bot_token()
    stats = outbox.flush(rt.sessions, rt.clients, now=now, worker_id=worker_id())
    click.echo(
        f"Sent the {computed.week.label} digest of '{computed.program_name}' to"
        f" {words.count(count, 'recipient')}: {words.count(stats.sent, 'message')} sent"
        + (f", {stats.retried} to retry on the next tick" if stats.retried else "")
        + (f", {stats.failed} refused by Slack (see `upward program show`)" if stats.failed else "")
        + "."
    )
