"""Static files held in memory with their gzip and Brotli encodings, a content hash each, and a version.

An :class:`AssetStore` reads a folder's files (or named files in it) once, hashes each (SHA-256), and
compresses each compressible one with gzip and Brotli **once**: an encoding is kept in a cache folder
under the file's hash (``<sha256>.gz``, ``<sha256>.br``), so a restart, another worker process or the
next deploy of the same file reads it back instead of compressing again. The store's ``version`` hashes
every file's path and hash: it changes when any file changes, and the pages put it in the assets' URLs.

The store looks at the files' sizes and modification times again at most once a second and re-reads
only what changed, so an edited file shows on the next reload in development, under a new version.

Brotli's best quality (11) costs ~3.5 s per MB on this machine: files over ``BROTLI_BEST_LIMIT`` get
quality 9 at start-up (plotly.min.js: 1.23 MB in 0.8 s instead of 1.11 MB in 17 s), unless the cache
was filled beforehand with ``descentlab precompress --best`` (the image does so when it is built).
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import mimetypes
import os
import posixpath
import re
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import brotli

logger = logging.getLogger(__name__)

COMPRESSIBLE = {".js", ".mjs", ".css", ".html", ".json", ".svg", ".txt", ".map"}
MEDIA_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".json": "application/json"}
MIN_COMPRESS_BYTES = 256
BROTLI_BEST_LIMIT = 1 << 20
BROTLI_LARGE_QUALITY = 9
RESCAN_S = 1.0
# Static ES module imports and re-exports: `import x from "./a.js"`, `import {a,\n b} from "../b.js"`,
# `import "./c.js"`, `export * from "./d.js"` (the front end has no dynamic import()).
IMPORT = re.compile(r"""(?:^|[;}\s])(?:import|export)\s*(?:[\w$*{}\s,]*?\bfrom\s*)?["']([^"'\n]+)["']""", re.M)
ENCODING_SUFFIX = {"br": "br", "gzip": "gz"}


@dataclass(frozen=True)
class Asset:
    """One file: its bytes as stored (``identity``) and in each encoding that saves space."""

    path: str
    media_type: str
    digest: str
    bodies: dict[str, bytes]
    stat: tuple[int, int] = field(compare=False)  # (mtime_ns, size): re-read when it changes

    def etag(self, coding: str) -> str:
        """A strong validator per representation: the content's hash, and the encoding if any."""
        return f'"{self.digest[:24]}"' if coding == "identity" else f'"{self.digest[:24]}-{coding}"'


@dataclass(frozen=True)
class Snapshot:
    """Every file at one moment, and the version naming that set."""

    version: str
    assets: dict[str, Asset]
    graphs: dict[str, list[str]] = field(default_factory=dict, compare=False, repr=False)  # module_graph's

    def imports(self, path: str) -> list[str]:
        """The store paths a JavaScript module imports (relative specifiers; others are not ours)."""
        asset = self.assets.get(path)
        if asset is None or not path.endswith((".js", ".mjs")):
            return []
        found = []
        for spec in IMPORT.findall(asset.bodies["identity"].decode("utf-8", "replace")):
            if spec.startswith(("./", "../")):
                target = posixpath.normpath(posixpath.join(posixpath.dirname(path), spec))
                if target in self.assets and target not in found:
                    found.append(target)
        return found

    def module_graph(self, entry: str) -> list[str]:
        """The entry module and every module it imports, directly or not, entry first (breadth first)."""
        if entry in self.graphs:
            return self.graphs[entry]
        order, queue = [entry], [entry]
        while queue:
            for target in self.imports(queue.pop(0)):
                if target not in order:
                    order.append(target)
                    queue.append(target)
        self.graphs[entry] = order if entry in self.assets else []
        return self.graphs[entry]


def media_type(path: str) -> str:
    suffix = Path(path).suffix.lower()
    kind = MEDIA_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") or kind == "application/json" else kind


def compress(data: bytes, coding: str, best: bool = False) -> bytes:
    if coding == "gzip":
        return gzip.compress(data, compresslevel=9, mtime=0)
    quality = 11 if best or len(data) <= BROTLI_BEST_LIMIT else BROTLI_LARGE_QUALITY
    return brotli.compress(data, quality=quality)


class AssetStore:
    """The files under ``root`` (every file, or only ``names``), served from memory.

    ``cache_dir`` keeps the compressed encodings between runs; None, or a folder that cannot be
    written, compresses in memory at every start."""

    def __init__(self, root: Path, names: Iterable[str] | None = None, cache_dir: Path | None = None) -> None:
        self.root = Path(root)
        self.names = None if names is None else tuple(names)
        self.cache_dir = cache_dir
        self.best = False
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._checked = float("-inf")
        self._warned = False

    def fresh(self) -> Snapshot | None:
        """The snapshot, if it was checked against the disk less than a second ago (no I/O)."""
        if self._snapshot is not None and time.monotonic() - self._checked < RESCAN_S:
            return self._snapshot
        return None

    def current(self) -> Snapshot:
        """The snapshot, after re-reading whatever changed on disk (blocking I/O: call it off the event loop)."""
        with self._lock:
            snapshot = self.fresh()
            if snapshot is None:
                snapshot = self._snapshot = self._scan(self._snapshot)
                self._checked = time.monotonic()
            return snapshot

    def precompress(self, best: bool = False) -> Snapshot:
        """Read and compress every file now (``best``: Brotli quality 11 whatever the size)."""
        self.best = best
        try:
            with self._lock:
                self._snapshot = self._scan(None)
                self._checked = time.monotonic()
                return self._snapshot
        finally:
            self.best = False

    def _files(self) -> Iterable[str]:
        if self.names is not None:
            return self.names
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in self.root.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(self.root).parts)
        )

    def _scan(self, previous: Snapshot | None) -> Snapshot:
        old = previous.assets if previous else {}
        assets: dict[str, Asset] = {}
        for name in self._files():
            path = self.root / name
            try:
                info = path.stat()
            except FileNotFoundError:
                continue
            stat = (info.st_mtime_ns, info.st_size)
            known = old.get(name)
            assets[name] = known if known is not None and known.stat == stat else self._read(name, path, stat)
        if previous is not None and assets.keys() == old.keys() and all(assets[k] is old[k] for k in assets):
            return previous
        version = hashlib.sha256("".join(f"{k}\0{a.digest}\n" for k, a in sorted(assets.items())).encode())
        return Snapshot(version=version.hexdigest()[:12], assets=assets)

    def _read(self, name: str, path: Path, stat: tuple[int, int]) -> Asset:
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        bodies = {"identity": data}
        if Path(name).suffix.lower() in COMPRESSIBLE and len(data) >= MIN_COMPRESS_BYTES:
            for coding in ("br", "gzip"):
                encoded = self._encoded(data, digest, coding)
                if len(encoded) < 0.95 * len(data):
                    bodies[coding] = encoded
        return Asset(path=name, media_type=media_type(name), digest=digest, bodies=bodies, stat=stat)

    def _encoded(self, data: bytes, digest: str, coding: str) -> bytes:
        cached = self.cache_dir / f"{digest}.{ENCODING_SUFFIX[coding]}" if self.cache_dir else None
        if cached is not None and not self.best:
            try:
                return cached.read_bytes()
            except OSError:
                pass
        encoded = compress(data, coding, self.best)
        if cached is not None:
            self._save(cached, encoded)
        return encoded

    def _save(self, target: Path, data: bytes) -> None:
        """Write atomically: another process reading the cache sees the whole file or none."""
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except OSError as error:
            if not self._warned:
                self._warned = True
                logger.warning("asset cache %s not writable (%s): compressing in memory", target.parent, error)


def negotiate(accept_encoding: str | None, available: Iterable[str]) -> str:
    """The encoding to send: Brotli, then gzip, among those the client accepts (q > 0), else identity.

    ``Accept-Encoding: gzip;q=0.5, br;q=0`` gives gzip; ``*`` accepts any encoding not named."""
    if not accept_encoding:
        return "identity"
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if name.strip():
            weights[name.strip().lower()] = q
    for coding in ("br", "gzip"):
        if coding in available and weights.get(coding, weights.get("*", 0.0)) > 0:
            return coding
    return "identity"
