"""What makes a job an animation: the limits its clip is decoded within (the server's own, under
the bot's), as stored on its row, and how they become the engine's `AnimationSettings`."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TypeVar

from bot.config import Limits
from bot.rules.settings import GuildSettings
from engine.motion.clip import ClipFacts
from engine.motion.settings import FORMATS, AnimationSettings, OutputFormat, comes_too_soon

FORMAT_NAMES = " / ".join(FORMATS)
# Room for the multipart envelope and the message's JSON next to the file itself.
ENVELOPE_BYTES = 64 * 1024
Bound = TypeVar("Bound", int, float)
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


def _ceiling(own: Bound | None, bot: Bound) -> tuple[Bound, str]:
    """The lower of a server's own limit and the bot's, and who set it."""
    return (own, "this server") if own is not None and own < bot else (bot, "this bot")


def animation_bounds(settings: GuildSettings, limits: Limits) -> tuple[Animation, int]:
    """What any animation is painted within on a server, and its frames' largest size."""
    animation = Animation(
        _ceiling(settings.max_frames, limits.max_frames)[0],
        _ceiling(settings.max_clip_seconds, limits.max_clip_seconds)[0],
        _ceiling(settings.max_fps, limits.max_fps)[0],
    )
    return animation, _ceiling(settings.max_animation_size, limits.max_animation_size)[0]


def fit_animation(
    facts: ClipFacts, size: int, settings: GuildSettings, limits: Limits
) -> FittedAnimation:
    """The limits an animated content is painted within, noting each one its clip is over."""
    bounds, longest = animation_bounds(settings, limits)
    notes = []
    if facts.seconds > bounds.max_seconds:
        by = _ceiling(settings.max_clip_seconds, limits.max_clip_seconds)[1]
        notes.append(
            f"only the first {bounds.max_seconds:g} s are painted, as set by {by} "
            f"(the {facts.source} lasts {facts.seconds:.1f} s)"
        )
    if comes_too_soon(1000 / facts.fps, bounds.max_fps):
        by = _ceiling(settings.max_fps, limits.max_fps)[1]
        notes.append(
            f"frame rate capped at {bounds.max_fps:g} a second by {by} "
            f"(the {facts.source} has {facts.fps:.0f})"
        )
    if facts.frames > bounds.max_frames:
        by = _ceiling(settings.max_frames, limits.max_frames)[1]
        notes.append(
            f"frames capped at {bounds.max_frames} by {by} (the {facts.source} has {facts.frames})"
        )
    if size > longest:
        by = _ceiling(settings.max_animation_size, limits.max_animation_size)[1]
        notes.append(f"size capped at {longest} px for an animation by {by}")
    return FittedAnimation(bounds, min(size, longest), tuple(notes))
