"""`/circle` and the circle buttons: ack at once, parse, then the action in bot.circles.actions."""

from __future__ import annotations

import re
from functools import partial

from slack_bolt import App

from bot.circles import actions, command
from bot.content.loader import Catalog
from bot.core.ids import Action
from bot.slack.acking import on_click


def register(app: App, catalog: Catalog) -> None:
    """Attach `/circle` and the circle buttons to `app`."""
    app.command("/circle")(on_click(actions.run_command, partial(_command, catalog=catalog)))
    app.action(re.compile(rf"^{re.escape(Action.circle_met)}:"))(
        on_click(actions.met, actions.parse_choice)
    )
    app.action(re.compile(rf"^{re.escape(Action.circle_pulse)}:"))(
        on_click(actions.pulse, actions.parse_choice)
    )


def _command(body: dict, *, catalog: Catalog) -> actions.CircleCommand:
    """The command's text, read by the `/circle` grammar (command.Usage says what to type)."""
    return actions.CircleCommand(command.parse(body.get("text")), catalog)
