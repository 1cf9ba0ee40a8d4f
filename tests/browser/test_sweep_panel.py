"""The surface lab's sweep panel in headless Chromium: a heatmap over two hyperparameters whose cells load
into the run, a marker that follows the run's sliders, a basin map of Himmelblau, and refusals shown."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import WatchedPage, no_errors_after

pytestmark = pytest.mark.browser

READY_JS = """() => document.querySelectorAll('.run-card[data-status=pending]').length === 0
    && (document.getElementById('contour').data || []).some(t => t.meta && t.meta.role === 'path')"""
TRACES_JS = """() => Object.fromEntries((document.getElementById('sweep-chart').data || [])
    .map(t => [t.meta.role, {x: t.x && Array.from(t.x), y: t.y && Array.from(t.y), z: t.z, visible: t.visible}]))"""
PATH_JS = """(i) => {
    const t = document.getElementById('contour').data.filter(t => t.meta && t.meta.role === 'path')[i];
    return [Array.from(t.x), Array.from(t.y)]; }"""
MARKER_JS = "() => document.getElementById('sweep-chart').data.find(t => t.meta.role === 'current')"


class SweepLab(WatchedPage):
    """The surface lab with its sweep panel open."""

    def open(self, hash_: str = "") -> SweepLab:
        self.page.goto(f"{self.base}/{hash_}")
        self.page.wait_for_function(READY_JS, timeout=30_000)
        self.page.click("#sweep-card > summary")
        return self

    def sweep(self, run: int = 0, mode: str = "heat", count: int = 32) -> dict:
        """Press Sweep for run ``run`` and wait for the figure; the answer the panel drew."""
        self.page.select_option("#sweep select[data-field=sweep-run]", str(run))
        self.page.click(f".sweep-toggle button[data-value={mode}]")
        self.page.select_option("#sweep select[data-field=sweep-grid]", str(count))
        before = self.page.evaluate(f"() => window.surfaceLab.sweeps.results['{mode}']")
        self.page.click(".sweep-button")
        self.page.wait_for_function(
            f"before => {{ const r = window.surfaceLab.sweeps.results['{mode}']; return r && r !== before"
            " && document.getElementById('sweep-chart').data; }",
            arg=before,
            timeout=60_000,
        )
        return self.page.evaluate(f"() => window.surfaceLab.sweeps.results['{mode}'].answer")

    def traces(self) -> dict:
        return self.page.evaluate(TRACES_JS)

    def click_cell(self, x: float, y: float) -> None:
        """A real mouse click on the sweep chart at plot coordinates (x, y)."""
        box = self.page.evaluate(
            """([x, y]) => { const div = document.getElementById('sweep-chart'); const fl = div._fullLayout;
                const r = div.getBoundingClientRect();
                return [r.left + fl.xaxis._offset + fl.xaxis.l2p(x), r.top + fl.yaxis._offset + fl.yaxis.l2p(y)]; }""",
            [x, y],
        )
        self.page.mouse.click(*box)

    def run(self, index: int) -> dict:
        return self.page.evaluate(f"() => window.surfaceLab.state.runs[{index}]")


@pytest.fixture
def lab(page: Page, server_url: str) -> Iterator[SweepLab]:
    yield from no_errors_after(SweepLab(page, server_url))


def test_a_heatmap_cell_loads_into_the_run_and_the_marker_follows_its_sliders(lab: SweepLab, artifacts) -> None:
    lab.open("#surface=rosenbrock")
    answer = lab.sweep(run=1)  # momentum: learning rate across, momentum up
    assert [a["name"] for a in answer["axes"]] == ["learning_rate", "momentum"]
    traces = lab.traces()
    assert len(traces["value"]["z"]) == 32 and len(traces["value"]["z"][0]) == 32
    assert {"value", "diverged", "current"} <= set(traces)
    assert any(v is not None for row in traces["diverged"]["z"] for v in row)  # large rates diverge
    expect(lab.page.locator(".sweep-caption")).to_contain_text("final loss")
    rates, momenta = (a["values"] for a in answer["axes"])
    run = lab.run(1)
    marker = traces["current"]
    assert marker["visible"] is True
    assert 10 ** marker["x"][0] == pytest.approx(run["hyperparameters"]["learning_rate"], rel=1e-6)
    assert marker["y"][0] == pytest.approx(run["hyperparameters"]["momentum"])
    lab.page.locator("#sweep-card").screenshot(path=str(artifacts / "surface-sweep.png"))

    # a converging cell other than the run's values: click it
    i, j = next(
        (i, j)
        for i in range(len(rates) - 1, -1, -1)
        for j in range(len(momenta))
        if answer["status"][i][j] == "ok" and abs(momenta[j] - run["hyperparameters"]["momentum"]) > 0.2
    )
    path_before = lab.page.evaluate(PATH_JS, 1)
    lab.click_cell(traces["value"]["x"][i], traces["value"]["y"][j])
    lab.page.wait_for_function(
        "([lr, m]) => { const h = window.surfaceLab.state.runs[1].hyperparameters;"
        " return h.learning_rate === lr && h.momentum === m; }",
        arg=[rates[i], momenta[j]],
    )
    # its sliders show the values, its path is redrawn, and it ends where the cell said
    card = lab.page.locator(".run-card").nth(1)
    expect(card.locator(".slider-value").nth(1)).not_to_have_text("0.9")
    lab.page.wait_for_function(f"before => JSON.stringify(({PATH_JS})(1)) !== JSON.stringify(before)", arg=path_before)
    lab.page.wait_for_function(READY_JS)
    xs, ys = lab.page.evaluate(PATH_JS, 1)
    assert [xs[-1], ys[-1]] == pytest.approx(answer["final_point"][i][j], rel=1e-4, abs=1e-5)
    final_loss = lab.page.evaluate("() => window.surfaceLab.paths.runs[1].final_loss")
    assert final_loss == pytest.approx(answer["final_loss"][i][j], rel=1e-4, abs=1e-7)
    moved = lab.traces()["current"]
    assert (moved["x"][0], moved["y"][0]) == pytest.approx((traces["value"]["x"][i], traces["value"]["y"][j]))

    # moving the run's momentum slider moves the marker with it
    lab.page.locator(".run-card").nth(1).locator("input[data-param=momentum]").evaluate(
        "el => { el.value = '0.5'; el.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    lab.page.wait_for_function(f"() => Math.abs(({MARKER_JS})().y[0] - 0.5) < 1e-9")
    # the steps-to-tolerance view draws from the same answer
    lab.page.click(".sweep-toggle button[data-value=steps]")
    lab.page.wait_for_function("() => document.getElementById('sweep-chart').data.some(t => t.meta.role === 'never')")
    expect(lab.page.locator(".sweep-caption")).to_contain_text("stays ≤")


def test_a_basin_map_of_himmelblau_shows_its_four_basins_and_a_click_moves_the_start(lab: SweepLab, artifacts) -> None:
    lab.open("#surface=himmelblau")
    answer = lab.sweep(run=0, mode="basin", count=64)
    assert [a["name"] for a in answer["axes"]] == ["start_x", "start_y"]
    basins = lab.traces()["basins"]
    reached = {int(v) for row in basins["z"] for v in row}
    assert {0, 1, 2, 3} <= reached  # a start in each of the four minima's basins
    colours = lab.page.evaluate(
        "() => { const t = document.getElementById('sweep-chart').data.find(t => t.meta.role === 'basins');"
        " return [0, 1, 2, 3].map(k => t.colorscale[2 * k][1]); }"
    )
    assert len(set(colours)) == 4
    expect(lab.page.locator(".sweep-legend-item")).to_have_count(4 + 3)  # four minima, stalled, diverged, the start
    expect(lab.page.locator(".sweep-caption")).to_contain_text("minimum")
    lab.page.locator("#sweep-card").screenshot(path=str(artifacts / "surface-basins.png"))
    xs, ys = (a["values"] for a in answer["axes"])
    lab.click_cell(xs[10], ys[50])
    lab.page.wait_for_function(
        "([x, y]) => { const s = window.surfaceLab.state.start; return s[0] === x && s[1] === y; }",
        arg=[xs[10], ys[50]],
    )
    lab.page.wait_for_function(
        f"([x, y]) => {{ const t = ({MARKER_JS})(); return t.x[0] === x && t.y[0] === y; }}",
        arg=[xs[10], ys[50]],
    )


def test_bad_input_and_refusals_show_a_message_not_a_broken_plot(lab: SweepLab) -> None:
    lab.open("#surface=rosenbrock")
    lab.page.select_option("#sweep select[data-field=sweep-run]", "1")
    high = lab.page.locator("#sweep input[data-field=sweep-high-0]")
    high.fill("lots")
    lab.page.click(".sweep-button")
    expect(lab.page.locator(".sweep-message")).to_have_text("Give numbers for the range of learning rate ε.")
    high.fill("100")  # beyond the catalog's 10: the server's 422 says so
    lab.page.click(".sweep-button")
    expect(lab.page.locator(".sweep-message")).to_contain_text("learning_rate ranges over [1e-05, 10]")
    expect(lab.page.locator("#sweep-chart")).to_be_hidden()
    high.fill("0.1")
    lab.page.click(".sweep-button")
    lab.page.wait_for_function("() => document.getElementById('sweep-chart').data")
    expect(lab.page.locator(".sweep-message")).to_be_hidden()
    # the browser logs the refused request itself; nothing else may be logged
    lab.errors[:] = [e for e in lab.errors if "status of 422" not in e]
