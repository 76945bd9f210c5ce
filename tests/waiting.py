"""Waiting in a story for something the fake Discord cannot see (the bot's own database, the
engine's workers): poll it until it looks right, with a deadline."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    read: Callable[[], T | Awaitable[T]],
    good: Callable[[T], object] = bool,
    timeout: float = 10,
) -> T:
    """Call `read` (plain or async) until `good` holds for what it returns; that value."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = read()
        if inspect.isawaitable(value):
            value = await value
        if good(value):  # type: ignore[arg-type]
            return value  # type: ignore[return-value]
        assert asyncio.get_running_loop().time() < deadline, f"still {value!r}"
        await asyncio.sleep(0.05)
