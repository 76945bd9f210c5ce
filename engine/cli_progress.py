"""The command line's progress display: a tqdm bar on a terminal, plain lines in a log.

A redirected stderr (a log file, CI, `docker logs`) gets one line per new scale and every
`LOG_EVERY` of the way, never carriage-return frames.
"""

from __future__ import annotations

from typing import TextIO

from tqdm import tqdm

from engine.events import Progress

LOG_EVERY = 0.1  # plain lines: one each tenth of the run


def format_duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


def progress_line(event: Progress) -> str:
    return (
        f"{event.fraction:4.0%}  scale {event.scale}/{event.scales} "
        f"({event.width}×{event.height})  {event.iteration}/{event.total}  "
        f"loss {event.loss:.3f}  ETA {format_duration(event.eta)}"
    )


class ProgressDisplay:
    """Call with each `Progress`; `close()` when the run ends or stops."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._bar: tqdm | None = None
        self._terminal = stream.isatty()
        self._scale = 0
        self._next_line = 0.0

    def __call__(self, event: Progress) -> None:
        if self._terminal:
            self._show_bar(event)
        elif (
            event.scale != self._scale
            or event.fraction >= self._next_line
            or event.iteration == event.total
        ):
            self._stream.write(progress_line(event) + "\n")
            self._stream.flush()
            self._next_line = event.fraction + LOG_EVERY
        self._scale = event.scale

    def _show_bar(self, event: Progress) -> None:
        if self._bar is None:
            self._bar = tqdm(total=event.total, file=self._stream, unit="it", dynamic_ncols=True)
        self._bar.set_postfix_str(
            f"scale {event.scale}/{event.scales} ({event.width}×{event.height}) "
            f"loss {event.loss:.3f}",
            refresh=False,
        )
        self._bar.update(event.iteration - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
