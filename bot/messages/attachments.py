"""Fitting a result under a server's upload limit, and the small thumbnails of a job's inputs."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from bot.rules.animation import ENVELOPE_BYTES
from bot.rules.images import first_picture, human_bytes
from engine.images import decode_image, encode_png

THUMBNAIL_SIZE = 256
SHRINK_STEP = 0.75


@dataclass(frozen=True)
class Upload:
    data: bytes
    filename: str
    note: str | None  # set when the file is not the original PNG


def _encode(image: Image.Image, fmt: str, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, quality=quality)
    return out.getvalue()


def fit_upload(png: bytes, limit: int, stem: str) -> Upload:
    """The PNG if it fits; else WebP, then WebP at ever smaller sizes, and a note that says so."""
    budget = limit - ENVELOPE_BYTES
    if len(png) <= budget:
        return Upload(png, f"{stem}.png", None)
    image = decode_image(png)
    over = (
        f"The PNG ({human_bytes(len(png))}) is over this server's {human_bytes(limit)} upload limit"
    )
    data = _encode(image, "WEBP", 90)
    if len(data) <= budget:
        return Upload(data, f"{stem}.webp", f"{over}, so this is a high-quality WebP.")
    width, height = image.size
    while width > 16 and height > 16:
        width, height = int(width * SHRINK_STEP), int(height * SHRINK_STEP)
        data = _encode(image.resize((width, height), Image.Resampling.LANCZOS), "WEBP", 85)
        if len(data) <= budget:
            return Upload(
                data, f"{stem}.webp", f"{over}, so this is a WebP scaled down to {width}×{height}."
            )
    raise ValueError(f"cannot fit an image into {limit} bytes")


def fit_result(data: bytes, suffix: str, limit: int, stem: str) -> Upload:
    """A result as posted: a PNG as `fit_upload` fits it; an animation as the engine encoded
    it, already within the limit it was given (`bot.rules.animation`)."""
    if suffix == "png":
        return fit_upload(data, limit, stem)
    if len(data) > limit - ENVELOPE_BYTES:
        raise ValueError(f"the {suffix} result is over the {limit} bytes upload limit")
    return Upload(data, f"{stem}.{suffix}", None)


def thumbnail_png(data: bytes, size: int = THUMBNAIL_SIZE) -> bytes:
    """A small PNG of an input for the public queue message (the original may be large).

    Decoded as the engine decodes it (sRGB from its ICC profile, upright, alpha on white), so
    the thumbnail shows the colours the painting will start from; a video shows its first
    frame."""
    thumb = first_picture(data)
    thumb.thumbnail((size, size))
    return encode_png(thumb)
