"""Clicks on module messages and the reflection form: ack at once, parse, then the action in
bot.learning.actions."""

from __future__ import annotations

import re
from functools import partial

from slack_bolt import App

from bot.content.loader import Catalog
from bot.core.ids import Action, Callback
from bot.learning import actions
from bot.slack.acking import on_click, on_submit


def register(app: App, catalog: Catalog) -> None:
    """Attach the microlearning listeners to `app`."""
    click = partial(actions.parse_click, catalog=catalog)
    app.action(re.compile(rf"^{re.escape(Action.answer)}:"))(on_click(actions.answer, click))
    app.action(re.compile(rf"^{re.escape(Action.rate)}:"))(on_click(actions.answer, click))
    app.action(Action.retry)(on_click(actions.retry, click))
    app.action(Action.mark_done)(on_click(actions.mark_done, click))
    app.action(Action.snooze)(on_click(actions.snooze, actions.parse_change))
    app.action(Action.pause_until)(on_click(actions.pause_until, actions.parse_change))
    app.action(Action.opt_out)(on_click(actions.opt_out, actions.parse_change))
    app.action(Action.resume)(on_click(actions.resume, actions.parse_change))
    # At once, not in the work pool's queue: views.open must use the click's trigger_id in 3 s.
    app.action(Action.reflect)(on_click(actions.open_reflection, click, at_once=True))
    app.view(Callback.reflection)(
        on_submit(actions.save_reflection, partial(actions.parse_reflection, catalog=catalog))
    )
