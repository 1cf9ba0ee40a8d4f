"""Static files as a browser gets them (app/api/assets.py): every script and stylesheet from a hashed URL,
compressed, cached for good; a second visit asks the server only for the page; the lesson index loads
no plotly.js."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, Response

from tests.browser.pages import WatchedPage, no_errors_after

pytestmark = pytest.mark.browser

READY = "() => !!(window.surfaceLab && window.surfaceLab.paths && window.surfaceLab.paths.runs.length)"
ASSET = re.compile(r"/(static|vendor)/")


class DeliveryPage(WatchedPage):
    def __init__(self, page: Page, base: str) -> None:
        super().__init__(page, base)
        self.responses: list[Response] = []
        page.on("response", lambda response: self.responses.append(response))

    def assets(self) -> list[Response]:
        return [r for r in self.responses if ASSET.search(r.url)]


@pytest.fixture
def delivery(page: Page, server_url: str) -> Iterator[DeliveryPage]:
    yield from no_errors_after(DeliveryPage(page, server_url))


def test_a_second_visit_fetches_only_the_page(delivery: DeliveryPage) -> None:
    page = delivery.page
    page.goto(f"{delivery.base}/")
    page.wait_for_function(READY, timeout=60_000)
    first = delivery.assets()
    assert len(first) > 20 and all(re.search(r"/(static|vendor)/[0-9a-f]{12}/", r.url) for r in first)
    for response in first:
        headers = response.headers  # Playwright gives the headers as received, encoding included
        assert response.status == 200 and headers["cache-control"] == "public, max-age=31536000, immutable"
        if response.url.endswith((".js", ".css")) and int(headers.get("content-length", "0")) > 1000:
            assert headers.get("content-encoding") == "br", response.url
    assert len({r.url for r in first}) == len(first)  # preloaded modules are not fetched twice

    delivery.responses.clear()
    page.goto(f"{delivery.base}/?again=1")  # the same URL would be a reload, which refetches
    page.wait_for_function(READY, timeout=60_000)
    again = delivery.assets()
    # Served from the browser's cache: no request reached the server, not even a revalidation.
    assert again and all(r.from_service_worker is False and r.status == 200 for r in again)
    cached = page.evaluate(
        """() => performance.getEntriesByType('resource')
            .filter(e => /\\/(static|vendor)\\//.test(e.name)).map(e => e.transferSize)"""
    )
    assert cached and all(size == 0 for size in cached), cached


def test_the_lesson_index_loads_without_plotly(delivery: DeliveryPage) -> None:
    page = delivery.page
    page.goto(f"{delivery.base}/lessons")
    page.locator('.lang-toggle button[data-lang="zh"]').click()
    page.wait_for_function("() => location.hash === '#lang=zh'")
    assert page.locator("a.lesson-link").first.get_attribute("href").endswith("&lang=zh")
    assert not any("plotly" in r.url for r in delivery.responses)
    assert page.evaluate("typeof Plotly") == "undefined"
