"""What an animation is answered as, shared by the full painting (`job`) and the instant
preview (`preview`), so both give the same file for the same job. Torch-free."""

from __future__ import annotations

from engine.motion.clip import Clip
from engine.motion.encode import Encoded
from engine.motion.settings import AnimationSettings, OutputFormat


def output_format(settings: AnimationSettings, clip: Clip) -> OutputFormat:
    """What the member asked for, else a GIF for an animated picture and an MP4 for a video."""
    if settings.format is not None:
        return settings.format
    return "gif" if clip.kind == "image" else "mp4"


def result_note(clip: Clip, encoded: Encoded) -> str | None:
    """What the limits cut from the clip and what its file gave up to fit, in words."""
    notes = [f"painted {' and '.join(clip.limited)}"] if clip.limited else []
    notes += [encoded.note] if encoded.note else []
    return "; ".join(notes) or None
