"""One retry policy for every loop that waits out Discord's bad minutes (5xx, 429 past
discord.py's own retries, dropped connections, timeouts), on one injected clock.

Delays double from `first_delay` up to `max_delay`; trying stops once the thing is older than
`max_age` or after `max_tries`. discord.py's `ExponentialBackoff` jitters between 0 and a
ceiling that only stops growing at 2**10 × base, with no age limit, so it does not fit here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from bot.messages.discord_errors import is_transient

log = logging.getLogger(__name__)

T = TypeVar("T")


class Clock(Protocol):
    def now(self) -> float: ...
    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Unix time, and asyncio's sleep."""

    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


SYSTEM_CLOCK = SystemClock()


class TooLate(Exception):
    """Discord kept failing until the policy said to stop trying."""


@dataclass(frozen=True)
class RetryPolicy:
    max_age: float = 3600.0  # seconds after `since` that trying is still worth it
    first_delay: float = 1.0
    max_delay: float = 60.0
    max_tries: int | None = None

    def delay(self, failures: int) -> float:
        return min(self.max_delay, self.first_delay * 2 ** max(failures - 1, 0))


DEFAULT_POLICY = RetryPolicy()
# The last state of a status message is the one the member reads later: worth a few tries, but
# not worth holding back the answer that follows it.
FINAL_EDIT_POLICY = RetryPolicy(max_tries=5)


@dataclass(frozen=True)
class Retrying:
    policy: RetryPolicy = DEFAULT_POLICY
    clock: Clock = SYSTEM_CLOCK

    async def call(
        self,
        attempt: Callable[[], Awaitable[T]],
        *,
        since: float,
        what: str,
        on_retry: Callable[[], None] = lambda: None,
    ) -> T:
        """`attempt()`'s result, tried again after each transient failure; any other error
        propagates, and TooLate (from the last failure) once the policy says stop."""
        failures = 0
        while True:
            try:
                return await attempt()
            except Exception as exc:
                if not is_transient(exc):
                    raise
                failures += 1
                if self._exhausted(failures, since):
                    raise TooLate(f"{what}: {type(exc).__name__}: {exc}") from exc
                delay = self.policy.delay(failures)
                on_retry()
                log.warning(
                    "%s failed (%s: %s); retrying in %.1f s", what, type(exc).__name__, exc, delay
                )
                await self.clock.sleep(delay)

    def with_policy(self, policy: RetryPolicy) -> Retrying:
        return Retrying(policy, self.clock)

    def _exhausted(self, failures: int, since: float) -> bool:
        tries = self.policy.max_tries
        too_many = tries is not None and failures >= tries
        return too_many or self.clock.now() - since > self.policy.max_age
