"""Monte-Carlo dropout on the network page: the spread map beside the boundary, larger away from the data."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import WatchedPage, no_errors_after

pytestmark = pytest.mark.browser

VIEW = (
    "/network#data=moons(n:400,noise:0.1,seed:0)&val=0.5"
    "&nets=relu(hidden:32*32,batch:32,dropout:0.3)!i.he_normal()!o.adam(learning_rate:0.01)&spc=50&speed=30"
)
# Mean spread over the quarter of grid cells nearest to a training point, and over the farthest quarter.
NEAR_FAR_JS = """() => {
  const lab = window.networkLab, view = lab.views[0], grid = lab.data.grid, X = lab.data.X_train;
  const std = view.mc.arrays.std, [gy, gx] = std.shape, cells = [];
  for (let i = 0; i < gy; i++) for (let j = 0; j < gx; j++) {
    let d = Infinity;
    for (let k = 0; k < X.length; k += 2) d = Math.min(d, Math.hypot(X[k] - grid.x[j], X[k + 1] - grid.y[i]));
    cells.push([d, std.data[i * gx + j]]);
  }
  cells.sort((a, b) => a[0] - b[0]);
  const q = Math.floor(cells.length / 4), mean = (a) => a.reduce((s, c) => s + c[1], 0) / a.length;
  return [mean(cells.slice(0, q)), mean(cells.slice(-q))];
}"""


def test_the_spread_grows_away_from_the_data(page: Page, server_url: str) -> None:
    watched = WatchedPage(page, server_url)
    for _ in no_errors_after(watched):
        page.goto(f"{server_url}{VIEW}")
        page.wait_for_function("() => window.networkLab && window.networkLab.histories.length > 0", timeout=30_000)
        page.check("input[data-field=mc]")
        assert "mc=true" in page.evaluate("() => new Promise(r => setTimeout(() => r(location.hash), 300))")
        expect(page.locator(".mc-card")).to_be_visible()
        page.get_by_role("button", name="Play").click()
        page.wait_for_function("() => window.networkLab.histories[0].step >= 1000", timeout=60_000)
        page.get_by_role("button", name="Pause").click()
        page.wait_for_function("() => (window.networkLab.views[0].mc?.header.step ?? 0) >= 1000", timeout=30_000)
        near, far = page.evaluate(NEAR_FAR_JS)
        assert far > 2 * near, (near, far)
        traces = page.evaluate(
            "() => [...document.querySelectorAll('.mc-card .chart')].map(d => (d.data || []).length)"
        )
        assert all(n >= 2 for n in traces), traces
