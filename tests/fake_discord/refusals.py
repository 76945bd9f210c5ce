"""Which refused requests a story meant: the ones it injected or declared, not the bot's mistakes.

A refusal is a request the fake answered with an error (4xx other than 429, which Discord's
clients wait out) or did not know. A story declares the refusals it provokes with
`fake.expect_refusal(...)` (for a block) or by changing the world with a helper that makes
Discord refuse something (`forbid_threads`, `close_dms`, `set_permissions`, `expire`, ...), which
allows the refusals it causes until the test ends.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .state import RecordedRequest


@dataclass(frozen=True)
class Expected:
    """Refusals matching every given field: Discord's JSON code, HTTP status, a regex searched
    in the path, the method."""

    code: int | None = None
    status: int | None = None
    path: str | None = None
    method: str | None = None

    def covers(self, request: RecordedRequest) -> bool:
        return (
            (self.code is None or self.code == request.code)
            and (self.status is None or self.status == request.status)
            and (self.method is None or self.method == request.method)
            and (self.path is None or re.search(self.path, request.path) is not None)
        )


class Refusals:
    def __init__(self) -> None:
        self._expected: list[Expected] = []

    def covers(self, request: RecordedRequest) -> bool:
        return request.fault is not None or any(e.covers(request) for e in self._expected)

    def allow(self, expected: Expected) -> None:
        """Until `reset` (the end of the test)."""
        self._expected.append(expected)

    @contextmanager
    def expect(self, expected: Expected) -> Iterator[None]:
        self._expected.append(expected)
        try:
            yield
        finally:
            self._expected.remove(expected)

    def reset(self) -> None:
        self._expected.clear()
