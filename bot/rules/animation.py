"""What makes a job an animation: the limits its clip is decoded within (the server's own, under
the bot's), as stored on its row, and how they become the engine's `AnimationSettings`."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from bot.config import Limits
from bot.rules.settings import GuildSettings
from engine.motion.clip import ClipFacts
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


@dataclass(frozen=True)
class FittedAnimation:
    """An animated content within the server's and the bot's limits: what it is painted within,
    its frames' size, and what was scaled down, as the member reads it at queue time."""

    animation: Animation
    size: int
    notes: tuple[str, ...]


def _ceiling(own: float | None, bot: float) -> tuple[float, str]:
    """The lower of a server's own limit and the bot's, and who set it."""
    return (own, "this server") if own is not None and own < bot else (bot, "this bot")


def _ceilings(settings: GuildSettings, limits: Limits) -> tuple[tuple[float, str], ...]:
    """Frames, seconds, frame rate and frame size, each with who set it."""
    return (
        _ceiling(settings.max_frames, limits.max_frames),
        _ceiling(settings.max_clip_seconds, limits.max_clip_seconds),
        _ceiling(settings.max_fps, limits.max_fps),
        _ceiling(settings.max_animation_size, limits.max_animation_size),
    )


def animation_bounds(settings: GuildSettings, limits: Limits) -> tuple[Animation, int]:
    """What any animation is painted within on a server, and its frames' largest size."""
    (frames, _), (seconds, _), (fps, _), (longest, _) = _ceilings(settings, limits)
    return Animation(int(frames), seconds, fps), int(longest)


def fit_animation(
    facts: ClipFacts, size: int, settings: GuildSettings, limits: Limits
) -> FittedAnimation:
    """The limits an animated content is painted within, noting each one its clip is over."""
    (frames, frames_by), (seconds, seconds_by), (fps, fps_by), (longest, size_by) = _ceilings(
        settings, limits
    )
    notes = []
    if facts.seconds > seconds:
        notes.append(
            f"only the first {seconds:g} s are painted, as set by {seconds_by} "
            f"(the {facts.source} lasts {facts.seconds:.1f} s)"
        )
    if facts.fps > fps + 0.05:
        notes.append(
            f"frame rate capped at {fps:g} a second by {fps_by} "
            f"(the {facts.source} has {facts.fps:.0f})"
        )
    if facts.frames > frames:
        notes.append(
            f"frames capped at {frames:g} by {frames_by} (the {facts.source} has {facts.frames})"
        )
    if size > longest:
        notes.append(f"size capped at {longest:g} px for an animation by {size_by}")
    return FittedAnimation(
        Animation(int(frames), seconds, fps), int(min(size, longest)), tuple(notes)
    )
