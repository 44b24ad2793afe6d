"""The browser tests: Python Playwright driving Debian's ``chromium`` package.

Playwright's own browser download (``playwright install``) cannot work on a
machine without internet, so the tests launch the system's Chromium by
``executable_path``; ``make setup`` installs it with apt where it runs as
root. Without it the tests fail and say what to install: they never skip.

Each test saves a screenshot of each step under its temporary folder
(``<tmp_path>/screenshots/NN-step.png``), so that a failing run can be
looked at; pytest keeps the last three runs' folders
(``/tmp/pytest-of-$USER/pytest-current/``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = "chromium"  # Debian's package and command
MISSING = (
    "Debian's chromium is not installed, so the browser tests cannot run: `make setup` installs it "
    "where it runs as root (apt-get install chromium); Playwright's own browser download cannot work offline"
)


def chromium_path() -> str:
    path = shutil.which(CHROMIUM)
    if path is None:
        pytest.fail(MISSING, pytrace=False)
    return path


@pytest.fixture(scope="session")
def browser():
    """One Chromium per test worker."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path)
        yield launched
        launched.close()


class Watched:
    """A page, the errors its console and its scripts reported, and numbered screenshots of its steps."""

    def __init__(self, page, folder: Path):
        self.page = page
        self.folder = folder
        self.errors: list[str] = []
        self.shots: list[Path] = []
        page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def shot(self, step: str, full_page: bool = False) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{len(list(self.folder.glob('*.png'))) + 1:02d}-{step}.png"  # numbered per test
        self.page.screenshot(path=path, full_page=full_page)
        self.shots.append(path)
        return path


@pytest.fixture
def open_page(browser, tmp_path):
    """open_page(width, height, **context options) -> Watched: a page in a context of its own."""
    contexts = []

    def make(width: int = 1200, height: int = 900, **options) -> Watched:
        context = browser.new_context(viewport={"width": width, "height": height}, **options)
        contexts.append(context)
        return Watched(context.new_page(), tmp_path / "screenshots")

    yield make
    for context in contexts:
        context.close()
