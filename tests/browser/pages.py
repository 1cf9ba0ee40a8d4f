"""What every page object of the browser tests shares: the page, the server, and the errors it logged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from playwright.sync_api import Page


class WatchedPage:
    """A page whose console errors and uncaught exceptions are collected in ``errors``."""

    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.base = base
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))


P = TypeVar("P", bound=WatchedPage)


def no_errors_after(page: P) -> Iterator[P]:
    """Fixture body: hand the page to the test, then fail if the page logged any error meanwhile."""
    yield page
    assert page.errors == [], f"console errors: {page.errors}"
