"""Embed, presenter mode and exports in headless Chromium: what a teacher takes into a class."""

from __future__ import annotations

import csv
import functools
import io
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import WatchedPage, no_errors_after

pytestmark = pytest.mark.browser

PATHS_JS = "() => !!(window.surfaceLab && window.surfaceLab.paths)"


class SharedPage(WatchedPage):
    def open(self, url: str) -> SharedPage:
        self.page.goto(f"{self.base}{url}")
        self.page.wait_for_function(PATHS_JS, timeout=30_000)
        return self


@pytest.fixture
def shared(page: Page, server_url: str) -> Iterator[SharedPage]:
    page.set_viewport_size({"width": 1280, "height": 720})
    yield from no_errors_after(SharedPage(page, server_url))


def test_an_embedded_view_has_no_navigation_hides_what_it_was_told_and_still_plays(shared: SharedPage) -> None:
    page = shared.open("/?embed=1&runs_hide=1&about_hide=1#surface=rosenbrock").page
    expect(page.locator(".app-header")).to_be_hidden()
    expect(page.locator(".main-nav")).to_be_hidden()
    expect(page.locator("[data-hide=runs]")).to_be_hidden()
    expect(page.locator("[data-hide=about]")).to_be_hidden()
    expect(page.locator("#contour .main-svg").first).to_be_visible()
    page.get_by_role("button", name="Step forward").click()
    expect(page.locator(".cursor-readout")).to_have_text("step 1 / 500")


def test_the_embed_dialog_writes_an_iframe_of_this_view_without_the_unticked_sections(shared: SharedPage) -> None:
    page = shared.open("/#surface=beale").page
    page.click("#embed-button")
    page.uncheck("#embed-dialog input[data-section=runs]")
    snippet = page.input_value("#embed-snippet")
    assert snippet.startswith("<iframe src=")
    assert "/?embed=1&runs_hide=1#surface=beale" in snippet


def test_presenter_mode_at_1280x720_has_large_type_and_its_keys_work(shared: SharedPage, artifacts) -> None:
    page = shared.open("/?present=1#lesson=learning_rate").page
    expect(page.locator("body")).to_have_class("present")
    for selector in (".lesson-setup", ".lesson-question", ".field-label"):
        size = page.evaluate(f"() => parseFloat(getComputedStyle(document.querySelector('{selector}')).fontSize)")
        assert size >= 20, (selector, size)
    page.screenshot(path=str(artifacts / "presenter-1280x720.png"))

    page.keyboard.press("n")  # the lesson's next step: show the run without choosing
    page.wait_for_function("() => window.surfaceLab.lesson.phase !== 'question'")
    before = page.evaluate("() => window.surfaceLab.state.runs.map(r => r.hyperparameters.learning_rate)")
    page.keyboard.press("ArrowUp")
    after = page.evaluate("() => window.surfaceLab.state.runs.map(r => r.hyperparameters.learning_rate)")
    assert all(b < a <= b * 1.3 for a, b in zip(after, before, strict=True)), (before, after)

    page.click(".lesson-finish")  # n: the answer; n again: the next lesson, still presenting
    expect(page.locator(".lesson-answer")).to_be_visible()
    page.keyboard.press("n")
    page.wait_for_url("**/?present=1#lesson=momentum_valley")
    # a new lesson reloads the page: plotly.js alone evaluates for 1.3–2.5 s here, more under CI's load
    expect(page.locator(".lesson-heading")).to_have_text("Momentum in a narrow valley", timeout=30_000)
    expect(page.locator("body")).to_have_class("present")


def test_a_chart_downloads_as_png_and_svg(shared: SharedPage) -> None:
    page = shared.open("/").page
    page.hover("#loss")
    with page.expect_download() as png:
        page.click('#loss .modebar-btn[data-title="Download plot as a PNG"]')
    assert png.value.path().read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page.hover("#contour")
    with page.expect_download() as svg:
        page.click('#contour .modebar-btn[data-title="Download plot as SVG"]')
    text = svg.value.path().read_text(encoding="utf-8")
    assert text.startswith("<svg") and "</svg>" in text and len(text) > 10_000


def test_the_runs_download_as_csv_with_one_row_per_point(shared: SharedPage) -> None:
    page = shared.open("/#surface=quadratic&steps=120").page
    with page.expect_download() as download:
        page.click("#export-csv")
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    runs = page.evaluate("() => window.surfaceLab.paths.runs.map(r => [r.status, r.x.length])")
    for index, (status, points) in enumerate(runs):
        mine = [row for row in rows if row["run"] == str(index)]
        assert len(mine) == points
        if status == "ok":
            assert len(mine) == 120 + 1
    assert [row["step"] for row in rows[:3]] == ["0", "1", "2"]


def check_embedded(page: Page) -> None:
    page.wait_for_function("() => document.querySelector('iframe').contentWindow !== null")
    page.frames[-1].wait_for_function(PATHS_JS, timeout=30_000)
    frame = page.frame_locator("iframe")
    expect(frame.locator("#contour .main-svg").first).to_be_visible()
    expect(frame.locator(".app-header")).to_be_hidden()
    expect(frame.locator("[data-hide=surface]")).to_be_hidden()
    frame.get_by_role("button", name="Step forward").click()
    expect(frame.locator(".cursor-readout")).to_have_text("step 1 / 500")


def slide(base: str) -> str:
    return (
        f'<link rel="icon" href="data:,"><h1>Slide 3</h1><iframe src="{base}/?embed=1&surface_hide=1#surface=beale" '
        'width="960" height="600" style="border:0" allow="fullscreen"></iframe>'
    )


def test_an_embed_inside_a_slide_on_another_site_loads_and_stays_interactive(shared: SharedPage, tmp_path) -> None:
    (tmp_path / "deck.html").write_text(slide(shared.base), encoding="utf-8")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as slides:  # another origin: its own port
        threading.Thread(target=slides.serve_forever, daemon=True).start()
        try:
            shared.page.goto(f"http://127.0.0.1:{slides.server_address[1]}/deck.html")
            check_embedded(shared.page)
        finally:
            slides.shutdown()


def test_an_embed_inside_a_deck_opened_from_a_file_loads(shared: SharedPage, tmp_path) -> None:
    deck = tmp_path / "deck.html"
    deck.write_text(slide(shared.base), encoding="utf-8")
    shared.page.goto(deck.as_uri())
    check_embedded(shared.page)


def test_the_network_history_downloads_as_csv_and_json(page: Page, server_url: str) -> None:
    page.goto(f"{server_url}/network")
    page.wait_for_function("() => window.networkLab && window.networkLab.histories.length > 0", timeout=30_000)
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("() => window.networkLab.histories[0].curves.step.length >= 5", timeout=30_000)
    page.get_by_role("button", name="Pause").click()
    page.wait_for_timeout(500)
    with page.expect_download() as download:
        page.click("#export-csv")
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    points = page.evaluate("() => window.networkLab.histories[0].curves.step.length")
    assert len(rows) == points and rows[0]["step"] == "0"
    with page.expect_download() as download:
        page.click("#export-json")
    (net,) = json.loads(download.value.path().read_text(encoding="utf-8"))
    hidden = page.evaluate("() => window.networkLab.state.nets[0].hidden.length")
    assert len(net["histograms"]["act"]) == hidden and len(net["histograms"]["grad"]) == hidden + 1
    assert sum(net["histograms"]["act"][0]) > 0


def test_the_init_experiment_downloads_its_histograms(page: Page, server_url: str) -> None:
    page.goto(f"{server_url}/init#layers=4&width=50")
    page.wait_for_function("() => window.initLab && window.initLab.result", timeout=30_000)
    with page.expect_download() as download:
        page.click("#export-csv")
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    layers = page.evaluate("() => window.initLab.result.layers.map(l => l.histogram.counts)")
    assert len(rows) == sum(len(counts) for counts in layers)
    assert {row["layer"] for row in rows} == {"1", "2", "3", "4"}
    assert sum(int(row["count"]) for row in rows if row["layer"] == "1") == sum(layers[0])
