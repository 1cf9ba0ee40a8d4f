"""The Content-Security-Policy in headless Chromium: the labs and /docs work under it and the browser
reports no violation (Chromium logs each one to the console, naming the "Content Security Policy")."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from tests.browser.pages import WatchedPage, no_errors_after

pytestmark = pytest.mark.browser

PLOTLY_STYLED = """() => {
    const style = document.getElementById('plotly.js-style-global');
    return !!(style && style.sheet && style.sheet.cssRules.length > 0);
}"""
SURFACE_DRAWN = """() => {
    const div = document.getElementById('contour');
    const paths = (div && div.data || []).filter(t => t.meta && t.meta.role === 'path');
    return paths.length >= 1 && div.querySelectorAll('.scatterlayer path.js-line').length >= 1
        && div.querySelectorAll('.contourlayer path').length > 0;
}"""
NETWORK_STEP = "() => (window.networkLab && window.networkLab.histories[0] && window.networkLab.histories[0].step) || 0"


class CspPage(WatchedPage):
    def __init__(self, page: Page, base: str) -> None:
        super().__init__(page, base)
        self.violations: list[str] = []
        page.on("console", lambda m: self.violations.append(m.text) if "Content Security Policy" in m.text else None)

    def open(self, path: str) -> None:
        response = self.page.goto(f"{self.base}{path}")
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "default-src 'self'" in policy  # the policy is in force


@pytest.fixture
def csp_page(page: Page, server_url: str) -> Iterator[CspPage]:
    watched = CspPage(page, server_url)
    yield from no_errors_after(watched)
    assert watched.violations == []


def test_the_surface_lab_draws_under_the_policy(csp_page: CspPage) -> None:
    page = csp_page.page
    csp_page.open("/")
    page.wait_for_function(SURFACE_DRAWN, timeout=30_000)
    page.wait_for_function(PLOTLY_STYLED)  # plotly's own stylesheet, admitted by hash
    # image export (the PNG and SVG buttons, the recorder's background) goes through data: URLs
    size = page.evaluate(
        """async () => {
            const div = document.getElementById('contour');
            const url = await Plotly.toImage(div, {format: 'png', width: 320, height: 240});
            const image = new Image();
            image.src = url;
            await image.decode();
            return [image.width, image.height];
        }"""
    )
    assert size == [320, 240]
    page.get_by_role("button", name="Play").first.click()
    page.wait_for_function("() => window.surfaceLab.state.cursor > 0", timeout=30_000)
    assert csp_page.violations == []


def test_the_network_lab_trains_and_draws_under_the_policy(csp_page: CspPage) -> None:
    page = csp_page.page
    csp_page.open("/network")
    page.wait_for_function(
        "() => window.networkLab && window.networkLab.histories.length === 1 && window.networkLab.histories[0].last",
        timeout=60_000,
    )
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(f"() => ({NETWORK_STEP})() >= 50", timeout=60_000)
    page.wait_for_function(PLOTLY_STYLED)
    # heatmaps (plotly sets style attributes on them) and the WebGL scatter of the data
    page.wait_for_function("() => document.querySelectorAll('.heatmaplayer image').length > 0")
    page.wait_for_function("() => document.querySelectorAll('.gl-container canvas').length > 0")
    assert csp_page.violations == []


def test_the_api_docs_render_under_the_policy(csp_page: CspPage) -> None:
    page = csp_page.page
    csp_page.open("/docs")  # FastAPI writes OpenAPI 3.1, which swagger-ui 5 renders
    page.wait_for_function("() => document.querySelectorAll('#swagger-ui .opblock').length >= 5", timeout=30_000)
    page.locator(".opblock-summary").first.click()
    page.wait_for_function("() => document.querySelectorAll('.opblock.is-open').length === 1")
    assert csp_page.violations == []
