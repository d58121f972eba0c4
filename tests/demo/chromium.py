"""Headless Chromium for tests that check a page in a real browser (Debian's `chromium`, which
.ci/run installs)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class HeadlessChromium:
    """One Chromium profile and window size: the DOM it builds for a URL, and screenshots of it."""

    binary: str
    profile: Path
    window: tuple[int, int]

    def _command(self) -> list[str]:
        return [
            self.binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            f"--user-data-dir={self.profile}",
            f"--window-size={self.window[0]},{self.window[1]}",
        ]

    def dom(self, url: str) -> str:
        """The page's DOM after Chromium loaded it, as HTML."""
        return subprocess.run(
            [*self._command(), "--dump-dom", url], capture_output=True, text=True, timeout=120
        ).stdout

    def screenshot(self, url: str, path: Path) -> None:
        """Keep a screenshot of the page at `path`; fail if Chromium wrote none or it looks
        blank."""
        path.parent.mkdir(exist_ok=True)
        path.unlink(missing_ok=True)
        subprocess.run(
            [*self._command(), f"--screenshot={path}", url], capture_output=True, timeout=120
        )
        print(f"\nscreenshot: {path}")
        assert path.is_file(), "chromium wrote no screenshot"
        from PIL import Image

        with Image.open(path) as image:
            assert image.size == self.window
            colours = image.convert("RGB").getcolors(maxcolors=1 << 20) or []
        assert len(colours) > 200, f"the screenshot looks blank ({len(colours)} colours)"


def headless_chromium(profile: Path, window: tuple[int, int], *, checking: str) -> HeadlessChromium:
    """Chromium, or a failed test (never a skip) saying how to install it."""
    binary = shutil.which("chromium")
    if binary is None:
        pytest.fail(
            "chromium is not installed: `apt-get install -y --no-install-recommends chromium` "
            f"(.ci/run installs it) so {checking} can be checked in a real browser",
            pytrace=False,
        )
    return HeadlessChromium(binary, profile, window)
