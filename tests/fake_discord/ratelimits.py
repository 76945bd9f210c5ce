"""Discord's per-route rate limits, answered with its headers, so a bot that edits too often waits.

Each limit is a bucket per major parameter (the channel, or the interaction's webhook token): so
many requests per window, counted from the first request of the window. Every answer on a
limited route carries X-RateLimit-Limit / -Remaining / -Reset / -Reset-After / -Bucket, which
discord.py reads to wait before it would be refused; a request over the limit gets Discord's 429
(JSON `retry_after`, `Retry-After`, X-RateLimit-Scope, and `Via`, without which discord.py takes a
429 for a Cloudflare ban). The figures are the ones Discord answers bots with today; Discord
documents only that they exist and may change.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .state import Clock

CHANNEL = r"/channels/(\d+)"
WEBHOOK = r"/webhooks/\d+/([^/]+)"


@dataclass(frozen=True)
class Limit:
    bucket: str
    method: str
    path: str  # a regex matched against the whole path under /api/v10; group 1 is the major id
    limit: int
    per: float
    applies: Callable[[Any], bool] = lambda body: True

    def major(self, method: str, path: str, body: Any) -> str | None:
        if method != self.method:
            return None
        match = re.fullmatch(self.path, path)
        return match[1] if match and self.applies(body) else None


def renames(body: Any) -> bool:
    return isinstance(body, dict) and "name" in body


LIMITS = (
    Limit("b3f2a1c0-message-create", "POST", CHANNEL + "/messages", 5, 5.0),
    Limit("9d8e7f60-message-edit", "PATCH", CHANNEL + r"/messages/\d+", 5, 5.0),
    Limit("4c5d6e70-message-delete", "DELETE", CHANNEL + r"/messages/\d+", 5, 1.0),
    Limit("1a2b3c40-reaction-add", "PUT", CHANNEL + r"/messages/\d+/reactions/[^/]+/@me", 1, 0.25),
    Limit(
        "1a2b3c41-reaction-del", "DELETE", CHANNEL + r"/messages/\d+/reactions/[^/]+/@me", 1, 0.25
    ),
    # A channel's or thread's name changes twice per 10 minutes.
    Limit("7e6d5c40-channel-rename", "PATCH", CHANNEL, 2, 600.0, renames),
    Limit("5f4e3d20-webhook-send", "POST", WEBHOOK, 5, 2.0),
    Limit("5f4e3d21-webhook-edit", "PATCH", WEBHOOK + r"/messages/[^/]+", 5, 2.0),
)


@dataclass
class Window:
    limit: int
    resets_at: float
    used: int = 0


@dataclass
class Verdict:
    """The rate-limit headers for this answer, and how long to wait if it is refused."""

    headers: dict[str, str]
    retry_after: float | None = None

    def refusal(self) -> web.Response:
        assert self.retry_after is not None
        return too_many_requests(self.retry_after, self.headers)


def too_many_requests(retry_after: float, headers: dict[str, str]) -> web.Response:
    """Discord's 429 for a spent bucket."""
    body = {"message": "You are being rate limited.", "retry_after": round(retry_after, 3)}
    body["global"] = False
    headers = headers | {
        "Content-Type": "application/json",
        "Retry-After": str(math.ceil(retry_after)),
        "X-RateLimit-Scope": "user",
    }
    return web.Response(body=json.dumps(body).encode(), status=429, headers=headers)


@dataclass
class RateLimits:
    clock: Clock
    limits: tuple[Limit, ...] = LIMITS
    enabled: bool = True
    _windows: dict[tuple[str, str], Window] = field(default_factory=dict)

    def take(self, method: str, path: str, body: Any) -> Verdict | None:
        """Count this request against its bucket; None when no limit covers it."""
        if not self.enabled:
            return None
        for limit in self.limits:
            major = limit.major(method, path, body)
            if major is not None:
                return self._count(limit, major)
        return None

    def _count(self, limit: Limit, major: str) -> Verdict:
        now = self.clock.now()
        window = self._windows.get((limit.bucket, major))
        if window is None or now >= window.resets_at:
            window = self._windows[(limit.bucket, major)] = Window(limit.limit, now + limit.per)
        reset_after = window.resets_at - now
        refused = window.used >= window.limit
        if not refused:
            window.used += 1
        headers = {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": str(window.limit - window.used),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": limit.bucket,
            "Via": "1.1 google",
        }
        return Verdict(headers, reset_after if refused else None)
