"""Why the pool refuses a job up front. Messages are safe to show to a user."""

from __future__ import annotations

from engine.errors import EngineError


class QueueFull(EngineError):
    """Too many jobs are already waiting."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the queue is full ({limit} jobs waiting); please try again later")
        self.limit = limit


class EngineUnavailable(EngineError):
    """The pool is shutting down, or none of its workers could start."""
