"""Socket Mode on the stand-in: the app-level token its seed names."""

from __future__ import annotations

import pytest

from bot.sandbox import MINIMAL_SEED, SeedError, load_seed
from tests.sandbox.conftest import SEED


def test_the_seed_names_the_app_level_token() -> None:
    assert load_seed(MINIMAL_SEED).app_token.startswith("xapp-1-A0SANDBOX1-")
    assert load_seed(None).app_token.startswith("xapp-1-A07UPWRD001-")  # the demo workspace
    assert load_seed(SEED).app_token.startswith("xapp-")  # a default when the seed names none
    with pytest.raises(SeedError, match="app.app_token"):
        load_seed({**SEED, "app": {**SEED["app"], "app_token": "xoxb-not-an-app-token"}})
