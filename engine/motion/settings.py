"""An animation job's settings beside its StyleParams, each default written once. Plain data:
it crosses process boundaries as is."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, get_args

OutputFormat = Literal["gif", "mp4", "webp"]
FORMATS: tuple[OutputFormat, ...] = get_args(OutputFormat)

# Each later frame starts from the previous result warped along the flow, so it needs only a
# fraction of the first frame's iterations, all at the finest scale: 4 of the default 120
# (docs/benchmarks.md has the measurements).
LATER_SHARE = 1 / 30
MIN_LATER_ITERATIONS = 4
# The temporal term's weight, relative to the content weight (python -m bench.motion).
TEMPORAL_WEIGHT = 20.0
# The instant preview keeps this much of the warped previous frame where the flow holds.
PREVIEW_CARRY = 0.6
# Frame durations are whole milliseconds, so a clip at the rate cap can read a little over it
# (33 ms a frame is 30.3 a second): a frame is dropped only when it comes this much early.
RATE_SLACK_MS = 0.5


def comes_too_soon(gap_ms: float, max_fps: float) -> bool:
    """Whether a frame `gap_ms` after the last one kept is over the `max_fps` rate."""
    return gap_ms < 1000 / max_fps - RATE_SLACK_MS


@dataclass(frozen=True)
class AnimationSettings:
    """What an animation job may decode and write. `format` None: a GIF for an image source,
    an MP4 for a video. `max_bytes` None: no size limit."""

    format: OutputFormat | None = None
    max_frames: int = 48
    max_seconds: float = 10.0
    max_fps: float = 25.0
    max_bytes: int | None = None
    later_share: float = LATER_SHARE
    temporal_weight: float = TEMPORAL_WEIGHT
    close_loop: bool = True  # a looping source: its last frame is also held toward the first

    def __post_init__(self) -> None:
        if self.format is not None and self.format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {self.format!r}")
        if self.max_frames < 1:
            raise ValueError(f"max_frames must be at least 1, got {self.max_frames}")
        if self.max_seconds <= 0 or self.max_fps <= 0:
            raise ValueError("max_seconds and max_fps must be positive")
        if self.max_bytes is not None and self.max_bytes < 1024:
            raise ValueError(f"max_bytes must be at least 1024, got {self.max_bytes}")
        if not 0 < self.later_share <= 1 or self.temporal_weight < 0:
            raise ValueError("later_share must be in (0, 1] and temporal_weight not negative")

    def later_iterations(self, iterations: int) -> int:
        """The budget of each frame after the first."""
        return max(min(MIN_LATER_ITERATIONS, iterations), round(iterations * self.later_share))

    def with_changes(self, **changes: object) -> AnimationSettings:
        return replace(self, **changes)
