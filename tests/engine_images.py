"""Tiny images for tests: from the bundled examples, or plain ones of a given size."""

from __future__ import annotations

import io
import struct
import zlib
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


def png_chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk with its length and CRC, for files whose insides a test chooses."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that says it is width×height but holds no pixels: only a decoder finds it broken."""
    header = png(width, height)[:33]  # the signature and IHDR
    return header + png_chunk(b"IDAT", b"not deflate data") + png_chunk(b"IEND", b"")
