"""``descentlab serve [--host] [--port]``."""

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
    args = parser.parse_args(argv)
    print(f"DescentLab: http://{args.host}:{args.port}", flush=True)
    uvicorn.run("app.main:app", host=args.host, port=args.port, ws_per_message_deflate=False)


if __name__ == "__main__":
    main()
