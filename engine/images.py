"""Decoding user images defensively and encoding results; Pillow only, no tensors."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from engine.errors import InvalidImage

# 40 megapixels: larger than any phone photo, small enough that a decoded RGB copy stays ~120 MB.
DEFAULT_MAX_PIXELS = 40_000_000


def _open(data: bytes | str | Path, max_pixels: int) -> Image.Image:
    source = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    try:
        with warnings.catch_warnings():
            # We enforce our own pixel cap below, before anything is decoded.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(source)
    except FileNotFoundError:
        raise
    except Image.DecompressionBombError as error:
        raise InvalidImage(
            f"the image is over the limit of {max_pixels / 1e6:.1f} megapixels"
        ) from error
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise InvalidImage(
            "this file is not an image we can read (PNG, JPEG, WebP, GIF, …)"
        ) from error


def decode_image(data: bytes | str | Path, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Any readable still or animated image, as 8-bit RGB, upright, alpha flattened onto white."""
    image = _open(data, max_pixels)
    width, height = image.size
    if width < 1 or height < 1:
        raise InvalidImage("the image is empty")
    if width * height > max_pixels:
        raise InvalidImage(
            f"the image is {width}×{height} = {width * height / 1e6:.1f} megapixels; "
            f"the limit is {max_pixels / 1e6:.1f}"
        )
    try:
        image.seek(0)  # animated images: the first frame
        image.load()
        image = ImageOps.exif_transpose(image)
        return _to_rgb(image)
    except InvalidImage:
        raise
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise InvalidImage("the image file is damaged or truncated") from error


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale: keep the top 8 bits rather than clipping at 255.
        image = image.point(lambda v: v / 256).convert("L")
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "RGBa"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def resize_longest(image: Image.Image, longest: int) -> Image.Image:
    """Scale so the longest side is `longest` px, keeping the aspect ratio."""
    width, height = image.size
    scale = longest / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if size == image.size:
        return image
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()
