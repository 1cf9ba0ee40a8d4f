"""Follow the teacher in two Chromium pages: the teacher moves a slider, the follower's path changes."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

pytestmark = pytest.mark.browser

VIEW = "/#surface=quadratic&runs=sgd(learning_rate:0.01)~momentum(learning_rate:0.01,momentum:0.9)"
READY = "() => !!(window.surfaceLab && window.surfaceLab.paths)"
PATH_END = "(() => { const r = window.surfaceLab.paths.runs[0]; return [r.x[r.x.length - 1], r.y[r.y.length - 1]]; })()"


def test_a_follower_sees_the_teachers_slider_move_and_can_take_over(browser: Browser, server_url: str) -> None:
    errors: list[str] = []
    teacher = browser.new_page(viewport={"width": 1280, "height": 720})
    student = browser.new_page(viewport={"width": 1280, "height": 720})
    for page in (teacher, student):
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        teacher.goto(f"{server_url}{VIEW}")
        teacher.wait_for_function(READY, timeout=30_000)
        teacher.click("#follow-button")
        expect(teacher.locator("#follow-link")).to_have_value(re.compile(r"/\?follow=[\w-]+$"))
        url = teacher.locator("#follow-link").input_value()
        teacher.click("#follow-dialog .button.primary")

        student.goto(url)
        student.wait_for_function(READY, timeout=30_000)
        expect(student.locator(".follow-bar")).to_be_visible()
        assert student.evaluate("() => document.getElementById('sidebar').inert")
        expect(teacher.locator("#follow-button")).to_have_text("Live · 1 following", timeout=5_000)
        x0, y0 = student.evaluate(f"() => {PATH_END}")

        # The teacher moves run 1's learning-rate slider with the keyboard, as a user can.
        slider = teacher.locator(".run-card").first.locator("input[type=range]").first
        for _ in range(30):
            slider.press("ArrowRight")
        rate = teacher.evaluate("() => window.surfaceLab.state.runs[0].hyperparameters.learning_rate")
        assert rate > 0.01
        student.wait_for_function(
            f"() => window.surfaceLab.state.runs[0].hyperparameters.learning_rate === {rate}", timeout=5_000
        )
        student.wait_for_function(f"() => {{ const [x, y] = {PATH_END}; return x !== {x0} || y !== {y0}; }}")

        student.click("#take-over")
        assert student.evaluate("() => window.surfaceLab.readOnly") is False
        assert "follow=" not in student.url
    finally:
        teacher.close()
        student.close()
    assert errors == [], errors


def test_a_follower_whose_own_race_ran_first_switches_to_the_teachers_runs(browser: Browser, server_url: str) -> None:
    """The follower's page races its default runs (three, Adam third) before the teacher's view (two
    runs) arrives, and a frame of that old race comes in late: the panels follow the teacher's two runs
    and never look up a third run that is gone (CI once saw "reading 'optimizer'" of undefined here)."""
    errors: list[str] = []
    teacher = browser.new_page(viewport={"width": 1280, "height": 720})
    student = browser.new_page(viewport={"width": 1280, "height": 720})
    for page in (teacher, student):
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
    follow: dict = {"socket": None, "held": []}
    surface: dict = {"socket": None, "frames": []}

    def hold_views(ws) -> None:  # the teacher's views wait here until the student's own race is in
        follow["socket"] = ws
        ws.connect_to_server().on_message(lambda message: follow["held"].append(message))

    def keep_frames(ws) -> None:  # the surface session's frames pass through; binary ones are kept
        surface["socket"] = ws

        def forward(message) -> None:
            if isinstance(message, bytes):
                surface["frames"].append(message)
            ws.send(message)

        ws.connect_to_server().on_message(forward)

    try:
        teacher.goto(f"{server_url}{VIEW}")
        teacher.wait_for_function(READY, timeout=30_000)
        teacher.click("#follow-button")
        expect(teacher.locator("#follow-link")).to_have_value(re.compile(r"/\?follow=[\w-]+$"))
        url = teacher.locator("#follow-link").input_value()
        teacher.click("#follow-dialog .button.primary")

        student.route_web_socket(re.compile(r"/ws/v1/follow/"), hold_views)
        student.route_web_socket(re.compile(r"/ws/v1/surface"), keep_frames)
        student.goto(url)
        student.wait_for_function("() => window.surfaceLab?.paths?.runs.length === 3", timeout=30_000)
        expect(teacher.locator("#follow-button")).to_have_text("Live · 1 following", timeout=5_000)
        assert follow["held"], "the teacher's view should be waiting"
        old_frame = surface["frames"][0]
        for message in follow["held"]:
            follow["socket"].send(message)
        student.wait_for_function("() => window.surfaceLab.paths.runs.length === 2", timeout=30_000)
        surface["socket"].send(old_frame)  # the default race's frame, late
        student.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
        assert student.evaluate("() => window.surfaceLab.paths.runs.length") == 2
        expect(student.locator("#legend")).not_to_contain_text("Adam")
    finally:
        teacher.close()
        student.close()
    assert errors == [], errors
