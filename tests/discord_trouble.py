"""What the lifecycle's unit tests fake of time and of Discord's bad days."""

from __future__ import annotations

import time
from types import SimpleNamespace

import discord


class FakeClock:
    """Time that moves only when someone sleeps (from now, as the job store stamps jobs)."""

    def __init__(self) -> None:
        self.time = time.time()
        self.slept: list[float] = []

    def now(self) -> float:
        return self.time

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.time += seconds


def outage() -> OSError:
    """A dropped connection: a retry can fix it."""
    return ConnectionResetError("Discord went away")


def forbidden() -> discord.Forbidden:
    """Discord refusing for good: no retry fixes it."""
    return discord.Forbidden(SimpleNamespace(status=403, reason="Forbidden"), "Missing Access")
