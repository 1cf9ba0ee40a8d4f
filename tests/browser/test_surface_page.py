"""The surface lab in headless Chromium: drawing, sliders, start picking, playback, language, links."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from engine.optimizers import OPTIMIZERS
from tests.browser.pages import WatchedPage, no_errors_after

pytestmark = pytest.mark.browser

PATHS_JS = """() => (document.getElementById('contour').data || [])
    .filter(t => t.meta && t.meta.role === 'path')
    .map(t => [Array.from(t.x), Array.from(t.y)])"""
CURSOR_JS = "() => window.surfaceLab.state.cursor"
PENDING_JS = "() => document.querySelectorAll('.run-card[data-status=pending]').length === 0"


class Lab(WatchedPage):
    """The surface lab page: open it, read its paths and cursor, move its sliders."""

    def open(self, hash_: str = "") -> Lab:
        self.page.goto(f"{self.base}/{hash_}")
        self.page.wait_for_function(f"() => ({PATHS_JS})().length >= 1", timeout=30_000)
        self.page.wait_for_function(PENDING_JS)
        return self

    def paths(self) -> list[list[list[float]]]:
        return self.page.evaluate(PATHS_JS)

    def cursor(self) -> int:
        return self.page.evaluate(CURSOR_JS)

    def set_slider(self, selector: str, delta: float) -> None:
        self.page.locator(selector).evaluate(
            """(el, delta) => {
                el.value = String(Number(el.value) + delta);
                el.dispatchEvent(new Event('input', {bubbles: true}));
            }""",
            delta,
        )

    def wait_paths_change(self, before) -> list:
        self.page.wait_for_function(f"before => JSON.stringify(({PATHS_JS})()) !== JSON.stringify(before)", arg=before)
        return self.paths()


@pytest.fixture
def lab(page: Page, server_url: str) -> Iterator[Lab]:
    yield from no_errors_after(Lab(page, server_url))


def test_page_draws_contour_paths_and_loss_without_errors(lab: Lab, artifacts) -> None:
    lab.open()
    roles = lab.page.evaluate("() => document.getElementById('contour').data.map(t => t.meta && t.meta.role)")
    assert roles.count("surface") == 1
    assert roles.count("path") == 3
    assert "start" in roles and "minima" in roles
    assert lab.page.evaluate("() => document.getElementById('loss').data.length") == 3
    expect(lab.page.locator(".run-card")).to_have_count(3)
    expect(lab.page.locator(".run-card").first.locator(".run-status")).to_contain_text("final loss")
    expect(lab.page.locator(".run-card math").first).to_be_visible()
    for x, y in lab.paths():
        assert len(x) == len(y) == 501
        assert (x[0], y[0]) == pytest.approx((-1.5, 2.0))
    # the gradient-norm chart follows the same runs, one 501-point series each
    lengths = lab.page.evaluate("document.getElementById('grad').data.map((trace) => trace.y.length)")
    assert lengths == [501, 501, 501]
    # what a teacher would put on the projector, wide and narrow
    lab.page.wait_for_timeout(200)
    lab.page.screenshot(path=str(artifacts / "surface.png"), full_page=True)
    lab.page.set_viewport_size({"width": 1024, "height": 768})
    lab.page.wait_for_timeout(400)
    lab.page.screenshot(path=str(artifacts / "surface-1024.png"), full_page=True)
    assert (artifacts / "surface.png").stat().st_size > 20_000


def test_a_wide_surface_gets_the_whole_row_for_its_map(lab: Lab, artifacts) -> None:
    def map_share() -> float:
        widths = lab.page.evaluate(
            "() => [document.querySelector('.contour-card'), document.querySelector('.charts')]"
            ".map((el) => el.getBoundingClientRect().width)"
        )
        return widths[0] / widths[1]

    def plot_fits_its_card(surface: str, xmax: float) -> dict:
        """Wait until the map shows ``surface`` drawn to its card's width; its plot area's size."""
        lab.page.wait_for_function(
            """([xmax]) => {
                const div = document.getElementById('contour');
                const full = div._fullLayout;
                return full && full.xaxis.range[1] === xmax && Math.abs(full.width - div.clientWidth) <= 2;
            }""",
            arg=[xmax],
        )
        return lab.page.evaluate("() => document.getElementById('contour')._fullLayout._size")

    select = lab.page.locator("#surface-panel select").first
    lab.open("#surface=rosenbrock")
    assert map_share() < 0.6
    select.select_option("cliff")
    lab.page.wait_for_function("() => document.querySelector('.charts').classList.contains('wide-map')")
    size = plot_fits_its_card("cliff", 6)
    assert map_share() > 0.95
    # at equal x/y scales the 10 × 4 domain is 2.5 times as wide as tall: the map is ~370 px tall, not ~230
    assert size["h"] > 330 and size["w"] > 2.3 * size["h"]
    lab.page.screenshot(path=str(artifacts / "surface-cliff.png"), full_page=True)
    select.select_option("himmelblau")
    lab.page.wait_for_function("() => !document.querySelector('.charts').classList.contains('wide-map')")
    size = plot_fits_its_card("himmelblau", 5)
    assert map_share() < 0.6
    assert size["w"] == pytest.approx(size["h"], rel=0.05)  # square domain, square map, inside its card
    # the step charts follow their cards too
    widths = lab.page.evaluate(
        "() => ['loss', 'grad'].map((id) => [document.getElementById(id)._fullLayout.width,"
        " document.getElementById(id).clientWidth])"
    )
    for drawn, card in widths:
        assert abs(drawn - card) <= 2


def test_learning_rate_slider_redraws_path_while_dragging(lab: Lab) -> None:
    lab.open()
    before = lab.paths()
    lab.set_slider('.run-card[data-run="0"] input[data-param="learning_rate"]', 0.3)
    after = lab.wait_paths_change(before)
    assert after[0] != before[0]
    assert after[1] == before[1]  # only run 0 changed
    value = lab.page.locator('.run-card[data-run="0"] .field-slider output').first.inner_text()
    assert value == "0.002"
    # the hash is written after a short debounce
    lab.page.wait_for_function("location.hash.includes('sgd(learning_rate:0.002)')", timeout=5000)


def test_clicking_the_map_moves_the_start(lab: Lab) -> None:
    lab.open()
    before = lab.paths()
    target = (0.5, -0.5)
    box = lab.page.evaluate(
        """([x, y]) => {
            const gd = document.getElementById('contour');
            const r = gd.getBoundingClientRect(), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            return [r.left + xa._offset + xa.d2p(x), r.top + ya._offset + ya.d2p(y)];
        }""",
        list(target),
    )
    lab.page.mouse.click(*box)
    after = lab.wait_paths_change(before)
    first = [(x[0], y[0]) for x, y in after]
    for point in first:
        assert point == pytest.approx(target, abs=0.02)
    expect(lab.page.locator(".start-value")).to_contain_text("0.50")


def test_play_advances_the_cursor_and_pause_stops_it(lab: Lab) -> None:
    lab.open()
    assert lab.cursor() == 0
    lab.page.get_by_role("button", name="Play").click()
    lab.page.wait_for_function(f"() => ({CURSOR_JS})() > 20")
    lab.page.get_by_role("button", name="Pause").click()
    lab.page.wait_for_function("() => !window.surfaceLab.player.playing")
    time.sleep(0.25)  # frames already in flight land
    stopped = lab.cursor()
    time.sleep(0.4)
    assert lab.cursor() == stopped
    assert 0 < stopped < 500
    expect(lab.page.locator(".cursor-readout")).to_have_text(f"step {stopped} / 500")
    # the keyboard steps the server's timeline too
    lab.page.locator("body").click(position={"x": 5, "y": 880})
    lab.page.keyboard.press("ArrowRight")
    lab.page.wait_for_function(f"() => ({CURSOR_JS})() === {stopped + 1}")
    lab.page.keyboard.press("ArrowLeft")
    lab.page.wait_for_function(f"() => ({CURSOR_JS})() === {stopped}")


def test_stepping_while_playing_pauses_and_space_on_a_focused_button_only_plays(lab: Lab) -> None:
    lab.open()
    page = lab.page
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(f"() => ({CURSOR_JS})() > 10")
    step_forward = page.get_by_role("button", name="Step forward")
    step_forward.click()
    expect(page.locator("button.play")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("button.play")).to_have_text("Play")
    time.sleep(0.3)  # ticks already in flight land
    stopped = lab.cursor()
    time.sleep(0.3)
    assert lab.cursor() == stopped  # paused for real, not only on the button
    # the step button keeps the focus: Space plays (once), it does not press that button again
    page.keyboard.press("Space")
    page.wait_for_function(f"() => ({CURSOR_JS})() > {stopped + 5}")
    expect(page.locator("button.play")).to_have_text("Pause")
    page.keyboard.press("Space")
    expect(page.locator("button.play")).to_have_text("Play")
    # one press of Play resumes after a seek made while playing
    page.locator("button.play").click()
    expect(page.locator("button.play")).to_have_text("Pause")
    lab.set_slider(".scrub", -3)
    expect(page.locator("button.play")).to_have_text("Play")
    time.sleep(0.3)
    before = lab.cursor()
    page.locator("button.play").click()
    page.wait_for_function(f"() => ({CURSOR_JS})() > {before + 5}")
    # Space on the focused play button toggles once (not once for the key and once for the button)
    page.keyboard.press("Space")
    expect(page.locator("button.play")).to_have_text("Play")
    time.sleep(0.4)
    expect(page.locator("button.play")).to_have_text("Play")


def test_language_toggle_switches_to_chinese(lab: Lab) -> None:
    lab.open()
    lab.page.locator('button[data-lang="zh"]').click()
    expect(lab.page.locator("h1")).to_have_text("优化器在损失曲面上赛跑")
    expect(lab.page.locator("#add-run")).to_contain_text("添加运行")
    expect(lab.page.locator(".run-card").first.locator(".run-status")).to_contain_text("最终损失")
    expect(lab.page.locator(".player .play")).to_contain_text("播放")
    assert lab.page.evaluate("document.documentElement.lang") == "zh-Hans"
    lab.page.wait_for_function("() => location.hash.includes('lang=zh')")
    expect(lab.page.locator("#legend")).to_contain_text("最终损失")
    # what a screen reader says: the rule names the optimizer in Chinese, the scrub bar reads in Chinese
    expect(lab.page.locator('.run-card[data-run="1"] .rule')).to_have_attribute("aria-label", "动量法 的更新规则")
    expect(lab.page.locator(".scrub")).to_have_attribute("aria-valuetext", "第 0 / 500 步")
    lab.page.locator('button[data-lang="en"]').click()
    expect(lab.page.locator('.run-card[data-run="1"] .rule')).to_have_attribute("aria-label", "Update rule of Momentum")
    expect(lab.page.locator("h1")).to_have_text("Optimizers racing on a loss surface")


def test_url_hash_round_trips_the_view(lab: Lab) -> None:
    hash_ = (
        "#surface=quadratic&params=kappa:30,theta:0.5&start=1.2,-1&steps=200&sigma=0.1&seed=7"
        "&runs=adam(learning_rate:0.1)~nesterov(learning_rate:0.01,momentum:0.8)~rmsprop(learning_rate:0.01)!c.norm(2)"
        "&speed=50&lang=en"
    )
    lab.open(hash_)
    page = lab.page
    expect(page.locator("#surface-panel select").first).to_have_value("quadratic")
    expect(page.locator(".run-card")).to_have_count(3)
    optimizers = page.locator(".run-card .field-optimizer select").evaluate_all("els => els.map(e => e.value)")
    assert optimizers == ["adam", "nesterov", "rmsprop"]
    expect(page.locator('.run-card[data-run="2"] select[data-field="clip"]')).to_have_value("norm")
    expect(page.locator('input[data-param="surface-kappa"] + output, output[for]').first).to_be_visible()
    paths = lab.paths()
    assert len(paths) == 3
    for x, y in paths:
        assert (x[0], y[0]) == pytest.approx((1.2, -1.0))
        assert len(x) <= 201
    state = page.evaluate("() => window.surfaceLab.state")
    assert state["params"] == {"kappa": 30, "theta": 0.5}
    assert state["sigma"] == 0.1 and state["seed"] == 7 and state["speed"] == 50
    page.wait_for_function("() => location.hash.includes('surface=quadratic')")
    written = page.evaluate("location.hash")
    assert "nesterov(learning_rate:0.01,momentum:0.8)" in written and "!c.norm(2)" in written


def test_server_errors_show_a_banner(lab: Lab) -> None:
    lab.open()
    lab.page.evaluate("() => window.surfaceLab.session.send({type: 'update', steps: 0})")
    banner = lab.page.locator(".banner-error")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("steps")


def test_a_long_surface_formula_fits_its_box(lab: Lab) -> None:
    lab.open("#surface=beale")
    formula = lab.page.locator("#about .formula")
    expect(formula.locator("math")).to_be_visible()
    fit = formula.evaluate("(el) => [el.scrollWidth, el.clientWidth, parseFloat(getComputedStyle(el).fontSize)]")
    assert fit[0] <= fit[1] + 1  # all three squares in view, nothing to scroll
    assert fit[2] < 19.2  # smaller than the 1.2rem a short formula gets
    lab.page.locator("#surface-panel select").first.select_option("saddle")
    expect(formula.locator("math")).to_contain_text("y")
    assert formula.evaluate("(el) => getComputedStyle(el).fontSize") == "19.2px"


def test_a_piecewise_schedule_takes_over_the_learning_rate_slider(lab: Lab) -> None:
    lab.open()
    card = lab.page.locator('.run-card[data-run="0"]')
    rate = card.locator('input[data-param="learning_rate"]')
    card.locator("summary").click()
    card.locator('select[data-field="schedule"]').select_option("piecewise")
    expect(rate).to_be_disabled()
    expect(card.locator(".rate-note")).to_have_text("Set by the piecewise schedule's rates below.")
    card.locator('select[data-field="schedule"]').select_option("exponential")
    expect(rate).to_be_enabled()
    expect(card.locator(".rate-note")).to_be_hidden()


def test_runs_keep_their_colours_when_another_is_removed(lab: Lab) -> None:
    colours_js = """() => (document.getElementById('contour').data || [])
        .filter(t => t.meta && t.meta.role === 'path').map(t => t.line.color)"""
    lab.open()  # SGD, momentum, Adam
    page = lab.page
    blue, orange, green = page.evaluate(colours_js)
    assert len({blue, orange, green}) == 3
    page.locator('.run-card[data-run="1"] button.remove').click()
    page.wait_for_function(f"() => ({colours_js})().length === 2")
    assert page.evaluate(colours_js) == [blue, green]  # Adam stays green, on the map and on its card
    card_colour = "(el) => el.style.getPropertyValue('--run-color')"
    assert page.locator('.run-card[data-run="1"]').evaluate(card_colour) == green
    page.locator("#add-run").click()  # the new run takes the free colour
    page.wait_for_function(f"() => ({colours_js})().length === 3")
    assert page.evaluate(colours_js) == [blue, green, orange]


def test_once_every_optimizer_races_a_new_run_copies_the_last(lab: Lab) -> None:
    every = [o for o in OPTIMIZERS if o != "newton"]  # the catalog, Newton's method last
    n = len(every) + 1
    lab.open("#runs=" + "~".join(f"{o}(learning_rate:0.001)" for o in every) + "~newton(learning_rate:0.5)!c.norm(2)")
    expect(lab.page.locator(".run-card")).to_have_count(n)
    lab.page.locator("#add-run").click()
    expect(lab.page.locator(".run-card")).to_have_count(n + 1)
    runs = lab.page.evaluate("() => window.surfaceLab.state.runs")
    clip = {"mode": "norm", "threshold": 2}
    newton = {"optimizer": "newton", "hyperparameters": {"learning_rate": 0.5}, "schedule": None, "clip": clip}
    assert runs[n] == runs[n - 1] == newton


def test_switching_optimizer_keeps_the_comparable_hyperparameters(lab: Lab) -> None:
    lab.open("#runs=sgd(learning_rate:0.002)~adam(learning_rate:0.05,b1:0.8)")
    page = lab.page

    def run(index: int) -> dict:
        return page.evaluate(f"() => window.surfaceLab.state.runs[{index}]")

    def switch(index: int, optimizer: str) -> None:
        page.locator(f'.run-card[data-run="{index}"] .field-optimizer select').select_option(optimizer)

    switch(0, "momentum")  # same ε (both default to 0.01), α from momentum's default
    assert run(0)["hyperparameters"] == {"learning_rate": 0.002, "momentum": 0.9}
    expect(page.locator('.run-card[data-run="0"] .field-slider output').first).to_have_text("0.002")
    switch(0, "newton")  # Newton's ε is a multiplier (default 1): not SGD's scale
    assert run(0)["hyperparameters"] == {"learning_rate": 1}
    switch(1, "nadam")  # Adam → Nadam keeps ε, ρ₁, ρ₂ and δ
    assert run(1)["hyperparameters"] == {"learning_rate": 0.05, "b1": 0.8, "b2": 0.999, "eps": 1e-8}
    switch(1, "adagrad")
    assert run(1)["hyperparameters"] == {"learning_rate": 0.1, "eps": 1e-7}
    page.wait_for_function("() => location.hash.includes('runs=newton(learning_rate:1)~adagrad(')")


def test_protocol_and_state_modules_round_trip(lab: Lab) -> None:
    lab.page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    lab.page.goto(f"{lab.base}/api/v1/catalog")  # same origin, no charts: just the pure modules
    result = lab.page.evaluate(
        """async () => {
            const p = await import('/static/js/protocol.js');
            const s = await import('/static/js/state.js');
            const header = {type: 'paths', seq: 4, version: 2, fields: ['x', 'y', 'loss', 'grad_norm'],
                            runs: [{length: 2}, {length: 1}]};
            const frame = p.decodeMessage(p.encodeFrame(header, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
            const tick = p.decodeMessage(p.encodeFrame({type: 'tick', seq: 5, version: 2, from: 3, cursor: 4, runs: 1},
                                                       [1, 2, 3, 4, 5, 6]));
            const hash = 'surface=beale&start=1,1.5&steps=300&runs=sgd(learning_rate:0.01)!s.power(k:100,c:1)'
                       + '~adam(learning_rate:0.05)!s.piecewise(boundaries:100*200,values:0.1*0.01*0.001)&lang=zh';
            const parsed = s.parseHash('#' + hash).state;
            return {seq: frame.seq, x1: Array.from(frame.runs[1].x), loss0: Array.from(frame.runs[0].loss),
                    tickY: Array.from(tick.runs[0].y), again: s.serializeState(parsed), hash};
        }"""
    )
    assert result["seq"] == 4
    assert result["x1"] == [9]
    assert result["loss0"] == [3, 7]
    assert result["tickY"] == [2, 5]
    assert result["again"] == result["hash"]
