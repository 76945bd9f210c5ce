"""Tiny clips with known motion for the animation tests, made from the bundled photos."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from tests.engine_images import ASTRONAUT, HUBBLE

SIDE = 48
DURATIONS = [80, 120, 60, 100, 90, 70]


def panned(frames: int = 4, step: int = 3, side: int = SIDE) -> list[Image.Image]:
    """A camera panning right over the astronaut by `step` px a frame: each pixel of a frame
    shows what the frame before showed `step` px to its right (the flow back is (step, 0))."""
    photo = Image.open(ASTRONAUT).convert("RGB").resize((side * 2, side), Image.Resampling.LANCZOS)
    return [photo.crop((t * step, 0, t * step + side, side)) for t in range(frames)]


def style(side: int = SIDE) -> Image.Image:
    return Image.open(HUBBLE).convert("RGB").resize((side, side), Image.Resampling.LANCZOS)


def gif_bytes(frames: list[Image.Image], durations: list[int], loop: int | None = 0) -> bytes:
    buffer = io.BytesIO()
    options = {} if loop is None else {"loop": loop}
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:],
                   duration=durations, **options)  # fmt: skip
    return buffer.getvalue()


def gif_colour_tables(data: bytes) -> tuple[bool, int]:
    """(has a global colour table, how many frames bring a local one), read from the blocks."""
    flags = data[10]
    position = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    local = 0
    while data[position] != 0x3B:  # trailer
        if data[position] == 0x21:  # extension: label, then sub-blocks
            position += 2
        else:  # image descriptor, optional local table, LZW minimum code size, sub-blocks
            packed = data[position + 9]
            local += bool(packed & 0x80)
            position += 10 + (3 * 2 ** ((packed & 7) + 1) if packed & 0x80 else 0) + 1
        while data[position]:
            position += data[position] + 1
        position += 1
    return bool(flags & 0x80), local


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.float32) / 255
