"""`python -m tests.governance._cli ...`: the `upward` command with the governance commands registered.

Until bot/cli.py calls `register(cli)` itself this adds them; afterwards it changes nothing.
"""

from bot.cli import cli
from bot.governance.commands import register

if "export" not in cli.commands:
    register(cli)
cli(prog_name="upward")
