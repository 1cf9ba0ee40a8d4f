"""Smoke-test a built image without a container runtime: ``podman image mount`` it, ``chroot`` into it as the
image's user with the image's environment, start its CMD on a free loopback port, and ask it what a browser
and the HEALTHCHECK would ask. (``podman run`` needs setrlimit and namespaces that this machine refuses.)

    python docker/smoke.py [IMAGE]      (root; default localhost/descentlab:latest)

Checks: the image declares HEALTHCHECK, VOLUME, USER, EXPOSE and CMD; the server answers GET /api/v1/health,
a page whose asset URLs are hashed, plotly.js as Brotli cached for a year, a small POST /api/v1/trajectories;
the compilation it caused lands in the JAX cache volume; the HEALTHCHECK command exits 0.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack

IMAGE = sys.argv[1] if len(sys.argv) > 1 else "localhost/descentlab:latest"


def run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, headers: dict | None = None, data: bytes | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()


def bind(stack: ExitStack, source: str, target: str, *options: str) -> None:
    subprocess.run(["mount", *options, source, target], check=True)
    stack.callback(subprocess.run, ["umount", "-l", target], check=False)


def main() -> None:
    image = json.loads(run("podman", "image", "inspect", IMAGE))[0]
    config = image["Config"]
    health = (image.get("Healthcheck") or config.get("Healthcheck") or {}).get("Test")
    assert health and health[0] == "CMD", f"no HEALTHCHECK in {IMAGE} (built without --format docker?)"
    volume = "/var/cache/descentlab/jax"
    assert volume in config.get("Volumes", {}), config.get("Volumes")
    assert config.get("User") == "descentlab" and "8000/tcp" in config.get("ExposedPorts", {}), config
    env = dict(item.split("=", 1) for item in config["Env"])
    assert env["DESCENTLAB_JAX_CACHE_DIR"] == volume

    port = free_port()
    with ExitStack() as stack:
        root = run("podman", "image", "mount", IMAGE)
        stack.callback(subprocess.run, ["podman", "image", "unmount", IMAGE], check=False, capture_output=True)
        passwd = open(f"{root}/etc/passwd").read()
        uid, gid, home = re.search(rf"^{config['User']}:[^:]*:(\d+):(\d+):[^:]*:([^:]*):", passwd, re.M).groups()
        scratch = tempfile.mkdtemp(prefix="descentlab-smoke-")
        stack.callback(shutil.rmtree, scratch, True)
        for name in ("tmp", "jax"):
            os.makedirs(f"{scratch}/{name}")
            os.chown(f"{scratch}/{name}", int(uid), int(gid))
        bind(stack, "proc", f"{root}/proc", "-t", "proc")
        bind(stack, "/dev", f"{root}/dev", "--bind")
        bind(stack, f"{scratch}/tmp", f"{root}/tmp", "--bind")
        bind(stack, f"{scratch}/jax", f"{root}{volume}", "--bind")  # the volume

        # The image's environment (no warm-up: the checks below compile what they use), on a free port.
        env.update(HOME=home, DESCENTLAB_PORT=str(port), DESCENTLAB_WARM_UP="0")
        inside = ["chroot", f"--userspec={uid}:{gid}", root, "env", "-i", *(f"{k}={v}" for k, v in env.items())]
        workdir = config.get("WorkingDir", "/")
        log = open(f"{scratch}/server.log", "w+")
        cmd = ["sh", "-c", f'cd {workdir} && exec "$@"', "sh", *config["Cmd"]]
        server = subprocess.Popen([*inside, *cmd], stdout=log, stderr=subprocess.STDOUT)
        stack.callback(server.wait, 60)
        stack.callback(server.terminate)
        base = f"http://127.0.0.1:{port}"
        started = time.monotonic()
        while True:
            try:
                status, _, body = get(f"{base}/api/v1/health")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() - started > 180:
                    log.seek(0)
                    raise SystemExit(f"the server did not start:\n{log.read()}") from None
                time.sleep(0.5)
        print(f"server up in {time.monotonic() - started:.1f} s: {body.decode()}")
        assert status == 200 and json.loads(body)["status"] == "ok"

        status, headers, page = get(f"{base}/")
        assert status == 200 and headers["cache-control"] == "no-cache", headers
        plotly = re.search(rb'src="(/vendor/[0-9a-f]{12}/plotly\.min\.js)"', page).group(1).decode()
        status, headers, body = get(base + plotly, headers={"Accept-Encoding": "gzip, br"})
        assert headers["content-encoding"] == "br" and "immutable" in headers["cache-control"], headers
        print(f"GET / and {plotly}: {len(body)} bytes as Brotli, {headers['cache-control']}")

        spec = {"surface": {"name": "quadratic"}, "steps": 20, "runs": [{"optimizer": "sgd"}]}
        request = json.dumps(spec).encode()
        status, _, _ = get(f"{base}/api/v1/trajectories", {"Content-Type": "application/json"}, request)
        assert status == 200
        cached = os.listdir(f"{scratch}/jax")
        assert cached, "nothing in the JAX cache volume"
        print(f"POST /api/v1/trajectories: 200; JAX cache volume holds {len(cached)} entries")

        probe = subprocess.run([*inside, *health[1:]], capture_output=True, text=True, timeout=30)
        assert probe.returncode == 0, probe.stderr
        print("HEALTHCHECK command: exit 0")
    print(f"smoke test of {IMAGE}: passed")


if __name__ == "__main__":
    main()
