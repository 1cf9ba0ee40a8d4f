"""Security at the edge, as three small ASGI middlewares installed by :func:`install_security`:

- :class:`SecurityHeaders`: a Content-Security-Policy (only the app's own scripts and styles,
  ``frame-ancestors`` from ``DESCENTLAB_FRAME_ANCESTORS``), ``X-Content-Type-Options: nosniff`` and
  ``Referrer-Policy`` on every HTTP response;
- :class:`BodyLimit`: a request body over ``DESCENTLAB_MAX_BODY_BYTES`` is answered 413 before anything
  reads it;
- :class:`WebSocketGuard`: every WebSocket handshake's ``Origin`` must be the app's own or one of
  ``DESCENTLAB_WS_ALLOWED_ORIGINS`` (else close 1008 before accepting, and a warning in the log), and a
  client address holds at most ``DESCENTLAB_MAX_WS_PER_CLIENT`` WebSockets at once (else close 1013).

Settings are read on every request, so a changed setting (a test's, a benchmark's) applies at once.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import logging
import re
from collections import Counter
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.routes.pages import plotly_bundle
from app.settings import settings

logger = logging.getLogger(__name__)

# A <style> element that plotly.js adds on load: `createElement("style"); e.id = "<hex>", e.textContent = '…'`
# (maplibre's CSS, whatever plotly version is installed).
PLOTLY_STYLE = re.compile(r'createElement\("style"\);\w+\.id="[0-9a-f]+",\w+\.textContent=(["\'])')


def style_hash(text: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"


@functools.cache
def plotly_style_hashes() -> tuple[str, ...]:
    """The hashes of the <style> elements plotly.js adds: the empty one it fills through CSSOM ``insertRule``
    (which CSP does not govern) and, read from the installed bundle, any it adds with its text."""
    hashes = [style_hash("")]
    bundle = plotly_bundle().read_text(encoding="utf-8")
    for match in PLOTLY_STYLE.finditer(bundle):
        end = bundle.find(match.group(1), match.end())
        text = bundle[match.end() : end]
        if end > 0 and "\\" not in text:  # escapes would make the browser's text differ from the literal
            hashes.append(style_hash(text))
    return tuple(hashes)


@functools.cache
def policy() -> tuple[str, ...]:
    return (
        "default-src 'self'",
        "script-src 'self'",
        # Browsers without style-src-elem/-attr (CSP level 3) fall back to this one.
        "style-src 'self' 'unsafe-inline'",
        # Stylesheets from the app only, and plotly.js's own <style> elements (by hash).
        " ".join(("style-src-elem 'self'", *plotly_style_hashes())),
        # plotly.js (heatmaps, colorbars) and the charts' labels set style="…" attributes.
        "style-src-attr 'unsafe-inline'",
        # Plotly's image export and the recorder's map go through data: and blob: URLs.
        "img-src 'self' data: blob:",
        # fetch and the WebSockets: 'self' matches ws:/wss: of the page's own host.
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    )


REFERRER_POLICY = "strict-origin-when-cross-origin"

# WebSocket close codes (RFC 6455 §7.4.1).
POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013


def content_security_policy() -> str:
    return "; ".join((*policy(), f"frame-ancestors {settings.FRAME_ANCESTORS}"))


def install_security(app) -> None:
    """Add the three middlewares; the headers outermost, so the 413 answer carries them too (and the 504
    of :class:`app.api.deadline.RequestDeadline`, added before them)."""
    policy()  # read plotly's bundle for its style hashes now rather than on the first request
    app.add_middleware(WebSocketGuard)
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders)


class SecurityHeaders:
    """The headers on every answer, an unexpected error's 500 included: Starlette's own 500 comes from its
    outermost middleware, outside this one, so an exception is answered here (and raised on, to be logged)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = content_security_policy()
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = REFERRER_POLICY
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if not started:
                headers = [(b"content-type", b"application/json")]
                await send_with_headers({"type": "http.response.start", "status": 500, "headers": headers})
                body = error_body("internal error: the server failed on this request (it is logged)")
                await send_with_headers({"type": "http.response.body", "body": body})
            raise


def error_body(message: str) -> bytes:
    """The app's error format (app/api/errors.py): a one-line ``message`` and a ``detail`` list."""
    return json.dumps({"message": message, "detail": []}).encode()


class BodyLimit:
    """413 for a body over the limit: by its Content-Length at once, or, for a chunked body, as soon as
    the bytes received pass the limit (such a body is read here, at most the limit, and handed on whole)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = settings.MAX_BODY_BYTES
        length = Headers(scope=scope).get("content-length")
        if length is not None:
            if length.isdigit() and int(length) > limit:
                await self.too_large(send, limit)
                return
            await self.app(scope, receive, send)  # the server delivers no more than Content-Length says
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away: let the app see it
            body += message.get("body", b"")
            if len(body) > limit:
                await self.too_large(send, limit)
                return
            if not message.get("more_body", False):
                message = {"type": "http.request", "body": bytes(body), "more_body": False}
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return message
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def too_large(send: Send, limit: int) -> None:
        body = error_body(f"request body larger than {limit} bytes (DESCENTLAB_MAX_BODY_BYTES)")
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def allowed_origins() -> set[str]:
    return {o.strip().rstrip("/").lower() for o in settings.WS_ALLOWED_ORIGINS.split(",") if o.strip()}


def origin_allowed(origin: str | None, host: str | None) -> bool:
    """No Origin (a non-browser client), the page's own origin (an ``http``/``https`` origin whose host and
    port are the Host the handshake came to: ``ws`` ↔ ``http``, ``wss`` ↔ ``https``, and either scheme
    where a proxy ends TLS), or one listed in ``DESCENTLAB_WS_ALLOWED_ORIGINS``."""
    if origin is None:
        return True
    origin = origin.strip().lower()
    if origin in allowed_origins():
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and host is not None and parts.netloc == host.strip().lower()


class WebSocketGuard:
    """Admits a WebSocket handshake by its Origin, then counts the client's open WebSockets."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.open: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if not origin_allowed(origin, headers.get("host")):
            logger.warning("WebSocket from origin %r refused on %s", origin, scope["path"])
            await send({"type": "websocket.close", "code": POLICY_VIOLATION, "reason": "origin not allowed"})
            return
        client = scope["client"][0] if scope.get("client") else ""
        cap = settings.MAX_WS_PER_CLIENT
        if cap > 0 and self.open[client] >= cap:
            await refuse_busy(receive, send, cap)
            return
        self.open[client] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.open[client] -= 1
            if self.open[client] <= 0:
                del self.open[client]


async def refuse_busy(receive: Receive, send: Send, cap: int) -> None:
    """Accept, say why in an ``error`` message (as a full room does), and close with 1013: a browser sees
    the message and the code, which a refused handshake would not show it."""
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    reason = f"too many WebSockets from this address (at most {cap}); close one and try again"
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": json.dumps({"type": "error", "message": reason, "errors": []})})
    await send({"type": "websocket.close", "code": TRY_AGAIN_LATER, "reason": reason})
