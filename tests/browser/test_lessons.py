"""Every lesson in headless Chromium: it opens from its link, asks before it shows, and its answer
quotes the numbers of the run on the page (recomputed here from the page's live result)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from app.services.lessons import Fact, Lesson, lessons
from tests.browser.pages import WatchedPage, no_errors_after

pytestmark = pytest.mark.browser

LAB_OBJECT = {"surface": "surfaceLab", "network": "networkLab", "init": "initLab"}

# The live result each lab holds, as plain lists (the same object facts.js reads).
RESULT_JS = {
    "surface": """() => window.surfaceLab.paths.runs.map(r => ({x: Array.from(r.x), y: Array.from(r.y),
        loss: Array.from(r.loss), status: r.status, diverged_at: r.diverged_at}))""",
    "network": """() => window.networkLab.histories.map(h => ({step: h.step, curves: h.curves,
        first_grad: Array.from(h.first.arrays.grad_abs_mean.data), dead: h.layers().dead}))""",
    "init": "() => window.initLab.result.layers",
}
READY_JS = {
    "surface": "() => !!window.surfaceLab.paths",
    "network": "() => window.networkLab.histories.length > 0 && !window.networkLab.awaitingSetup",
    "init": "() => !!window.initLab.result",
}
CONCEALED_JS = {
    "surface": """() => window.surfaceLab.concealed && (document.getElementById('contour').data || [])
        .every(t => !(t.meta && t.meta.role === 'path'))
        && [...document.querySelectorAll('.run-card')].every(c => c.dataset.status === 'pending')""",
    "network": """() => window.networkLab.concealed && window.networkLab.histories.every(h => h.step === 0)
        && getComputedStyle(document.querySelector('#lessons .lesson')).visibility === 'hidden'""",
    "init": "() => document.querySelector('.stage').classList.contains('lesson-concealed')",
}


def first_at(values, test) -> int | None:
    return next((i for i, v in enumerate(values) if test(v)), None)


def settled_at(loss: list[float], below: float) -> int | None:
    """The step from which every loss is at or below ``below``, or None."""
    k = len(loss)
    while k > 0 and loss[k - 1] <= below:
        k -= 1
    return k if k < len(loss) else None


def layer_of(layers: list, layer: int):
    return layers[layer - 1] if layer > 0 else layers[layer]


def surface_fact(runs: list[dict], f: Fact) -> float | None:
    run = runs[f.run]
    x, y, loss = run["x"], run["y"], run["loss"]
    jumps = [math.hypot(x[t] - x[t - 1], y[t] - y[t - 1]) for t in range(1, len(x))]
    return {
        "final_loss": lambda: loss[-1],
        "min_loss": lambda: min(loss),
        "steps_to_loss": lambda: None if run["status"] == "diverged" else settled_at(loss, f.below),
        "diverged_at": lambda: run["diverged_at"] if run["status"] == "diverged" else None,
        "final_x": lambda: x[-1],
        "final_y": lambda: y[-1],
        "max_jump": lambda: max(jumps),
        "jump_at": lambda: jumps[f.step - 1],
        "first_step_heading": lambda: math.degrees(math.atan2(y[1] - y[0], x[1] - x[0])),
        "tail_mean_loss": lambda: sum(loss[-f.last :]) / len(loss[-f.last :]),
        "loss_at": lambda: loss[f.step],
    }[f.kind]()


def network_fact(nets: list[dict], f: Fact) -> float | None:
    net = nets[f.run]
    c = net["curves"]
    half = c["train_loss"][len(c["train_loss"]) // 2 :]
    return {
        "step": lambda: net["step"],
        "train_loss": lambda: c["train_loss"][-1],
        "val_loss": lambda: c["val_loss"][-1],
        "train_accuracy": lambda: c["train_accuracy"][-1],
        "val_accuracy": lambda: c["val_accuracy"][-1],
        "overfit_gap": lambda: c["val_loss"][-1] - c["train_loss"][-1],
        "grad_ratio": lambda: net["first_grad"][-1] / net["first_grad"][0],
        "dead_max": lambda: max(net["dead"]),
        "accuracy_step": lambda: (
            c["step"][k] if (k := first_at(c["val_accuracy"], lambda v: v >= f.above)) is not None else None
        ),
        "loss_wiggle": lambda: sum(abs(b - a) for a, b in zip(half, half[1:], strict=False)) / (len(half) - 1),
    }[f.kind]()


def init_fact(layers: list[dict], f: Fact) -> float | None:
    row = layer_of(layers, f.layer)
    if f.kind == "saturated_share":
        edges, counts = row["histogram"]["edges"], row["histogram"]["counts"]
        beyond = sum(c for c, lo, hi in zip(counts, edges, edges[1:], strict=False) if lo >= f.above or hi <= -f.above)
        return beyond / sum(counts)
    return row["std" if f.kind == "std_at" else "mean"]


READERS = {"surface": surface_fact, "network": network_fact, "init": init_fact}


class LessonPage(WatchedPage):
    def open(self, lesson: Lesson, extra: str = "") -> LessonPage:
        self.page.goto(f"{self.base}{lesson.url}{extra}")
        expect(self.page.locator(".lesson-choice")).to_have_count(len(lesson.choices), timeout=30_000)
        self.page.wait_for_function(f"() => window.{LAB_OBJECT[lesson.lab]} !== undefined")
        return self

    def answer(self, lesson: Lesson, choice: str) -> None:
        self.page.click(f".lesson-choice[data-choice={choice}]")
        if lesson.lab == "surface":
            self.page.click(".lesson-finish")
        expect(self.page.locator(".lesson-answer")).to_be_visible(timeout=120_000)

    def settled(self, lesson: Lesson) -> tuple[object, dict[str, tuple[str, str]]]:
        """The result and the quoted facts once neither changes (a chunk in flight may land after a pause)."""
        before = None
        for _ in range(10):
            now = (self.page.evaluate(RESULT_JS[lesson.lab]), self.facts())
            if now == before:
                return now
            before = now
            self.page.wait_for_timeout(400)
        raise AssertionError("the lesson's result kept changing after its answer")

    def facts(self) -> dict[str, tuple[str, str]]:
        """Each quoted fact: (the number behind it, the text shown)."""
        return self.page.evaluate(
            "() => Object.fromEntries([...document.querySelectorAll('.lesson-explain .fact')]"
            ".map(b => [b.dataset.fact, [b.dataset.value, b.textContent]]))"
        )


@pytest.fixture
def lesson_page(page: Page, server_url: str) -> Iterator[LessonPage]:
    page.set_viewport_size({"width": 1280, "height": 720})
    yield from no_errors_after(LessonPage(page, server_url))


@pytest.mark.parametrize("lesson", lessons(), ids=lambda lesson: lesson.id)
def test_a_lesson_asks_first_then_answers_with_the_runs_numbers(lesson_page: LessonPage, lesson: Lesson) -> None:
    page = lesson_page.open(lesson).page
    expect(page.locator(".lesson-question")).to_have_text(lesson.question.en)
    page.wait_for_function(READY_JS[lesson.lab], timeout=60_000)
    assert page.evaluate(CONCEALED_JS[lesson.lab]), "the result shows before the question is answered"

    lesson_page.answer(lesson, lesson.correct)
    expect(page.locator(".lesson-verdict")).to_have_class(re.compile(r"\bright\b"))
    assert f"pick={lesson.correct}" in page.evaluate("() => new Promise(r => setTimeout(() => r(location.hash), 300))")

    result, shown = lesson_page.settled(lesson)
    assert set(shown) == set(lesson.facts)
    explain = page.locator(".lesson-explain").inner_text()
    for name, fact in lesson.facts.items():
        value, text = shown[name]
        assert text in explain
        expected = READERS[lesson.lab](result, fact)
        if expected is None:
            assert value == "null", (name, value)
        else:
            assert value != "null", (name, expected)
            assert math.isclose(float(value), expected, rel_tol=1e-5, abs_tol=1e-9), (name, value, expected)
