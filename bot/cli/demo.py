"""`upward demo`: a pilot in fast-forward against the local stand-in."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option(
    "--out",
    "out",
    default="upward-demo",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Folder for the transcript (index.html), the demo's database and its log.",
)
def demo(out: Path) -> None:
    """Run a 4-week pilot in fast-forward on SQLite and a local Slack stand-in, and write a
    transcript.

    Needs no Slack workspace and no network: simulated people click what Upward posts. Prints a
    summary and the final weekly digest, and writes OUT/index.html with what everyone saw in Slack.
    """
    from bot.demo.run import run_demo  # heavy (the stand-in, the simulation), and only used here

    run_demo(out, echo=click.echo)
