"""The surface lab's explanation layers in headless Chromium: the curvature panel follows the mouse over
the map (minimum, maximum and saddle of Himmelblau; the saddle surface), asks at most one request at a
time, turns its second-order bars red for a large learning rate and shows a refusal; the gradient-field
and 3D toggles; the effective step sizes of an adaptive run; a scheduled run's ε(t) preview."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import WatchedPage, no_errors_after

pytestmark = pytest.mark.browser

READY_JS = """() => document.querySelectorAll('.run-card[data-status=pending]').length === 0
    && (document.getElementById('contour').data || []).some(t => t.meta && t.meta.role === 'path')"""
# Counts surface-point requests in flight (and the most at once) before the page's own scripts run.
COUNT_REQUESTS_JS = """(() => {
  const fetch0 = window.fetch;
  window.__points = { inFlight: 0, most: 0, sent: 0 };
  window.fetch = async (url, options) => {
    if (!String(url).includes('/api/v1/surface-point')) return fetch0(url, options);
    const p = window.__points; p.inFlight += 1; p.sent += 1; p.most = Math.max(p.most, p.inFlight);
    try { return await fetch0(url, options); } finally { p.inFlight -= 1; }
  };
})();"""
SHOWN_JS = """() => { const s = window.surfaceLab.curvature.shown;
    return s && {target: s.target, answer: s.answer, body: s.body}; }"""
ROLES_JS = """(id) => (document.getElementById(id).data || []).map(t => t.meta && t.meta.role)"""
HAS_ROLE_JS = """([id, role]) => (document.getElementById(id).data || []).some(t => t.meta && t.meta.role === role)"""
LINES_JS = """([id, role]) => { const t = document.getElementById(id).data.find(t => t.meta && t.meta.role === role);
    return [Array.from(t.x), Array.from(t.y)]; }"""
PATH_SHAPES_JS = "() => document.getElementById('contour').layout.shapes.filter(s => s.type === 'path')"
PIXEL_JS = """([x, y]) => { const div = document.getElementById('contour'); const fl = div._fullLayout;
    const r = div.getBoundingClientRect();
    return [r.left + fl.xaxis._offset + fl.xaxis.l2p(x), r.top + fl.yaxis._offset + fl.yaxis.l2p(y)]; }"""
BURST_JS = """(moves) => { const div = document.getElementById('contour');
    for (const [x, y] of moves) {
        div.dispatchEvent(new MouseEvent('mousemove', {clientX: x, clientY: y, bubbles: true}));
    } }"""
AT_STEP_JS = """(k) => { const s = window.surfaceLab.curvature.shown;
    return s && s.target.source === 'run' && s.target.step === k; }"""
PREVIEW_LAST_JS = """(before) => Number(document.querySelector(".run-card[data-run='0'] .rate-preview").dataset.last)
    > before * 1.5"""

HIMMELBLAU_MINIMUM = (3.0, 2.0)
HIMMELBLAU_MAXIMUM = (-0.270845, -0.923039)
HIMMELBLAU_SADDLE = (0.086678, 2.884255)


class CurvatureLab(WatchedPage):
    """The surface lab, with the curvature panel's answers and the map's pixels at hand."""

    def open(self, hash_: str = "") -> CurvatureLab:
        self.page.add_init_script(COUNT_REQUESTS_JS)
        self.page.goto(f"{self.base}/{hash_}")
        self.page.wait_for_function(READY_JS, timeout=30_000)
        return self

    def pixel(self, x: float, y: float) -> tuple[float, float]:
        """Page coordinates of the map's data point (x, y)."""
        return tuple(self.page.evaluate(PIXEL_JS, [x, y]))

    def hover(self, x: float, y: float, tolerance: float = 0.05) -> dict:
        """Move the mouse over the map to (x, y); the answer the panel then shows for the mouse."""
        self.page.mouse.move(*self.pixel(x, y), steps=4)
        self.wait_for_mouse(x, y, tolerance)
        return self.shown()

    def wait_for_mouse(self, x: float, y: float, tolerance: float = 0.05) -> None:
        """Wait until the panel shows the answer for the mouse at (x, y)."""
        self.page.wait_for_function(
            """([x, y, tol]) => { const s = window.surfaceLab.curvature.shown;
                return s && s.target.source === 'mouse' && Math.abs(s.target.point[0] - x) < tol
                    && Math.abs(s.target.point[1] - y) < tol; }""",
            arg=[x, y, tolerance],
            timeout=10_000,
        )

    def shown(self) -> dict:
        return self.page.evaluate(SHOWN_JS)

    def roles(self, div: str = "contour") -> list[str | None]:
        return self.page.evaluate(ROLES_JS, div)

    def wait_for_role(self, div: str, role: str, present: bool = True) -> None:
        js = HAS_ROLE_JS if present else f"(a) => !({HAS_ROLE_JS})(a)"
        self.page.wait_for_function(js, arg=[div, role])


@pytest.fixture
def lab(page: Page, server_url: str) -> Iterator[CurvatureLab]:
    yield from no_errors_after(CurvatureLab(page, server_url))


def test_the_panel_follows_the_mouse_and_names_minimum_maximum_and_saddle(lab: CurvatureLab, artifacts) -> None:
    lab.open("#surface=himmelblau&runs=sgd(learning_rate:0.01)~adam(learning_rate:0.1)")
    panel = lab.page.locator("#curvature")
    expect(panel.locator(".curv-where")).to_contain_text("run 1, step 0")  # no mouse yet: the run's point

    minimum = lab.hover(*HIMMELBLAU_MINIMUM)
    assert minimum["answer"]["kind"] == "minimum" and all(v > 0 for v in minimum["answer"]["eigenvalues"])
    expect(panel.locator(".curv-kind")).to_have_text("minimum (curves up both ways)")
    expect(panel.locator(".curv-where")).to_contain_text("at the mouse (")

    maximum = lab.hover(*HIMMELBLAU_MAXIMUM)
    assert maximum["answer"]["kind"] == "maximum" and all(v < 0 for v in maximum["answer"]["eigenvalues"])
    assert maximum["answer"]["eigenvalues"] != minimum["answer"]["eigenvalues"]

    saddle = lab.hover(*HIMMELBLAU_SADDLE)
    low, high = saddle["answer"]["eigenvalues"]
    assert saddle["answer"]["kind"] == "saddle" and low < 0 < high
    expect(panel.locator(".curv-kind")).to_contain_text("saddle")
    expect(panel.locator(".curv-facts dd").first).to_contain_text("−")

    # The eigenvectors are on the map: a halo and a coloured double arrow each, red for λ < 0, and labels.
    shapes = lab.page.evaluate(PATH_SHAPES_JS)
    assert len(shapes) == 4
    assert {s["line"]["color"] for s in shapes} >= {"#D55E00", "#0072B2"}
    labels = lab.page.evaluate("() => document.getElementById('contour').layout.annotations.map(a => a.text)")
    assert labels == ["λ₁", "λ₂"]
    lab.page.screenshot(path=str(artifacts / "curvature-saddle.png"))

    # The mouse leaves the map: back to the run's point, arrows moved there.
    lab.page.mouse.move(5, 5)
    expect(panel.locator(".curv-where")).to_contain_text("run 1, step 0")
    start = lab.page.evaluate("() => window.surfaceLab.state.start")
    assert lab.shown()["target"]["point"] == pytest.approx(start, abs=1e-4)

    # A burst of mouse moves within one frame: one hover, at the last position; never two requests at once.
    before = lab.page.evaluate("() => window.__points.sent")
    moves = [lab.pixel(-4 + 8 * k / 29, 3 * math.sin(k / 5)) for k in range(30)]
    lab.page.evaluate(BURST_JS, moves)
    lab.wait_for_mouse(4.0, 3 * math.sin(29 / 5))
    requests = lab.page.evaluate("() => window.__points")
    assert requests["most"] == 1
    assert requests["sent"] - before == 1
    last = lab.shown()
    px, py = last["target"]["point"]
    assert last["answer"]["loss"] == pytest.approx((px * px + py - 11) ** 2 + (px + py * py - 7) ** 2, rel=1e-4)


def test_the_saddle_surface_is_a_saddle_everywhere_and_the_playback_point_is_followed(lab: CurvatureLab) -> None:
    lab.open("#surface=saddle&steps=40&runs=sgd(learning_rate:0.05)")
    answer = lab.hover(0.0, 0.0)["answer"]
    assert answer["kind"] == "saddle"
    assert answer["eigenvalues"] == pytest.approx([-2.0, 2.0])
    lab.page.mouse.move(5, 5)
    lab.page.evaluate("() => { window.surfaceLab.session.seek(20); }")
    lab.page.wait_for_function(AT_STEP_JS, arg=20, timeout=10_000)
    shown = lab.shown()
    path = lab.page.evaluate("() => { const r = window.surfaceLab.paths.runs[0]; return [r.x[20], r.y[20]]; }")
    assert shown["target"]["point"] == pytest.approx(path, rel=1e-5)
    expect(lab.page.locator("#curvature .curv-where")).to_contain_text("run 1, step 20")


def test_the_bars_turn_red_for_a_large_learning_rate_and_a_refusal_is_shown(lab: CurvatureLab, artifacts) -> None:
    lab.open("#surface=quadratic&runs=sgd(learning_rate:0.001)~sgd(learning_rate:1)~adadelta(learning_rate:20)")
    panel = lab.page.locator("#curvature")
    expect(panel).to_have_attribute("data-raises", "false")
    small = lab.shown()["answer"]
    assert small["second_order"] < small["first_order"]
    green = panel.locator(".curv-bar.first .curv-bar-fill").evaluate("n => getComputedStyle(n).backgroundColor")

    lab.page.select_option("#curvature select[data-field=curvature-run]", "1")  # ε = 1 at the same start
    expect(panel).to_have_attribute("data-raises", "true")
    large = lab.shown()["answer"]
    assert large["second_order"] > large["first_order"] and large["actual_change"] > 0
    red = panel.locator(".curv-bar.first .curv-bar-fill").evaluate("n => getComputedStyle(n).backgroundColor")
    assert red == "rgb(179, 38, 30)" != green
    expect(panel.locator(".curv-verdict")).to_contain_text("raises the loss")
    expect(panel.locator(".curv-actual")).to_contain_text("+")
    lab.page.locator(".curvature-card").screenshot(path=str(artifacts / "curvature-raises.png"))

    lab.page.select_option("#curvature select[data-field=curvature-run]", "2")  # ε = 20: the server refuses
    expect(panel.locator(".curv-message")).to_be_visible()
    expect(panel.locator(".curv-message")).to_contain_text("learning_rate")
    lab.errors[:] = [e for e in lab.errors if "status of 422" not in e]  # the refusal, as asked
    assert lab.page.evaluate(PATH_SHAPES_JS) == []


def test_the_gradient_field_toggle_draws_arrows_downhill(lab: CurvatureLab, artifacts) -> None:
    lab.open("#surface=quadratic")
    assert "field" not in lab.roles()
    lab.page.click("#toggle-field")
    lab.wait_for_role("contour", "field")
    expect(lab.page.locator("#toggle-field")).to_have_attribute("aria-pressed", "true")
    expect(lab.page.locator("#view-caption")).to_contain_text("−∇f")
    xs, ys = lab.page.evaluate(LINES_JS, ["contour", "field"])
    arrows = [(xs[i], ys[i], xs[i + 1], ys[i + 1]) for i in range(0, len(xs), 7)]
    assert len(arrows) == 15 * 15
    # On the bowl ½ zᵀHz every arrow points towards the minimum at the origin (−∇f = −Hz: zᵀHz > 0).
    downhill = sum((x1 - x0) * -x0 + (y1 - y0) * -y0 > 0 for x0, y0, x1, y1 in arrows)
    assert downhill >= 0.95 * len(arrows)
    roles = lab.roles()
    assert roles.index("field") < roles.index("path")  # under the paths
    lab.page.locator(".contour-card").screenshot(path=str(artifacts / "gradient-field.png"))
    lab.page.click("#toggle-field")
    lab.wait_for_role("contour", "field", present=False)
    expect(lab.page.locator("#view-caption")).to_be_hidden()


def test_the_3d_toggle_draws_the_surface_and_paths_in_webgl_and_back(lab: CurvatureLab, artifacts) -> None:
    lab.open("#surface=rosenbrock")
    paths = lab.roles().count("path")
    lab.page.click("#toggle-3d")
    lab.wait_for_role("surface3d", "surface3d")
    expect(lab.page.locator("#surface3d canvas").first).to_be_attached()
    expect(lab.page.locator("#contour")).to_be_hidden()
    expect(lab.page.locator("#toggle-field")).to_be_disabled()
    assert lab.roles("surface3d").count("path3d") == paths
    expect(lab.page.locator("#view-caption")).to_contain_text("log₁₀")
    lab.page.wait_for_timeout(300)
    lab.page.locator(".contour-card").screenshot(path=str(artifacts / "surface-3d.png"))

    lab.page.click("#toggle-3d")
    expect(lab.page.locator("#contour")).to_be_visible()
    expect(lab.page.locator("#surface3d")).to_be_hidden()
    assert lab.roles().count("path") == paths  # the contour kept everything
    assert lab.page.locator("#surface3d canvas").count() == 0  # its WebGL context handed back


def test_an_adaptive_run_shows_its_step_sizes_per_coordinate(lab: CurvatureLab, artifacts) -> None:
    runs = "sgd(learning_rate:0.01)~adagrad(learning_rate:0.5)~adam(learning_rate:0.05)"
    lab.open(f"#surface=quadratic&params=kappa:30,theta:0&steps=200&runs={runs}")
    card = lab.page.locator(".step-size-card")
    expect(card.locator("select")).to_have_value("1")  # the first adaptive run
    assert set(lab.roles("step-size-chart")) == {"step-x", "step-y"}
    traces = {role: lab.page.evaluate(LINES_JS, ["step-size-chart", role])[1] for role in ("step-x", "step-y")}
    assert len(traces["step-x"]) == len(traces["step-y"]) == 200
    # AdaGrad on diag(1, 30): the steep y coordinate's step shrinks below x's, and both only shrink.
    assert traces["step-y"][-1] < traces["step-x"][-1]
    assert all(b <= a * (1 + 1e-6) for a, b in zip(traces["step-x"], traces["step-x"][1:], strict=False))
    expect(card.locator(".steps-caption")).to_contain_text("ε/(δ+√r)")
    card.screenshot(path=str(artifacts / "step-sizes.png"))
    lab.page.select_option(".step-size-card select", "2")
    expect(card.locator(".steps-caption")).to_contain_text("Adam")
    expect(lab.page.locator("#step-size")).to_have_attribute("data-run", "2")

    lab.open("#surface=quadratic&runs=sgd(learning_rate:0.01)~momentum(learning_rate:0.01,momentum:0.9)")
    expect(card.locator(".steps-none")).to_be_visible()
    expect(lab.page.locator("#step-size-chart")).to_be_hidden()


def test_a_scheduled_run_previews_its_rates(lab: CurvatureLab, artifacts) -> None:
    runs = "sgd(learning_rate:0.001)!s.exponential(decay_rate:0.1,decay_steps:100)~adam(learning_rate:0.05)"
    lab.open(f"#surface=rosenbrock&steps=300&runs={runs}")
    previews = lab.page.locator(".run-card .rate-preview")
    expect(previews).to_have_count(1)
    preview = lab.page.locator(".run-card[data-run='0'] .rate-preview")
    expect(preview).to_have_attribute("data-points", "300")
    assert float(preview.get_attribute("data-first")) == pytest.approx(0.001, rel=1e-6)
    assert float(preview.get_attribute("data-last")) == pytest.approx(0.001 * 0.1 ** (299 / 100), rel=1e-4)
    expect(preview.locator(".rate-caption")).to_contain_text("300 steps")
    lab.page.locator(".run-card[data-run='0']").screenshot(path=str(artifacts / "schedule-preview.png"))

    # A slower decay: the preview follows the run's new rates.
    before = float(preview.get_attribute("data-last"))
    slider = lab.page.locator(".run-card[data-run='0'] input[data-param=schedule-decay_steps]")
    slider.focus()
    for _ in range(20):
        lab.page.keyboard.press("ArrowRight")
    lab.page.wait_for_function(PREVIEW_LAST_JS, arg=before, timeout=10_000)
