"""The instant preview of a clip: every frame painted by the feed-forward network (one pass
each), with one style vector for the whole clip, and each blended with its warped predecessor
where the flow is trustworthy, so the texture holds still instead of boiling; and the clip's
animation, encoded as a full painting's is. Torch-free, like engine.preview: the bot's preview
lane runs it for `quality:preview`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image

from engine.images import Source, from_pixels, resize_longest
from engine.motion.answer import output_format, result_note
from engine.motion.clip import decode_clip
from engine.motion.encode import Encoded, encode_clip
from engine.motion.flow import carry, flow_between
from engine.motion.settings import PREVIEW_CARRY, AnimationSettings
from engine.params import StyleParams
from engine.preview.model import PreviewModel


def steadied(
    painted: np.ndarray, previous: np.ndarray, flow: np.ndarray, mask: np.ndarray
) -> np.ndarray:
    """`painted` with PREVIEW_CARRY of the warped `previous` mixed in where `mask` trusts the
    flow. Arrays are H×W×3 float32 in 0..1; `flow` maps `painted`'s pixels into `previous`."""
    kept = PREVIEW_CARRY * mask[..., None]
    return painted * (1 - kept) + carry(previous, flow) * kept


def preview_clip(
    model: PreviewModel,
    frames: Sequence[Image.Image],
    styles: Sequence[Image.Image],
    params: StyleParams,
    on_frame: Callable[[int, Image.Image], None] | None = None,
) -> list[Image.Image]:
    """Every frame's preview with the job's size, strength, brush and colours."""
    vector = model.vector_for(frames[0], styles, params.style_blend, params.strength)
    sized = [resize_longest(frame, params.size) for frame in frames]
    results: list[Image.Image] = []
    previous: np.ndarray | None = None
    for index, frame in enumerate(sized):
        image = model.paint_with(
            frame,
            vector,
            params.size,
            preserve_colors=params.preserve_colors,
            style_scale=params.style_scale,
        )
        pixels = np.asarray(image, dtype=np.float32) / 255
        if previous is not None:
            flow, mask = flow_between(frame, sized[index - 1])
            pixels = steadied(pixels, previous, flow, mask)
        previous = pixels
        image = from_pixels(pixels)
        results.append(image)
        if on_frame is not None:
            on_frame(index, image)
    return results


def preview_animation(
    model: PreviewModel,
    content: Source,
    styles: Sequence[Image.Image],
    params: StyleParams,
    settings: AnimationSettings,
    on_frame: Callable[[int, int], None] | None = None,
) -> tuple[Encoded, str | None]:
    """The clip's preview as the full painting's file would be: decoded within `settings`, one
    palette, the source's timing and loop, the job's format, under `settings.max_bytes` (else
    `TooLarge`); with what was cut or given up, in words. `on_frame(frame, frames)` after each
    frame, 1-based."""
    clip = decode_clip(content, settings)

    def counted(index: int, _: Image.Image) -> None:
        if on_frame is not None:
            on_frame(index + 1, len(clip.frames))

    frames = preview_clip(model, clip.frames, styles, params, counted)
    fmt = output_format(settings, clip)
    encoded = encode_clip(frames, clip.durations_ms, clip.loop, fmt, settings.max_bytes)
    return encoded, result_note(clip, encoded)
