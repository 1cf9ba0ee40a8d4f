"""Serving the front end's files: compressed, hashed URLs cached for a year, everything else revalidated.

- ``/static/<version>/<path>`` (what the pages link): ``<version>`` hashes every file under static/
  (:class:`app.services.assets.AssetStore`), so the URL names the content and is served with
  ``Cache-Control: public, max-age=31536000, immutable``. The ES modules import each other by relative
  paths (``./i18n.js``), which the browser resolves under the same ``<version>/`` prefix: a new release
  changes the prefix of every module at once, so a browser never mixes modules of two releases.
- ``/static/<path>`` (no version, or a version no longer current): the current file with
  ``Cache-Control: no-cache`` and an ``ETag``, so a cache revalidates it every time (304 when unchanged).
- ``/vendor/<version>/plotly.min.js``: plotly.js from the installed wheel, the same way.

Each file is sent as Brotli or gzip when the request's ``Accept-Encoding`` allows (``Vary:
Accept-Encoding``), from encodings compressed once and kept in ``DESCENTLAB_ASSET_CACHE_DIR``.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from pathlib import Path

import anyio
from starlette.datastructures import Headers
from starlette.types import Receive, Scope, Send

from app.services.assets import AssetStore, Snapshot, negotiate
from app.settings import settings

ROOT = Path(__file__).resolve().parents[2]
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
VERSION = re.compile(r"[0-9a-f]{12}")


@functools.cache
def plotly_bundle() -> Path:
    return Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))


def cache_dir() -> Path:
    return Path(settings.ASSET_CACHE_DIR).expanduser()


@functools.cache
def static_store() -> AssetStore:
    return AssetStore(ROOT / "static", cache_dir=cache_dir())


@functools.cache
def vendor_store() -> AssetStore:
    return AssetStore(plotly_bundle().parent, names=[plotly_bundle().name], cache_dir=cache_dir())


def stores() -> tuple[AssetStore, ...]:
    return static_store(), vendor_store()


def static_url(path: str) -> str:
    """``/static/<version>/<path>``: the URL a page links for a file under static/."""
    return f"/static/{static_store().current().version}/{path}"


def plotly_url() -> str:
    return f"/vendor/{vendor_store().current().version}/{plotly_bundle().name}"


def module_preloads(entry: str) -> list[str]:
    """The versioned URLs of an entry module and every module it imports, for ``<link rel="modulepreload">``:
    the browser fetches the whole graph at once instead of discovering it import by import."""
    snapshot = static_store().current()
    return [f"/static/{snapshot.version}/{path}" for path in snapshot.module_graph(entry)]


class AssetFiles:
    """An ASGI app serving one :class:`AssetStore` under its mount point (GET and HEAD)."""

    def __init__(self, store: AssetStore) -> None:
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # a WebSocket handshake to a file: refused (403)
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["method"] not in ("GET", "HEAD"):
            await plain(send, 405, b"Method Not Allowed", [(b"allow", b"GET, HEAD")])
            return
        snapshot = self.store.fresh() or await anyio.to_thread.run_sync(self.store.current)
        version, path = split_version(route_path(scope))
        asset = snapshot.assets.get(path)
        if asset is None:
            await plain(send, 404, b"Not Found")
            return
        headers = Headers(scope=scope)
        coding = negotiate(headers.get("accept-encoding"), asset.bodies)
        etag = asset.etag(coding)
        response = [
            (b"cache-control", (IMMUTABLE if version == snapshot.version else REVALIDATE).encode()),
            (b"etag", etag.encode()),
        ]
        if len(asset.bodies) > 1:
            response.append((b"vary", b"Accept-Encoding"))
        if etag_matches(headers.get("if-none-match"), etag):
            await send({"type": "http.response.start", "status": 304, "headers": response})
            await send({"type": "http.response.body", "body": b""})
            return
        body = asset.bodies[coding]
        response += [(b"content-type", asset.media_type.encode()), (b"content-length", str(len(body)).encode())]
        if coding != "identity":
            response.append((b"content-encoding", coding.encode()))
        await send({"type": "http.response.start", "status": 200, "headers": response})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def route_path(scope: Scope) -> str:
    """The path below the mount point (Starlette's ``Mount`` sets ``root_path`` to it)."""
    path, root = scope["path"], scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root + "/") else path


def split_version(path: str) -> tuple[str | None, str]:
    """``/0123456789ab/js/a.js`` → (``0123456789ab``, ``js/a.js``); ``/js/a.js`` → (None, ``js/a.js``)."""
    first, _, rest = path.lstrip("/").partition("/")
    if rest and VERSION.fullmatch(first):
        return first, rest
    return None, path.lstrip("/")


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: weak comparison, ``*`` matches any."""
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


async def plain(send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": body})


def prepare() -> list[Snapshot]:
    """Read, hash and compress every asset now (at start-up, before the first page asks)."""
    return [store.current() for store in stores()]
