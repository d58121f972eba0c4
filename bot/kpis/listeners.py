"""The check-in's and the rating sheet's buttons: ack, then the action in bot.kpis.actions."""

from __future__ import annotations

import re

from slack_bolt import App

from bot.content.loader import Catalog
from bot.core.ids import Action
from bot.kpis import actions
from bot.slack.acking import on_click


def register(app: App, catalog: Catalog) -> None:
    """Attach the check-in and rating listeners to `app`."""
    app.action(re.compile(rf"^{re.escape(Action.kpi_value)}:"))(
        on_click(actions.answer_checkin, actions.parse_checkin)
    )
    app.action(re.compile(rf"^{re.escape(Action.kpi_observe)}:"))(
        on_click(actions.rate, actions.parse_rating)
    )
