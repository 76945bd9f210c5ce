"""Fault injection: answer chosen REST requests the way Discord does on a bad day.

A fault names the requests it hits (method and a regex searched in the path under /api/v10),
lets the first `skip` of them through, and lasts `times` hits or `seconds` from its first hit. With
`everything=True` a hit on the named requests starts an outage of the whole REST API (the
gateway stays up, as it often does when Discord's API is degraded).

Kinds, each answered as the real thing would be:
- "outage": 503 with the text body Discord's edge sends (discord.py does not retry a 503).
- "rate_limited": 429 with `retry_after`, the X-RateLimit headers and `Via` (without `Via`
  discord.py takes a 429 for a Cloudflare ban and gives up).
- "drop": the connection closes before the request is handled (nothing happened).
- "drop_after": the request is handled, then the connection closes before the answer (it
  happened, but the client cannot know).
- "stall": the request waits, unhandled, until the fault is removed (for killing the bot mid-call).
- "forbidden": 403 50013 Missing Permissions, as when a moderator just took a permission away.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from aiohttp import web

from .ratelimits import too_many_requests

FaultKind = Literal["outage", "rate_limited", "drop", "drop_after", "stall", "forbidden"]
OUTAGE_TEXT = (
    "upstream connect error or disconnect/reset before headers. reset reason: "
    "connection termination"
)


@dataclass
class Fault:
    kind: FaultKind
    method: str | None = None
    path: str | None = None
    times: int | None = None
    seconds: float | None = None
    everything: bool = False
    retry_after: float = 0.5
    skip: int = 0
    skipped: int = 0
    hits: int = 0
    started: float | None = None
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def names(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or re.search(self.path, path) is not None
        )

    @property
    def over(self) -> bool:
        if self.released.is_set():
            return True
        if self.times is not None and self.hits >= self.times:
            return True
        return (
            self.seconds is not None
            and self.started is not None
            and time.monotonic() - self.started >= self.seconds
        )

    def hit(self) -> None:
        self.hits += 1
        if self.started is None:
            self.started = time.monotonic()


class Faults:
    def __init__(self, changed: Callable[[], None]) -> None:
        self._faults: list[Fault] = []
        self._changed = changed  # wakes tests waiting for a fault to be hit

    def add(self, fault: Fault) -> Fault:
        self._faults.append(fault)
        return fault

    def remove(self, fault: Fault) -> None:
        fault.released.set()
        if fault in self._faults:
            self._faults.remove(fault)

    def clear(self) -> None:
        for fault in list(self._faults):
            self.remove(fault)

    def take(self, method: str, path: str) -> Fault | None:
        """The fault that answers this request, if any; counts the hit."""
        self._faults = [f for f in self._faults if not f.over]
        for fault in self._faults:
            if fault.everything and fault.started is not None:
                fault.hit()
                self._changed()
                return fault
            if not fault.names(method, path):
                continue
            if fault.skipped < fault.skip:
                fault.skipped += 1
                continue
            fault.hit()
            self._changed()
            return fault
        return None


def rate_limited(retry_after: float) -> web.Response:
    headers = {
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset-After": str(retry_after),
        "X-RateLimit-Bucket": "fake-bucket",
        "Via": "1.1 google",
    }
    return too_many_requests(retry_after, headers)


def outage() -> web.Response:
    return web.Response(text=OUTAGE_TEXT, status=503)


def drop(request: web.Request) -> web.Response:
    """Close the connection under the request; the client sees a server disconnect."""
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=499)  # never reaches the client; recorded as dropped
