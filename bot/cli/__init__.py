"""The `upward` command: one module per command group, each command a few lines over a service.

Every command runs inside one error handler (`errors.UpwardGroup`) and against one lazily built
`runtime.Runtime` (settings, catalog, sessions, Slack clients), disposed when the command ends.
"""

from __future__ import annotations

import click

from bot.cli import circles, content, db, demo, digest, governance, kpi, program, roster, run
from bot.cli.errors import UpwardGroup, UserError

__all__ = ["UserError", "cli", "main"]


@click.group(
    cls=UpwardGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="upward", prog_name="upward")
def cli() -> None:
    """Upward runs reverse-mentoring programs in Slack: microlearning in executives' DMs, monthly
    peer circles run by junior mentors with /circle, and a weekly digest for program leads.

    Configuration comes from the environment or a .env file: DATABASE_URL, SLACK_BOT_TOKEN,
    SLACK_SIGNING_SECRET, SLACK_APP_TOKEN (Socket Mode), SLACK_API_URL.
    """


for _command in (
    db.db,
    content.content,
    run.serve,
    program.program,
    digest.digest,
    circles.circles,
    kpi.kpi,
    roster.roster,
    run.tick,
    run.worker,
    demo.demo,
    governance.export_command,
    governance.person,
):
    cli.add_command(_command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="upward")
