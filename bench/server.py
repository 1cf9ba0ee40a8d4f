"""Serve the app on a free loopback port: in a background thread (benchmarks, API and browser tests) or as
its own process (``python -m app.cli serve``, as in production)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager

import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(app, port: int | None = None):
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws_per_message_deflate=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        # The app may still be finishing its start-up warm-up (an XLA compile of several seconds, which must not
        # be cut short by the interpreter exiting): wait for it.
        thread.join(timeout=120)


@contextmanager
def server_process(env: dict[str, str] | None = None, args: tuple[str, ...] = (), ready_timeout: float | None = 120):
    """``descentlab serve`` in its own process; yields ``(address, process)`` once it answers HTTP (at once
    with ``ready_timeout=None``).

    Its log goes to a file, printed at the end if it holds a traceback: a pipe nobody reads fills up
    (64 KiB) and then blocks the server's event loop on its next log line, stalling every session at once.
    """
    port = free_port()
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port), *args]
    log_file = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(
        command, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=log_file, text=True
    )
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + (ready_timeout or 0)
        while ready_timeout is not None:
            try:
                with urllib.request.urlopen(f"http://{address}/api/v1/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.2)
        yield address, process
    finally:
        process.terminate()
        process.wait(timeout=60)
        log_file.seek(0)
        log = log_file.read()
        log_file.close()
        if os.environ.get("BENCH_SERVER_LOG"):  # e.g. with JAX_LOG_COMPILES=1: what compiled, and when
            with open(os.environ["BENCH_SERVER_LOG"], "w") as copy:
                copy.write(log)
        if "Traceback" in log:
            print(f"server log:\n{log[-3000:]}")
