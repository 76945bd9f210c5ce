"""Checks of a member's pictures: what Discord says about them, their bytes, and their shape.

Each check raises `RequestRefused` with the numbers the member needs to fix the picture.
"""

from __future__ import annotations

from PIL import Image

from bot.config import Limits
from bot.rules.refusals import RequestRefused
from engine.errors import InvalidImage, TooManyPixels
from engine.images import decode_image, probe_image
from engine.motion.clip import ClipFacts, decode_clip, is_animation, probe_clip, probe_video
from engine.motion.settings import AnimationSettings
from engine.params import StyleParams
from engine.shapes import (
    MIN_FEATURE_SIDE,
    coarsest_longest,
    max_aspect,
    short_side,
    style_longest,
)

FIRST_FRAME = AnimationSettings(max_frames=1)


def human_bytes(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{size / 1000:.0f} KB" if size >= 1000 else f"{size} bytes"


def human_pixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:.1f} MP" if pixels >= 1_000_000 else f"{pixels:,} pixels"


def check_attachment(
    label: str, filename: str, content_type: str | None, size: int, limits: Limits
) -> None:
    """What Discord tells us before we download anything: type and size. The content may
    also be a short video clip."""
    kind = (content_type or "image/").lower()
    if not (kind.startswith("image/") or (label == "content" and kind.startswith("video/"))):
        clips = " (or, as content, an MP4, WebM or MOV clip)" if label == "content" else ""
        raise RequestRefused(
            f"The {label} image `{filename}` is not an image ({content_type}). "
            f"Attach a PNG, JPEG, WebP or GIF{clips}.",
            reason="not_an_image",
        )
    if size > limits.max_input_bytes:
        raise RequestRefused(
            f"The {label} image `{filename}` is {human_bytes(size)}; "
            f"the limit is {human_bytes(limits.max_input_bytes)}.",
            reason="too_many_bytes",
        )


def check_image_bytes(label: str, filename: str, data: bytes, limits: Limits) -> tuple[int, int]:
    """The engine's own check (engine.images.probe_image): the pixel cap from the header, then a
    full decode to prove the file is readable, so a decompression bomb is refused before it is
    expanded. Returns (width, height)."""
    if len(data) > limits.max_input_bytes:
        raise RequestRefused(
            f"The {label} image `{filename}` is {human_bytes(len(data))}; "
            f"the limit is {human_bytes(limits.max_input_bytes)}.",
            reason="too_many_bytes",
        )
    try:
        return (
            content_size(data, limits.max_input_pixels)
            if label == "content"
            else probe_image(data, max_pixels=limits.max_input_pixels)
        )
    except TooManyPixels as error:
        raise RequestRefused(
            f"The {label} image `{filename}` is {error.width}×{error.height} "
            f"({human_pixels(error.width * error.height)}); the limit is "
            f"{human_pixels(limits.max_input_pixels)}.",
            reason="too_many_pixels",
        ) from None
    except InvalidImage as error:  # the engine's sentence says what is wrong with the file
        raise RequestRefused(
            f"The {label} image `{filename}` could not be read: {error}.", reason="unreadable"
        ) from None


def content_size(data: bytes, max_pixels: int | None = None) -> tuple[int, int]:
    """(width, height) of a content: a picture, an animated picture or a short video clip."""
    try:
        return probe_image(data, max_pixels=max_pixels)
    except InvalidImage:
        if not is_animation(data):
            raise
        return probe_video(data) if max_pixels is None else probe_video(data, max_pixels=max_pixels)


def first_picture(data: bytes) -> Image.Image:
    """A picture decoded as the engine decodes stills, or a video's first frame."""
    try:
        return decode_image(data)
    except InvalidImage:
        return decode_clip(data, FIRST_FRAME).frames[0]


def motion_of(data: bytes) -> ClipFacts | None:
    """A content painted as an animation (more than one frame, or a video): its frames, length
    and rate before any limit; None for a still."""
    if not is_animation(data):
        return None
    try:
        return probe_clip(data)
    except InvalidImage as error:
        raise RequestRefused(
            f"The content animation could not be read: {error}.", reason="unreadable"
        ) from None


def check_shape(label: str, size: tuple[int, int], params: StyleParams) -> None:
    """Refuse a picture too thin to survive the painter's coarsest scale, with the numbers."""
    longest = coarsest_longest(params) if label == "content" else style_longest(params)
    width, height = size
    thin = short_side(width, height, longest)
    if thin >= MIN_FEATURE_SIDE:
        return
    raise RequestRefused(
        f"The {label} image is {width}×{height}, too long and thin to paint: "
        f"its short side would shrink to {thin} px at the first, coarsest step, and the painter "
        f"needs at least {MIN_FEATURE_SIDE} px. Crop it to at most about "
        f"{max_aspect(longest):.0f}:1{' or ask for a larger size' if label == 'content' else ''}.",
        reason="too_thin",
    )
