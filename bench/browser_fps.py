"""Animation frame rate of the surface lab in headless Chromium: 8 paths playing at 100 steps/s.

Counts the page's cursor redraws (``surfaceLab.drawCursor``: markers and chart cursors, at most one per
animation frame) over ~4.5 s of playback, and times each. Needs Debian's Chromium (``make test``
installs it); without it the benchmark is skipped with a message.
"""

from __future__ import annotations

import shutil
import statistics

from app.main import app
from app.settings import settings
from bench.common import percentile
from bench.server import serve

CHROMIUM = "/usr/bin/chromium"
RUNS = "~".join(
    f"{name}(learning_rate:{lr})"
    for name, lr in [
        ("sgd", 0.001),
        ("momentum", 0.001),
        ("nesterov", 0.001),
        ("adagrad", 0.1),
        ("rmsprop", 0.01),
        ("adadelta", 1),
        ("adam", 0.01),
        ("nadam", 0.01),
    ]
)
COUNT_DRAWS = """() => {
    const lab = window.surfaceLab, draw = lab.drawCursor.bind(lab);
    window.draws = [];
    lab.drawCursor = () => { const t0 = performance.now(); draw(); window.draws.push([t0, performance.now() - t0]); };
}"""


def main(seconds: float = 4.5) -> dict:
    if shutil.which(CHROMIUM) is None:
        print(f"{CHROMIUM} is missing: skipping the browser frame rate (make test installs it)")
        return {}
    from playwright.sync_api import sync_playwright

    settings.WARM_UP = False
    with serve(app) as address, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(f"http://{address}/#surface=rosenbrock&steps=500&speed=100&runs={RUNS}")
        page.wait_for_function("() => window.surfaceLab?.paths?.runs.length === 8", timeout=120_000)
        page.evaluate(COUNT_DRAWS)
        page.keyboard.press(" ")
        page.wait_for_timeout(seconds * 1000)
        page.keyboard.press(" ")
        draws = page.evaluate("window.draws")
        browser.close()
    span = (draws[-1][0] - draws[0][0]) / 1000
    durations = [d[1] for d in draws]
    return {
        "paths": 8,
        "frames_per_s": (len(draws) - 1) / span,
        "draw_ms_median": statistics.median(durations),
        "draw_ms_p95": percentile(durations, 95),
    }


if __name__ == "__main__":
    print(main())
