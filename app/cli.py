"""``descentlab serve [--host] [--port] [--workers N]``; ``descentlab precompress [--best]`` fills the asset cache."""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile

import uvicorn

from app.settings import settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="descentlab", description="DescentLab server")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the web app")
    serve.add_argument("--host", default=settings.HOST)
    serve.add_argument("--port", type=int, default=settings.PORT)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes sharing the port (each compiles and holds its own programs; docs/deploy.md)",
    )
    precompress = sub.add_parser("precompress", help="compress the static files into DESCENTLAB_ASSET_CACHE_DIR")
    precompress.add_argument("--best", action="store_true", help="Brotli quality 11 for every file (slow)")
    args = parser.parse_args(argv)
    if args.command == "precompress":
        from app.api.assets import cache_dir, stores

        for store in stores():
            snapshot = store.precompress(best=args.best)
            assets = snapshot.assets.values()
            plain = sum(len(a.bodies["identity"]) for a in assets)
            sent = sum(len(a.bodies.get("br", a.bodies["identity"])) for a in assets)
            print(f"{store.root}: {len(assets)} files, {plain} bytes, {sent} bytes sent to a Brotli client")
        print(f"cache: {cache_dir()}")
        return
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    print(f"DescentLab: http://{args.host}:{args.port}", flush=True)
    if args.workers == 1:
        uvicorn.run("app.main:app", host=args.host, port=args.port, ws_per_message_deflate=False)
        return
    # The workers share the follow-the-teacher rooms through a directory of this run, and the host's memory
    # (they read the settings from the environment they inherit).
    own_dir = not settings.FOLLOW_DIR
    follow_dir = settings.FOLLOW_DIR or tempfile.mkdtemp(prefix="descentlab-follow-")
    os.environ["DESCENTLAB_FOLLOW_DIR"] = follow_dir
    os.environ["DESCENTLAB_WORKERS"] = str(args.workers)  # they share the host's memory
    try:
        uvicorn.run("app.main:app", host=args.host, port=args.port, workers=args.workers, ws_per_message_deflate=False)
    finally:
        if own_dir:
            shutil.rmtree(follow_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
