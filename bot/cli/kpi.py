"""`upward kpi`: list, add and retire a program's KPIs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from bot.cli.runtime import runtime
from bot.core.words import count

if TYPE_CHECKING:
    from bot.models import Kpi


@click.group()
def kpi() -> None:
    """List, add and retire a program's KPIs (2–3 measures executives report weekly)."""


def _line(k: Kpi) -> str:
    from bot.models import OBSERVED

    asked = "mentors" if k.kind == OBSERVED else "weekly"
    scale = f"{k.scale_min}–{k.scale_max}"
    return f"{k.key:<28} {k.status.value:<8} {asked:<8} {k.kind:<8} {scale}  {k.name}"


@kpi.command("list")
@click.option("--program", "program_name", required=True, help="The program.")
def kpi_list(program_name: str) -> None:
    """Show the program's KPIs, active and retired."""
    from bot.kpis import service
    from bot.programs.service import find_program

    with runtime().session() as session:
        lines = [
            _line(k) for k in service.program_kpis(session, find_program(session, program_name).id)
        ]
    if lines:
        lines.insert(0, f"{'KEY':<28} {'STATUS':<8} {'ASKED':<8} {'KIND':<8} SCALE NAME")
    click.echo("\n".join(lines) if lines else "No KPIs yet: add one with `upward kpi add`.")


@kpi.command("add")
@click.option("--program", "program_name", required=True, help="The program.")
@click.option("--key", required=True, help="Short id, e.g. asked-junior-first.")
@click.option("--name", "name", required=True, help="Shown in digests (up to 75 characters).")
@click.option("--question", required=True, help="What executives answer weekly with one click.")
@click.option("--kind", type=click.Choice(["count", "rating"]), default="rating", show_default=True)
@click.option(
    "--min",
    "scale_min",
    type=int,
    default=None,
    help="Lowest value (default: 0 for count, 1 for rating).",
)
@click.option("--max", "scale_max", type=int, default=5, show_default=True, help="Highest value.")
@click.option(
    "--low", "low_label", default="Not at all", show_default=True, help="Label of the lowest value."
)
@click.option(
    "--high", "high_label", default="A lot", show_default=True, help="Label of the highest value."
)
def kpi_add(program_name: str, kind: str, scale_min: int | None, **fields: str | int) -> None:
    """Add a KPI; it is asked from the next weekly check-in on (at most 3 active)."""
    from bot.kpis import service
    from bot.models import utcnow
    from bot.programs.service import find_program

    low = (0 if kind == "count" else 1) if scale_min is None else scale_min
    with runtime().session() as session:
        prog = find_program(session, program_name)
        added = service.add_kpi(
            session,
            program=prog,
            kind=kind,
            scale_min=low,
            now=utcnow(),
            **fields,  # type: ignore[arg-type]
        )
        shown = (
            f"Added KPI '{added.key}' to '{prog.name}' ({added.kind},"
            f" {added.scale_min}–{added.scale_max})."
        )
    click.echo(shown)


@kpi.command("retire")
@click.argument("key")
@click.option("--program", "program_name", required=True, help="The program.")
def kpi_retire(key: str, program_name: str) -> None:
    """Stop asking a KPI; its history stays in digests and exports."""
    from bot.kpis import service
    from bot.models import utcnow
    from bot.programs.service import find_program

    with runtime().session() as session:
        prog = find_program(session, program_name)
        service.retire_kpi(session, program=prog, key=key, now=utcnow())
        left = len(service.active_kpis(session, prog.id))
    click.echo(
        f"Retired '{key}'. {count(left, 'active KPI')} {'remains' if left == 1 else 'remain'}"
        + (" (the playbook suggests 2–3)." if left < 2 else ".")
    )
