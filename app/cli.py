"""``descentlab serve [--host] [--port]``; ``descentlab precompress [--best]`` fills the asset cache."""

from __future__ import annotations

import argparse

import uvicorn

from app.settings import settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="descentlab", description="DescentLab server")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the web app")
    serve.add_argument("--host", default=settings.HOST)
    serve.add_argument("--port", type=int, default=settings.PORT)
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
    print(f"DescentLab: http://{args.host}:{args.port}", flush=True)
    uvicorn.run("app.main:app", host=args.host, port=args.port, ws_per_message_deflate=False)


if __name__ == "__main__":
    main()
