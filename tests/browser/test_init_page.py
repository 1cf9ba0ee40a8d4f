"""The init experiment in headless Chromium: seed 001's histograms, the std line, presets, links."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import WatchedPage, no_errors_after

pytestmark = pytest.mark.browser

HISTOGRAMS_JS = """() => (document.getElementById('histograms').data || [])
    .filter(t => t.meta && t.meta.role === 'histogram').length"""
STD_JS = """() => {
    const trace = (document.getElementById('meanstd').data || []).find(t => t.meta && t.meta.role === 'std');
    return trace ? Array.from(trace.y) : [];
}"""
IDLE_JS = "() => document.getElementById('busy').hidden"


class InitPage(WatchedPage):
    def open(self, hash_: str = "") -> InitPage:
        self.page.goto(f"{self.base}/init{hash_}")
        self.page.wait_for_function(f"() => ({STD_JS})().length > 0", timeout=30_000)
        self.page.wait_for_function(IDLE_JS)
        return self

    def std(self) -> list[float]:
        return self.page.evaluate(STD_JS)


@pytest.fixture
def init_page(page: Page, server_url: str) -> Iterator[InitPage]:
    yield from no_errors_after(InitPage(page, server_url))


def test_default_shows_ten_histograms_and_a_falling_std(init_page: InitPage, artifacts) -> None:
    init_page.open()
    page = init_page.page
    assert page.evaluate(HISTOGRAMS_JS) == 10
    std = init_page.std()
    assert len(std) == 10
    assert std[0] == pytest.approx(0.21, abs=0.03)  # seed 001: std ≈ 0.2 at layer 1 …
    assert all(b < a for a, b in zip(std, std[1:], strict=False))  # … and it falls layer by layer
    assert std[-1] < 1e-3
    expect(page.locator('.preset[data-preset="small"]')).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#about")).to_contain_text("Tiny weights")
    page.wait_for_function("() => location.hash.includes('init=normal(std:0.01)')")
    page.wait_for_timeout(200)
    page.screenshot(path=str(artifacts / "init.png"), full_page=True)
    assert (artifacts / "init.png").stat().st_size > 20_000


def test_he_relu_preset_keeps_the_std_level(init_page: InitPage) -> None:
    init_page.open()
    before = init_page.std()
    init_page.page.get_by_role("button", name="He + ReLU").click()
    init_page.page.wait_for_function(f"before => JSON.stringify(({STD_JS})()) !== JSON.stringify(before)", arg=before)
    init_page.page.wait_for_function(IDLE_JS)
    std = init_page.std()
    assert min(std) > 0.5 * max(std)  # He + ReLU: level from first layer to last
    expect(init_page.page.locator("select[data-field=activation]")).to_have_value("relu")
    expect(init_page.page.locator("select[data-field=init]")).to_have_value("he_normal")
    init_page.page.wait_for_function("() => location.hash.includes('activation=relu')")
    # Xavier + ReLU decays: He's factor 2 is what keeps it level
    init_page.page.get_by_role("button", name="Xavier + ReLU").click()
    init_page.page.wait_for_function(f"() => {{ const s = ({STD_JS})(); return s.length && s[9] < 0.2 * s[0]; }}")


def test_controls_rerun_and_the_link_round_trips(init_page: InitPage) -> None:
    init_page.open("#activation=tanh&init=normal(std:1)&layers=4&width=200&samples=300&seed=3&lang=zh")
    page = init_page.page
    assert page.evaluate(HISTOGRAMS_JS) == 4
    std = init_page.std()
    assert all(s > 0.9 for s in std)  # N(0, 1) weights saturate tanh at ±1
    expect(page.locator("h1")).to_have_text("初始权重如何塑造深层网络")
    expect(page.locator('.preset[data-preset="large"]')).to_have_attribute("aria-pressed", "true")
    page.locator("input[data-param=layers]").evaluate(
        "el => { el.value = '7'; el.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    page.wait_for_function(f"() => ({HISTOGRAMS_JS})() === 7")
    page.wait_for_function("() => location.hash.includes('layers=7') && location.hash.includes('seed=3')")
    page.locator('button[data-lang="en"]').click()
    expect(page.locator("h1")).to_have_text("How the initial weights shape a deep network")
