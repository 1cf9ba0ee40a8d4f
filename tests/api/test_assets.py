"""Static files (app/api/assets.py, app/services/assets.py): Brotli and gzip by Accept-Encoding, hashed URLs
cached for a year, unhashed ones revalidated with an ETag, pages never cached unchecked, and the security
headers on all of it."""

import gzip
import re
from pathlib import Path

import brotli
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.api.assets import plotly_bundle, static_store
from app.cli import main as cli
from app.services import assets
from app.services.assets import AssetStore, negotiate
from app.settings import settings

STATIC = Path(__file__).resolve().parents[2] / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
PAGES = {"/": "js/surface/main.js", "/network": "js/network/main.js", "/init": "js/init/main.js"}
PAGES["/lessons"] = "js/lessons/index.js"


def linked(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/(?:static|vendor)/[^"]+)"', html)


@pytest.mark.parametrize(("page", "entry"), PAGES.items())
def test_pages_link_hashed_assets_and_are_revalidated(client: TestClient, page, entry):
    response = client.get(page)
    assert response.headers["cache-control"] == "no-cache"
    version = static_store().current().version
    urls = linked(response.text)
    assert f"/static/{version}/css/app.css" in urls
    assert f"/static/{version}/{entry}" in urls
    assert all(re.match(r"/(static|vendor)/[0-9a-f]{12}/", url) for url in urls), urls
    preloads = re.findall(r'<link rel="modulepreload" href="([^"]+)">', response.text)
    assert preloads[0] == f"/static/{version}/{entry}" and f"/static/{version}/js/i18n.js" in preloads
    for url in set(urls):
        r = client.get(url)
        assert r.status_code == 200 and r.headers["cache-control"] == IMMUTABLE, url


@pytest.mark.parametrize(("page", "entry"), PAGES.items())
def test_plotly_js_is_linked_where_a_module_uses_it(client: TestClient, page, entry):
    """plotly.js is 4.8 MB and ~1.5 s of script evaluation: only the pages that draw charts load it."""
    snapshot = static_store().current()
    modules = [snapshot.assets[path].bodies["identity"].decode() for path in snapshot.module_graph(entry)]
    uses = any(re.search(r"\bPlotly\.\w|/\*\s*global Plotly", text) for text in modules)
    linked = re.findall(r'<script src="(/vendor/[0-9a-f]{12}/plotly\.min\.js)">', client.get(page).text)
    assert bool(linked) == uses == (page != "/lessons")


def test_the_module_graph_holds_every_relative_import():
    """The preload list parses imports with a regular expression: every "./x.js" string of every module must
    be among the imports it finds, and every import must name a file that exists."""
    snapshot = static_store().current()
    for path, asset in snapshot.assets.items():
        if not path.endswith(".js"):
            continue
        text = asset.bodies["identity"].decode()
        literal = re.findall(r"""["'](\.\.?/[^"'\n]+\.js)["']""", text)
        found = snapshot.imports(path)
        resolved = {str((Path("/") / path).parent.joinpath(spec).resolve())[1:] for spec in literal}
        assert set(found) == resolved, path
        assert all(target in snapshot.assets for target in found)
    graph = snapshot.module_graph("js/surface/main.js")
    assert {"js/page.js", "js/protocol.js", "js/surface/session.js"} <= set(graph)
    assert len(graph) == len(set(graph))


@pytest.mark.parametrize(
    ("accept", "coding"),
    [
        ("gzip, deflate, br, zstd", "br"),
        ("gzip", "gzip"),
        ("br;q=0, gzip;q=0.5", "gzip"),
        ("*", "br"),
        ("identity", None),
        ("gzip;q=0", None),
        ("", None),
    ],
)
def test_compression_follows_accept_encoding(client: TestClient, accept, coding):
    r = client.get("/vendor/plotly.min.js", headers={"accept-encoding": accept})
    assert r.status_code == 200
    assert r.headers.get("content-encoding") == coding
    assert r.headers["vary"] == "Accept-Encoding"
    assert r.headers["content-type"] == "text/javascript; charset=utf-8"
    assert r.content == plotly_bundle().read_bytes()  # httpx decodes Brotli and gzip
    if coding:
        assert int(r.headers["content-length"]) < 0.35 * plotly_bundle().stat().st_size
        assert r.headers["etag"].endswith(f'-{coding}"')


def test_encoded_bodies_decode_to_the_file():
    asset = static_store().current().assets["js/i18n.js"]
    original = (STATIC / "js" / "i18n.js").read_bytes()
    assert brotli.decompress(asset.bodies["br"]) == original
    assert gzip.decompress(asset.bodies["gzip"]) == original


def test_unhashed_and_stale_urls_are_revalidated_with_etags(client: TestClient):
    for url in ("/static/js/state.js", "/static/0123456789ab/js/state.js", "/vendor/plotly.min.js"):
        r = client.get(url, headers={"accept-encoding": "gzip"})
        assert r.status_code == 200 and r.headers["cache-control"] == "no-cache", url
        again = client.get(url, headers={"accept-encoding": "gzip", "if-none-match": r.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == r.headers["etag"] and again.headers["vary"] == "Accept-Encoding"
        assert again.headers["content-security-policy"] == r.headers["content-security-policy"]
        # Another encoding is another representation: its own tag, and the body.
        other = client.get(url, headers={"accept-encoding": "br", "if-none-match": r.headers["etag"]})
        assert other.status_code == 200 and other.headers["content-encoding"] == "br"


def test_assets_carry_the_security_headers(client: TestClient):
    version = static_store().current().version
    for url in (f"/static/{version}/js/page.js", "/static/css/app.css", "/static/js/no-such.js"):
        r = client.get(url)
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"
    assert client.get(f"/static/{version}/css/app.css").headers["content-type"] == "text/css; charset=utf-8"


def test_only_files_of_the_store_are_served(client: TestClient):
    assert client.get("/static/js/no-such.js").status_code == 404
    assert client.get("/static/%2e%2e/app/settings.py").status_code == 404
    assert client.get("/static/../pyproject.toml").status_code == 404
    assert client.post("/static/js/state.js").status_code == 405
    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect("/static/js/state.js"):
            pass
    head = client.head("/static/js/state.js", headers={"accept-encoding": "br"})
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) > 0


def test_negotiation_prefers_brotli_then_gzip():
    assert negotiate("gzip;q=1.0, br;q=0.8", {"identity", "br", "gzip"}) == "br"
    assert negotiate("br", {"identity"}) == "identity"
    assert negotiate("*;q=0, gzip", {"identity", "br", "gzip"}) == "gzip"
    assert negotiate("GZIP", {"identity", "gzip"}) == "gzip"


def test_each_file_is_compressed_once_and_an_edit_gives_a_new_version(tmp_path: Path, monkeypatch):
    root, cache = tmp_path / "static", tmp_path / "cache"
    (root / "js").mkdir(parents=True)
    module = root / "js" / "a.js"
    module.write_text('import { b } from "./b.js";\n' + "export const a = 1;\n" * 100)
    (root / "js" / "b.js").write_text("export const b = 2;\n")  # too small to compress
    store = AssetStore(root, cache_dir=cache)
    first = store.current()
    assert set(first.assets["js/a.js"].bodies) == {"identity", "br", "gzip"}
    assert set(first.assets["js/b.js"].bodies) == {"identity"}
    digest = first.assets["js/a.js"].digest
    assert sorted(p.name for p in cache.iterdir()) == [f"{digest}.br", f"{digest}.gz"]

    def refuse(*args, **kwargs):
        raise AssertionError("compressed again")

    monkeypatch.setattr(assets, "compress", refuse)
    again = AssetStore(root, cache_dir=cache).current()  # another process, or the next start: reads the cache
    assert again.version == first.version and again.assets["js/a.js"].bodies == first.assets["js/a.js"].bodies
    assert first.module_graph("js/a.js") == ["js/a.js", "js/b.js"]

    monkeypatch.setattr(assets, "RESCAN_S", 0.0)
    monkeypatch.setattr(assets, "compress", lambda data, coding, best=False: b"x")
    module.write_text("export const a = 2;\n" * 100)
    edited = store.current()
    assert edited.version != first.version
    assert edited.assets["js/a.js"].bodies["identity"] == module.read_bytes()
    assert edited.assets["js/b.js"] is first.assets["js/b.js"]  # unchanged: not read again


def test_an_unwritable_cache_compresses_in_memory(tmp_path: Path):
    (tmp_path / "a.css").write_text("body { color: black; }\n" * 50)
    blocker = tmp_path / "file"
    blocker.write_text("")
    store = AssetStore(tmp_path, names=["a.css"], cache_dir=blocker / "cache")  # under a file: cannot be made
    assert "br" in store.current().assets["a.css"].bodies


def test_precompress_fills_the_cache(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setattr(settings, "ASSET_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(assets, "compress", lambda data, coding, best=False: data[: len(data) // 4])
    from app.api import assets as api_assets

    monkeypatch.setattr(api_assets, "stores", lambda: (AssetStore(STATIC, cache_dir=tmp_path),))
    cli(["precompress"])
    names = {p.name for p in tmp_path.iterdir()}
    digest = static_store().current().assets["js/i18n.js"].digest
    assert {f"{digest}.br", f"{digest}.gz"} <= names
    assert "bytes sent to a Brotli client" in capsys.readouterr().out
