"""One submitted job as its caller sees it: a stream of events, a result, a cancel button.

Backend-neutral: a backend creates the job with a way to cancel it and publishes events into it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

from engine.motion.store import FrameStore
from engine.params import StyleParams
from engine.pool.events import Done, Failed, JobEvent, Outcome


class Job:
    def __init__(
        self,
        job_id: str,
        params: StyleParams,
        cancel: Callable[[Job], Awaitable[None]],
        frames: FrameStore | None = None,
    ) -> None:
        self.id = job_id
        self.params = params
        self.frames = frames  # where an animation's finished frames are kept, if anywhere
        self._cancel = cancel
        self._events: asyncio.Queue[JobEvent] = asyncio.Queue()
        self._outcome: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        # Seconds each event spent between the worker sending it and the event loop receiving it.
        self.event_delays: list[float] = []

    async def events(self) -> AsyncIterator[JobEvent]:
        """Every event in order, ending with exactly one Done or Failed. Meant for one reader."""
        while not (self._events.empty() and self._outcome.done()):
            event = await self._events.get()
            yield event
            if isinstance(event, Done | Failed):
                return

    async def result(self) -> Outcome:
        return await asyncio.shield(self._outcome)

    async def cancel(self) -> None:
        """Stop the job (a queued one never starts) and wait until it has ended."""
        if not self.finished:
            await self._cancel(self)

    @property
    def finished(self) -> bool:
        return self._outcome.done()

    def publish(self, event: JobEvent, delay: float | None = None) -> None:
        """Called by the backend; anything after the terminal event is dropped."""
        if self.finished:
            return
        if delay is not None:
            self.event_delays.append(delay)
        self._events.put_nowait(event)
        if isinstance(event, Done | Failed):
            self._outcome.set_result(event)

    def __repr__(self) -> str:
        return f"Job({self.id!r})"
