"""Typed surfaces and theory beside measurement in headless Chromium: a custom f(x, y) redraws the map and
runs the paths (grid, live session, curvature and sweeps all send the expression and domain); a bad
expression shows the server's message with its caret under the character, marks it in the box and changes
nothing else; the link carries the expression and domain; on the quadratic the theory panel shows the
predicted and measured rates of a momentum run within 2 %, and "Use the optimum" moves the run's sliders;
momentum's terminal-velocity readout follows its slider; screenshots in English and Chinese."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from urllib.parse import unquote

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import WatchedPage, no_errors_after

pytestmark = pytest.mark.browser

READY_JS = """() => document.querySelectorAll('.run-card[data-status=pending]').length === 0
    && (document.getElementById('contour').data || []).some(t => t.meta && t.meta.role === 'path')"""
SURFACE_JS = """() => { const t = document.getElementById('contour').data
    .find(t => t.meta && t.meta.role === 'surface');
    return {x: Array.from(t.x), y: Array.from(t.y), z: t.z.map(r => Array.from(r))}; }"""
PATHS_JS = """() => (document.getElementById('contour').data || []).filter(t => t.meta && t.meta.role === 'path')
    .map(t => [Array.from(t.x), Array.from(t.y)])"""
ROLES_JS = """(id) => (document.getElementById(id).data || []).map(t => t.meta && t.meta.role)"""
# The x pixel of character `col` on line `line` of the message's excerpt (a Range over the <pre>'s text).
CHAR_X_JS = """([line, col]) => { const pre = document.querySelector('.expr-excerpt');
    const text = pre.firstChild.textContent; const lines = text.split('\\n');
    let offset = 0; for (let k = 0; k < line; k++) offset += lines[k].length + 1;
    const range = document.createRange(); range.setStart(pre.firstChild, offset + col);
    range.setEnd(pre.firstChild, offset + col + 1); return range.getBoundingClientRect().left; }"""

PARABOLOID = "x^2 + 3*y^2"
HIMMELBLAU = "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"
HIMMELBLAU_MINIMA = [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]
QUADRATIC_RUNS = (
    "#surface=quadratic&runs=sgd(learning_rate:0.05)~momentum(learning_rate:0.01,momentum:0.9)"
    "~nesterov(learning_rate:0.01,momentum:0.9)!s.power(k:100,c:1)~adam(learning_rate:0.05)"
)


class CustomLab(WatchedPage):
    """The surface lab, recording what it sends: REST bodies by endpoint, and the live session's messages."""

    def __init__(self, page: Page, base: str) -> None:
        super().__init__(page, base)
        self.bodies: dict[str, list[dict]] = {}
        self.sent: list[dict] = []
        page.on("request", self.record_request)
        page.on("websocket", lambda ws: ws.on("framesent", self.record_frame))

    def record_request(self, request) -> None:
        if request.method == "POST" and "/api/v1/" in request.url:
            self.bodies.setdefault(request.url.rsplit("/", 1)[-1], []).append(request.post_data_json)

    def record_frame(self, payload) -> None:
        if isinstance(payload, str):
            message = json.loads(payload)
            if message.get("type") in ("start", "update"):
                self.sent.append(message)

    def open(self, hash_: str = "") -> CustomLab:
        self.page.goto(f"{self.base}/{hash_}")
        self.page.wait_for_function(READY_JS, timeout=30_000)
        return self

    def ready(self) -> None:
        """Until no run is pending (a custom surface's first runs compile its loops once: seconds)."""
        self.page.wait_for_function(READY_JS, timeout=90_000)

    def surface(self) -> dict:
        return self.page.evaluate(SURFACE_JS)

    def paths(self) -> list:
        return self.page.evaluate(PATHS_JS)

    def state(self) -> dict:
        return self.page.evaluate("() => window.surfaceLab.state")

    def type_expression(self, text: str) -> None:
        self.page.locator("textarea[data-field=expression]").fill(text)

    def choose_custom(self) -> None:
        self.page.select_option("select[data-field=surface]", "custom")
        self.page.wait_for_function("() => window.surfaceLab.state.surface === 'custom'")
        self.ready()

    def wait_for_expression(self, text: str) -> None:
        """Until the map shows `text` (the grid in, the state and the runs following it)."""
        self.page.wait_for_function(
            "text => window.surfaceLab.state.expr === text && window.surfaceLab.grid"
            " && window.surfaceLab.wantedGrid === JSON.stringify(window.surfaceLab.surfaceSpec())",
            arg=text,
            timeout=15_000,
        )
        self.ready()


@pytest.fixture
def lab(page: Page, server_url: str) -> Iterator[CustomLab]:
    yield from no_errors_after(CustomLab(page, server_url))


def is_custom(surface: dict, expression: str) -> bool:
    return surface.get("name") == "custom" and surface.get("expression") == expression and "domain" in surface


def test_a_typed_expression_redraws_the_map_and_runs_the_paths(lab: CustomLab) -> None:
    lab.open("#surface=quadratic")
    before = lab.surface()
    lab.choose_custom()
    editor = lab.page.locator("textarea[data-field=expression]")
    expect(editor).to_have_value("(1 - x)^2 + 100*(y - x^2)^2")  # the catalog's default: Rosenbrock typed in
    expect(lab.page.locator(".expr-hint")).to_contain_text("sin cos tan exp log sqrt abs tanh sinh cosh")
    rosenbrock = lab.surface()
    assert rosenbrock["z"] != before["z"]
    paths = lab.paths()

    lab.type_expression(PARABOLOID)
    lab.wait_for_expression(PARABOLOID)
    lab.page.wait_for_function(f"before => JSON.stringify(({PATHS_JS})()) !== JSON.stringify(before)", arg=paths)
    grid = lab.surface()
    j = min(range(len(grid["x"])), key=lambda k: abs(grid["x"][k] - 1.0))
    i = min(range(len(grid["y"])), key=lambda k: abs(grid["y"][k] - 0.5))
    x, y = grid["x"][j], grid["y"][i]
    # the paraboloid is drawn with log levels: log10(f − min + 1e-3), min 0 at the origin's nearest node
    value = 10 ** grid["z"][i][j]
    assert abs(value - (x * x + 3 * y * y)) < 0.01 * (x * x + 3 * y * y) + 2e-3
    # every run heads into the paraboloid's one minimum at the origin
    for px, py in lab.paths():
        assert math.hypot(px[-1], py[-1]) < 0.5 * math.hypot(px[0], py[0])
    expect(lab.page.locator("#about .custom-formula")).to_have_text(f"f(x, y) = {PARABOLOID}")

    # the live session, the grid and the curvature panel all sent the expression and its domain
    assert any(is_custom(m.get("surface", {}), PARABOLOID) for m in lab.sent if m["type"] == "update")
    assert any(is_custom(b["surface"], PARABOLOID) for b in lab.bodies["surface-grid"])
    lab.page.wait_for_function(
        "text => { const s = window.surfaceLab.curvature.shown; return s && s.body.surface.expression === text; }",
        arg=PARABOLOID,
    )
    assert any(is_custom(b["surface"], PARABOLOID) for b in lab.bodies["surface-point"])


def test_a_new_domain_redraws_the_map_over_it_and_a_basin_map_finds_where_starts_end(lab: CustomLab, artifacts) -> None:
    lab.open("#surface=custom&expr=x%5E2&domain=-2,2,-2,2")
    low = lab.page.locator("input[data-field=domain-x-low]")
    low.fill("3")  # above its "to": said at once, nothing asked
    expect(lab.page.locator(".domain-message")).to_have_text("Give numbers, each range from < to, within ±10000.")
    expect(low).to_have_attribute("aria-invalid", "true")
    assert lab.state()["domain"] == [[-2, 2], [-2, 2]]
    lab.type_expression(HIMMELBLAU)
    for key, value in (("x-low", "-5"), ("x-high", "5"), ("y-low", "-5"), ("y-high", "5")):
        lab.page.locator(f"input[data-field=domain-{key}]").fill(value)
    lab.wait_for_expression(HIMMELBLAU)
    lab.page.wait_for_function("() => window.surfaceLab.state.domain[0][1] === 5")
    lab.ready()
    grid = lab.surface()
    assert grid["x"][0] == -5 and grid["x"][-1] == 5 and grid["y"][0] == -5
    full = lab.page.evaluate("() => document.getElementById('contour')._fullLayout.xaxis.range")
    assert full[0] <= -4.9 and full[1] >= 4.9

    lab.page.click("#sweep-card > summary")
    lab.page.select_option("#sweep select[data-field=sweep-grid]", "32")
    lab.page.click(".sweep-toggle button[data-value=basin]")
    lab.page.click(".sweep-button")
    lab.page.wait_for_function("() => window.surfaceLab.sweeps.results.basin", timeout=60_000)
    body = lab.bodies["sweep"][-1]
    assert is_custom(body["surface"], HIMMELBLAU) and body["surface"]["domain"] == [[-5, 5], [-5, 5]]
    # Himmelblau typed in: its four minima are where the starts end, found from the sweep itself
    stars = lab.page.evaluate(
        "() => document.getElementById('sweep-chart').data.find(t => t.meta && t.meta.role === 'minima')"
    )
    ends = list(zip(stars["x"], stars["y"], strict=True))
    assert len(ends) == 4
    for mx, my in HIMMELBLAU_MINIMA:
        assert min(math.hypot(x - mx, y - my) for x, y in ends) < 0.15
    expect(lab.page.locator(".sweep-caption")).to_contain_text("the places most starts reach")
    lab.page.locator(".main-column").screenshot(path=str(artifacts / "custom-himmelblau-basins.png"))


def test_a_bad_expression_shows_the_caret_under_its_character_and_changes_nothing(lab: CustomLab, artifacts) -> None:
    lab.open("#surface=custom&expr=x%5E2%20+%203*y%5E2&domain=-2,2,-2,2")
    before = lab.surface()
    paths = lab.paths()
    hash_before = lab.page.evaluate("location.hash")
    updates = len(lab.sent)

    lab.type_expression("x^2 + 3 y")
    message = lab.page.locator(".expr-message")
    expect(message).to_be_visible(timeout=10_000)
    expect(lab.page.locator(".expr-reason")).to_have_text("missing operator before 'y' at character 9:")
    excerpt = lab.page.locator(".expr-excerpt").text_content()
    line, caret = excerpt.split("\n")
    column = caret.index("^")
    assert line[column] == "y" and caret.strip() == "^"
    # monospace and unwrapped: the caret sits under the character on screen too
    assert abs(lab.page.evaluate(CHAR_X_JS, [0, column]) - lab.page.evaluate(CHAR_X_JS, [1, column])) < 0.5
    # the character is marked in the box itself
    expect(lab.page.locator(".expr-backdrop mark")).to_have_text("y")
    assert lab.page.locator(".custom-surface").get_attribute("data-marked") == "8,9"
    expect(lab.page.locator("textarea[data-field=expression]")).to_have_attribute("aria-invalid", "true")
    lab.page.locator(".sidebar .panel").first.screenshot(path=str(artifacts / "custom-bad-expression.png"))

    # nothing else changed: the map, the paths, the state, the link, and the session was not asked
    lab.page.wait_for_timeout(400)
    assert lab.surface() == before
    assert lab.paths() == paths
    assert lab.state()["expr"] == "x^2 + 3*y^2"
    assert lab.page.evaluate("location.hash") == hash_before
    assert len(lab.sent) == updates

    # an unfinished expression is marked after its last character
    lab.type_expression("sin(x")
    expect(lab.page.locator(".expr-reason")).not_to_have_text("missing operator before 'y' at character 9:")
    expect(lab.page.locator(".expr-backdrop mark")).to_have_count(1)

    # fixed: the message goes, the new surface is drawn
    lab.type_expression("x^2 + 3*y")
    lab.wait_for_expression("x^2 + 3*y")
    expect(message).to_be_hidden()
    expect(lab.page.locator(".expr-backdrop mark")).to_have_count(0)
    assert lab.surface()["z"] != before["z"]
    lab.errors[:] = [e for e in lab.errors if "status of 422" not in e]  # the refusals, as asked


def test_a_start_where_the_expression_is_undefined_moves_to_where_it_is_defined(lab: CustomLab) -> None:
    lab.open("#surface=custom&expr=x%5E2%20+%20y%5E2&domain=-2,2,-2,2&start=-1.2,1.2")
    lab.type_expression("log(x) + y^2")  # undefined for x ≤ 0, where the start is
    lab.wait_for_expression("log(x) + y^2")
    start = lab.state()["start"]
    assert start[0] > 0
    grid = lab.surface()
    assert any(v is None for v in grid["z"][60])  # the map leaves the left half blank
    assert lab.page.locator(".banner-error").count() == 0


def test_the_link_carries_the_expression_and_domain(lab: CustomLab, page: Page) -> None:
    lab.open("#surface=rosenbrock")
    lab.choose_custom()
    expression = "sin(x) * cos(y) + (x^2 + y^2)/10"
    lab.type_expression(expression)
    lab.page.locator("input[data-field=domain-y-high]").fill("4")
    lab.page.wait_for_function("() => window.surfaceLab.state.domain[1][1] === 4", timeout=15_000)
    lab.wait_for_expression(expression)
    lab.page.wait_for_function("() => location.hash.includes('domain=-2,2,-2,4')")
    link = lab.page.evaluate("location.hash")
    assert "surface=custom" in link and unquote(link.split("expr=")[1].split("&")[0]) == expression
    grid = lab.surface()

    other = page.context.new_page()
    fresh = CustomLab(other, lab.base)
    fresh.open(link)
    expect(other.locator("textarea[data-field=expression]")).to_have_value(expression)
    expect(other.locator("input[data-field=domain-y-high]")).to_have_value("4")
    assert other.evaluate("() => document.querySelector('select[data-field=surface]').value") == "custom"
    assert fresh.surface() == grid
    assert any(is_custom(m["spec"]["surface"], expression) for m in fresh.sent if m["type"] == "start")
    assert fresh.errors == []
    other.close()


def test_theory_beside_measurement_on_the_quadratic(lab: CustomLab, artifacts) -> None:
    lab.open(QUADRATIC_RUNS)
    card = lab.page.locator(".theory-card")
    expect(card).to_be_visible()
    expect(card.locator(".theory-kappa")).to_have_text("κ = 10 (eigenvalues 1 and 10)")
    entries = card.locator(".theory-run")
    expect(entries).to_have_count(3)  # SGD, momentum, Nesterov; not Adam

    momentum = card.locator(".theory-run[data-run='1']")
    predicted = float(momentum.get_attribute("data-predicted"))
    measured = float(momentum.get_attribute("data-measured"))
    assert abs(measured - predicted) / predicted < 0.02
    shown = [float(t) for t in momentum.locator(".theory-value").all_text_contents()]
    assert shown == [round(predicted, 4), round(measured, 4)]
    expect(momentum.locator(".theory-sub").first).to_have_text("steps 250–500")
    expect(momentum.locator(".optimum")).to_contain_text("ε* = 0.231")
    expect(momentum.locator(".optimum")).to_contain_text("α* = 0.27")
    expect(momentum.locator(".optimum")).to_contain_text("ρ* = 0.5195")
    # the scheduled Nesterov run: theory describes it without its schedule, and says so
    expect(card.locator(".theory-run[data-run='2'] .theory-note")).to_contain_text("this run has a schedule")
    assert card.locator(".theory-run[data-run='2']").get_attribute("data-applies") == "false"
    # the predicted decay, dashed on the loss chart, for the runs theory describes
    assert lab.page.evaluate(ROLES_JS, "loss").count("predicted") == 2
    card.screenshot(path=str(artifacts / "theory-panel.png"))

    # "Use the optimum": the run's sliders move to ε* and α*, and its new rate is the optimal one
    momentum.locator(".theory-use").click()
    lab.page.wait_for_function(
        "() => Math.abs(window.surfaceLab.state.runs[1].hyperparameters.momentum - 0.269874) < 1e-6", timeout=10_000
    )
    run = lab.state()["runs"][1]
    assert run["hyperparameters"] == {"learning_rate": 0.230886, "momentum": 0.269874}
    values = lab.page.locator(".run-card[data-run='1'] .slider-value").all_text_contents()
    assert values == ["0.231", "0.27"]
    lab.page.wait_for_function(
        "() => Math.abs(Number(document.querySelector(\".theory-run[data-run='1']\").dataset.predicted) - 0.5195)"
        " < 1e-3",
        timeout=15_000,
    )
    expect(momentum.locator(".theory-use")).to_be_disabled()
    lab.ready()

    # another surface: no theory panel
    lab.page.select_option("select[data-field=surface]", "rosenbrock")
    expect(card).to_be_hidden()


def test_the_terminal_velocity_follows_the_momentum_slider(lab: CustomLab) -> None:
    lab.open("#surface=rosenbrock&runs=sgd(learning_rate:0.001)~momentum(learning_rate:0.001,momentum:0.9)")
    assert lab.page.locator(".run-card[data-run='0'] .terminal-velocity").count() == 0
    readout = lab.page.locator(".run-card[data-run='1'] .terminal-velocity")
    expect(readout.locator(".tv-value")).to_have_text("= 10×")
    expect(readout.locator("math")).to_have_count(1)
    expect(readout.locator(".tv-caption")).to_have_text("on a steady slope the step grows to 10 × ε‖∇f‖")
    slider = lab.page.locator(".run-card[data-run='1'] input[data-param=momentum]")
    for value, shown in (("0.99", "= 100×"), ("0.5", "= 2×"), ("0", "= 1×")):
        slider.evaluate(
            "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }",
            value,
        )
        expect(readout.locator(".tv-value")).to_have_text(shown)
    # Nesterov and RMSProp + Nesterov have one too; the language follows
    lab.page.select_option(".run-card[data-run='0'] select[data-field=optimizer]", "nesterov")
    expect(lab.page.locator(".run-card[data-run='0'] .terminal-velocity .tv-value")).to_have_text("= 10×")
    lab.page.select_option(".run-card[data-run='0'] select[data-field=optimizer]", "rmsprop_nesterov")
    expect(lab.page.locator(".run-card[data-run='0'] .terminal-velocity")).to_have_count(1)
    lab.page.locator('button[data-lang="zh"]').click()
    expect(readout.locator(".tv-name")).to_have_text("终端速度")
    expect(readout.locator(".tv-caption")).to_have_text("在坡度不变处，步长增长到 ε‖∇f‖ 的 1 倍")
    lab.ready()


@pytest.mark.parametrize("size", [(1440, 900), (1280, 720)])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_screenshots(lab: CustomLab, artifacts, size: tuple[int, int], lang: str) -> None:
    width, height = size
    lab.page.set_viewport_size({"width": width, "height": height})
    lab.open(f"{QUADRATIC_RUNS}&lang={lang}")
    title = {"en": "Theory vs measurement", "zh": "理论与实测"}[lang]
    expect(lab.page.locator(".theory-card .chart-title")).to_have_text(title)
    lab.page.locator(".theory-card").scroll_into_view_if_needed()
    lab.page.screenshot(path=str(artifacts / f"theory-{lang}-{width}x{height}.png"))
    lab.page.screenshot(path=str(artifacts / f"theory-{lang}-{width}-full.png"), full_page=True)

    lab.page.evaluate("() => window.scrollTo(0, 0)")
    lab.choose_custom()
    lab.type_expression("x^2 + 3 y")
    expect(lab.page.locator(".expr-message")).to_be_visible(timeout=10_000)
    hint = {"en": "Allowed: numbers", "zh": "可用：数字"}[lang]
    expect(lab.page.locator(".expr-hint")).to_contain_text(hint)
    lab.page.screenshot(path=str(artifacts / f"custom-{lang}-{width}x{height}.png"))
    lab.errors[:] = [e for e in lab.errors if "status of 422" not in e]
