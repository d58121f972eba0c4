"""`upward circles`: preview and form peer circles."""

from __future__ import annotations

import click

from bot.cli.runtime import runtime
from bot.core.words import count


@click.group()
def circles() -> None:
    """Preview and form peer circles."""


@circles.command("preview")
@click.option("--program", "program_name", required=True, help="The program.")
@click.option("--month", help="YYYY-MM (default: this month).")
def circles_preview(program_name: str, month: str | None) -> None:
    """Print the proposed circles with the score of each constraint; touches neither Slack nor the
    database."""
    # The Slack side (Block Kit, bolt, the outbox) is heavy: only the circles commands load it.
    from bot.circles import operations
    from bot.circles.service import plan_formation
    from bot.circles.texts import preview_text
    from bot.models import utcnow
    from bot.programs.service import find_program

    rt, now = runtime(), utcnow()
    with rt.read_only() as session:
        prog = find_program(session, program_name)
        period = operations.period_for(rt.catalog, prog, month, now=now)
        formation = plan_formation(
            session, program=prog, period=period, catalog=rt.catalog, now=now
        )
        click.echo(preview_text(formation).replace("*", ""))


@circles.command("form")
@click.option("--program", "program_name", required=True, help="The program.")
def circles_form(program_name: str) -> None:
    """Form this period's circles now (normally `tick` does it on the first working day) and create
    their channels."""
    from bot.circles import jobs, operations  # the Slack side: heavy, as above
    from bot.core.process import worker_id
    from bot.models import utcnow
    from bot.programs.service import find_program
    from bot.slack import outbox

    rt, now = runtime(), utcnow()
    client = rt.clients
    with rt.session() as session:
        prog = find_program(session, program_name)
        period = operations.period_for(rt.catalog, prog, None, now=now)
        ids, existed = operations.form_now(
            session, program=prog, period=period, catalog=rt.catalog, now=now
        )
        name = prog.name
    for circle_id in ids:
        jobs.provision(rt.sessions, client, circle_id=circle_id, catalog=rt.catalog, now=now)
    outbox.flush(rt.sessions, client, now=now, worker_id=worker_id())
    word = "already had" if existed else "now has"
    click.echo(
        f"{name} {word} {count(len(ids), 'circle')} for the period from"
        f" {period.start:%d %b %Y}; their channels are ready."
    )
