"""Tiny images for tests: from the bundled examples, or plain ones of a given size."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
ASTRONAUT = ROOT / "engine" / "examples" / "astronaut.png"
HUBBLE = ROOT / "engine" / "examples" / "hubble_deep_field.jpg"
CAT = ROOT / "tests" / "images" / "cat.png"


def small(path: Path, longest: int = 48) -> Image.Image:
    image = Image.open(path).convert("RGB")
    image.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    return image


def png_bytes(image: Image.Image, fmt: str = "PNG", **save_args: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save_args)
    return buffer.getvalue()


def png(width: int, height: int) -> bytes:
    """A plain PNG of the given size (what a check of the size or shape needs)."""
    return png_bytes(Image.new("RGB", (width, height), (200, 30, 30)))
