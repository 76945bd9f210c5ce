"""Letting previews through at most once every few seconds: the bot cannot show them faster."""

from __future__ import annotations


class Throttle:
    """Allows one event per `interval` seconds, the first one `interval` after `start`."""

    def __init__(self, interval: float, start: float) -> None:
        self.interval = interval
        self._last = start

    def allow(self, now: float) -> bool:
        if now - self._last < self.interval:
            return False
        self._last = now
        return True
