"""Only the formats Atelier accepts are ever decoded, and Pillow's own decompression-bomb cap is
Atelier's: a member who sends an icon, a Photoshop file or a bomb hears what was wrong, and no
reader outside PNG, JPEG, WebP and GIF runs on their bytes."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator

import pytest
from PIL import Image

from engine.errors import InvalidImage
from engine.images import (
    DEFAULT_MAX_PIXELS,
    decode_image,
    open_image,
    pixel_cap,
    probe_image,
    set_pixel_cap,
)
from tests.engine_images import ASTRONAUT, png_bytes, small

ACCEPTED = "Atelier reads PNG, JPEG, WebP or GIF pictures"


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def black_png(side: int) -> bytes:
    """A real side×side greyscale PNG, a few kilobytes that decode to side² bytes."""
    packer = zlib.compressobj(9)
    rows = b"".join(packer.compress(b"\0" * (side + 1)) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def icon_around(png: bytes) -> bytes:
    entry = struct.pack("<BBBBHHII", 0, 0, 0, 0, 1, 32, len(png), 22)
    return struct.pack("<HHH", 0, 1, 1) + entry + png


def photoshop_file() -> bytes:
    header = b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, 8, 8, 8, 3)
    return header + struct.pack(">IIIH", 0, 0, 0, 0) + b"\x80" * 3 * 64


@pytest.fixture
def cap() -> Iterator[None]:
    """Leaves this process's pixel cap as the test found it."""
    yield
    set_pixel_cap(DEFAULT_MAX_PIXELS)


def test_an_icon_around_a_huge_png_is_refused_by_name_before_it_is_decoded():
    bomb = icon_around(black_png(8000))  # 64 MB decoded, inside Image.open for Pillow's ICO
    assert len(bomb) < 100_000

    with pytest.raises(InvalidImage) as refused:
        probe_image(bomb)

    assert str(refused.value) == f"this file is in the ICO format; {ACCEPTED}"


@pytest.mark.parametrize(
    ("fmt", "data"),
    [
        ("PSD", photoshop_file()),
        ("ICNS", png_bytes(small(ASTRONAUT, 32).convert("RGBA").resize((32, 32)), "ICNS")),
        ("TIFF", png_bytes(small(ASTRONAUT, 16), "TIFF")),
        ("BMP", png_bytes(small(ASTRONAUT, 16), "BMP")),
    ],
)
def test_a_picture_in_a_format_atelier_does_not_take_is_refused_with_its_name(fmt, data):
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == fmt  # Pillow itself would read it

    with pytest.raises(InvalidImage, match=f"^this file is in the {fmt} format; {ACCEPTED}$"):
        decode_image(data)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
def test_every_format_atelier_takes_still_opens(fmt):
    assert probe_image(png_bytes(small(ASTRONAUT, 24), fmt)) == (24, 24)


def test_pillows_decompression_bomb_cap_follows_the_admins_pixel_cap(cap):
    set_pixel_cap(60_000_000)

    assert pixel_cap() == Image.MAX_IMAGE_PIXELS == 60_000_000


def test_a_picture_over_the_process_cap_is_refused_with_its_size_and_one_under_it_opens(cap):
    picture = black_png(1000)  # 1 MP
    set_pixel_cap(999_999)

    with pytest.raises(InvalidImage, match=r"^the image is 1000×1000 = 1\.0 megapixels"):
        open_image(picture)
    set_pixel_cap(1_000_000)
    assert probe_image(picture) == (1000, 1000)


def test_a_frame_past_pillows_own_cap_is_refused_even_when_the_caller_lifts_ours(cap):
    set_pixel_cap(100_000)

    with pytest.raises(InvalidImage, match="too many megapixels"):
        open_image(black_png(1000), max_pixels=10**12)
