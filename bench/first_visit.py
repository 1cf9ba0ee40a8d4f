"""First visit of each page in a fresh browser, served by ``descentlab serve`` on loopback.

The server runs in its own process, as a user would start it, and is left to finish its start-up
warm-up of the default views first. Each visit opens a new browser context (an empty cache), goes to
the page and times, from the navigation's start, the ``load`` event and the moment the page is ready
to use (its lab object exists and has drawn what it first draws). A repeat visit in the same context
then shows what the cache saves. ``--throttle`` emulates a 20 Mbit/s, 20 ms link (Chrome DevTools'
network conditions) to show what the transfer sizes cost off loopback. ``--baseline DIR`` serves a
second checkout (e.g. ``git worktree add /tmp/before <commit>``) beside this one and alternates the
visits between the two, so both see the same load on a shared machine.

    python -m bench.first_visit [--rounds 5] [--throttle] [--baseline DIR]

Needs Debian's Chromium (``make test`` installs it); without it the benchmark is skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack, contextmanager

from bench.server import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
PAGES = {
    "surface": ("/", "() => !!(window.surfaceLab && window.surfaceLab.paths && window.surfaceLab.paths.runs.length)"),
    "network": (
        "/network",
        "() => !!(window.networkLab && window.networkLab.histories[0] && window.networkLab.histories[0].last)",
    ),
    "init": ("/init", "() => !!(window.initLab && window.initLab.result)"),
    "lessons": ("/lessons", "() => document.readyState === 'complete'"),
}
# What the page fetched: bytes on the wire (after Content-Encoding) and decoded, by resource.
TRANSFER = """() => {
    const all = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
    const sum = (key) => all.reduce((s, e) => s + (e[key] || 0), 0);
    return {requests: all.length, transfer: sum('transferSize'), encoded: sum('encodedBodySize'),
            decoded: sum('decodedBodySize'), load: performance.getEntriesByType('navigation')[0].loadEventEnd};
}"""
THROTTLE = {"offline": False, "latency": 20, "downloadThroughput": 20e6 / 8, "uploadThroughput": 20e6 / 8}


@contextmanager
def descentlab_server(source: str = ROOT):
    """``descentlab serve`` from the checkout ``source`` on a free port, with its own JAX cache and the
    network lab's bucket warm-up off."""
    port = free_port()
    cache = tempfile.mkdtemp(prefix="descentlab-bench-")
    env = {
        **os.environ,
        "PYTHONPATH": source,
        "DESCENTLAB_WARM_BUCKETS": "0",
        "DESCENTLAB_JAX_CACHE_DIR": f"{cache}/jax",
        "DESCENTLAB_ASSET_CACHE_DIR": f"{cache}/assets",
    }
    command = [sys.executable, "-c", "from app.cli import main; main()", "serve", "--port", str(port)]
    proc = subprocess.Popen(command, cwd=source, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/v1/health", timeout=2) as r:
                    if json.load(r)["warm"]:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the server did not start and warm up")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        shutil.rmtree(cache, ignore_errors=True)


def visit(browser, base: str, path: str, ready: str, throttle: bool) -> dict:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    if throttle:
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", THROTTLE)
    result = {}
    for label, query in (("first", ""), ("repeat", "?repeat=1")):  # the same URL again would be a reload
        page.goto(base + path + query, wait_until="load")
        page.wait_for_function(ready, polling="raf", timeout=60_000)
        ready_ms = page.evaluate("performance.now()")
        stats = page.evaluate(TRANSFER)
        result[label] = {"load_ms": stats.pop("load"), "ready_ms": ready_ms, **stats}
    context.close()
    return result


def main(rounds: int = 5, throttle: bool = False, baseline: str | None = None) -> dict:
    if shutil.which(CHROMIUM) is None:
        print(f"{CHROMIUM} is missing: skipping the first-visit benchmark (make test installs it)")
        return {}
    from playwright.sync_api import sync_playwright

    sources = {"this": ROOT, **({"baseline": os.path.abspath(baseline)} if baseline else {})}
    visits = {(server, name): [] for server in sources for name in PAGES}
    with ExitStack() as stack, sync_playwright() as p:
        bases = {server: stack.enter_context(descentlab_server(source)) for server, source in sources.items()}
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for base in bases.values():
            for path, ready in PAGES.values():
                visit(browser, base, path, ready, throttle)  # untimed: the server's first answers of each kind
        for _ in range(rounds):
            for name, (path, ready) in PAGES.items():
                for server, base in bases.items():
                    visits[server, name].append(visit(browser, base, path, ready, throttle))
        browser.close()
    summary = {}
    for (server, name), runs in visits.items():
        row = {}
        for label in ("first", "repeat"):
            row[label] = {
                "load_ms": statistics.median(r[label]["load_ms"] for r in runs),
                "ready_ms": statistics.median(r[label]["ready_ms"] for r in runs),
                "ready_ms_max": max(r[label]["ready_ms"] for r in runs),
                "requests": runs[-1][label]["requests"],
                "transfer_kB": round(runs[-1][label]["transfer"] / 1000, 1),
                "decoded_kB": round(runs[-1][label]["decoded"] / 1000, 1),
            }
        summary[f"{server} {name}"] = row
    return summary


def report(summary: dict) -> None:
    columns = ("load ms", "ready ms", "max", "requests", "wire kB", "kB")
    print(f"{'server  page':17} {'visit':6} " + " ".join(f"{c:>9}" for c in columns))
    for name, row in summary.items():
        for label, r in row.items():
            print(
                f"{name:17} {label:6} {r['load_ms']:9.0f} {r['ready_ms']:9.0f} {r['ready_ms_max']:9.0f} "
                f"{r['requests']:9} {r['transfer_kB']:9.1f} {r['decoded_kB']:9.1f}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline", help="a second checkout to time in the same rounds")
    parser.add_argument("--throttle", action="store_true", help="emulate a 20 Mbit/s link with 20 ms latency")
    args = parser.parse_args()
    report(main(args.rounds, args.throttle, args.baseline))
