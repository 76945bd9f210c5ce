"""What makes a job an animation: the limits its clip is decoded within, as stored on its row,
and how they become the engine's `AnimationSettings`."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from bot.config import Limits
from engine.motion.settings import FORMATS, AnimationSettings, OutputFormat

FORMAT_NAMES = " / ".join(FORMATS)
# Room for the multipart envelope and the message's JSON next to the file itself.
ENVELOPE_BYTES = 64 * 1024
ANIMATIONS_STILL_ONLY = (
    "An animated or video content is painted frame by frame: Variations and Upscale ×2 are "
    "for still pictures. Use quality:full or quality:preview (Run again, Stronger and Weaker "
    "work under an animation)."
)


@dataclass(frozen=True)
class Animation:
    """An animation job's limits, after the server's and the bot's were applied."""

    max_frames: int
    max_seconds: float
    max_fps: float

    def settings(self, output: OutputFormat | None, upload_limit: int) -> AnimationSettings:
        """The engine's settings: the result must fit the upload limit read at run time."""
        return AnimationSettings(
            format=output,
            max_frames=self.max_frames,
            max_seconds=self.max_seconds,
            max_fps=self.max_fps,
            max_bytes=max(1024, upload_limit - ENVELOPE_BYTES),
        )

    def to_column(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_column(cls, value: object) -> Animation | None:
        return cls(**json.loads(value)) if isinstance(value, str) and value else None


def stored_animation(value: Animation | None) -> str | None:
    return None if value is None else value.to_column()


def animation_limits(limits: Limits) -> Animation:
    """The limits an animated content is painted within."""
    return Animation(limits.max_frames, limits.max_clip_seconds, limits.max_fps)
