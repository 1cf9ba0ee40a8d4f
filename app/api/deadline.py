"""A deadline for every HTTP request: an answer not started within ``DESCENTLAB_REQUEST_DEADLINE``
seconds becomes a 504 that says so, rather than an open-ended wait (an answer once started is sent
whole, however slow the client).

The request's task is cancelled: a request still waiting for an engine thread leaves the queue, heavy
work is told to stop at its next slice (:func:`app.services.lanes.run_heavy`), and engine work already
inside XLA finishes in its thread with nobody waiting for it (an XLA call cannot be interrupted; the
caps on steps, runs and cells bound how long it takes).
"""

from __future__ import annotations

import logging
import math

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.security import error_body
from app.settings import settings

log = logging.getLogger("descentlab.deadline")


class RequestDeadline:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        seconds = settings.REQUEST_DEADLINE

        async def send_tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                deadline.deadline = math.inf  # an answer under way (a large file to a slow client) is not cut
            await send(message)

        with anyio.move_on_after(seconds) as deadline:
            await self.app(scope, receive, send_tracking)
        if deadline.cancelled_caught and not started:
            log.warning("%s %s: no answer within %g s, answered 504", scope["method"], scope["path"], seconds)
            message = f"the server could not answer within {seconds:g} s: try a smaller request, or again later"
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 504, "headers": headers})
            await send({"type": "http.response.body", "body": error_body(message)})
