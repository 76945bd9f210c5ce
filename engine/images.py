"""Decoding user images defensively and encoding results; Pillow and numpy only, no tensors.

The bot process imports this module too (to check uploads before queueing them), so it must never
import torch.
"""

from __future__ import annotations

import io
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from engine.errors import InvalidImage, TooManyPixels

# 40 megapixels: larger than any phone photo, small enough that a decoded RGB copy stays ~120 MB.
DEFAULT_MAX_PIXELS = 40_000_000

# The formats Atelier reads: what members post and Discord shows. Pillow is asked to try only
# these, so no other reader (ICO, ICNS, PSD, TIFF…) ever sees a member's bytes: some of them
# decode inside `Image.open`, before any pixel cap could be checked.
ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
ACCEPTED_NAMES = "PNG, JPEG, WebP or GIF"

# What an output file's extension asks for (Pillow's format names; TIFF is written as 16-bit).
OUTPUT_FORMATS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".webp": "WEBP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
}
JPEG_QUALITY = 95
WEBP_QUALITY = 95

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
# The colour modes an embedded ICC profile can describe, and what they become in sRGB.
_ICC_OUTPUT_MODES = {"RGB": "RGB", "RGBA": "RGBA", "CMYK": "RGB", "L": "RGB"}
# Anything Pillow raises on a damaged file it has started to read.
_DAMAGED = (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError, struct.error)

# Our own cap refuses a picture with its size in words; Pillow's warning tier adds nothing.
warnings.simplefilter("ignore", Image.DecompressionBombWarning)

Source = bytes | str | Path


@dataclass
class _PixelCap:
    pixels: int


_CAP = _PixelCap(DEFAULT_MAX_PIXELS)


def set_pixel_cap(max_pixels: int) -> None:
    """This process's pixel cap (the bot's MAX_INPUT_PIXELS, handed to each worker).

    Pillow's own decompression-bomb cap follows it: Pillow refuses anything over twice this, so
    a frame inside a container is bounded even where our header check cannot see it.
    """
    if max_pixels < 1:
        raise ValueError(f"the pixel cap must be positive, got {max_pixels}")
    _CAP.pixels = max_pixels
    Image.MAX_IMAGE_PIXELS = max_pixels


set_pixel_cap(_CAP.pixels)  # Pillow's cap follows ours from the start


def pixel_cap() -> int:
    return _CAP.pixels


@contextmanager
def _reading() -> Iterator[None]:
    """Whatever Pillow raises on a hostile or broken file, as a sentence."""
    try:
        yield
    except FileNotFoundError:  # a path that names nothing is the caller's mistake, not the file's
        raise
    except Image.DecompressionBombError as error:
        raise InvalidImage(f"the image has too many megapixels ({error})") from error
    except _DAMAGED as error:
        raise InvalidImage("the image file is damaged or truncated") from error


def _format_of(prefix: bytes) -> str | None:
    """The format Pillow would read these bytes as, from its magic number alone (nothing is
    decoded), so a refusal can name what was sent."""
    Image.init()
    for name in Image.ID:
        _, accept = Image.OPEN[name]
        try:
            if accept is not None and accept(prefix):
                return name
        except _DAMAGED:  # some magic checks assume more bytes than a tiny file has
            continue
    return None


def _open(data: Source) -> Image.Image:
    source = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    with _reading():
        try:
            return Image.open(source, formats=ACCEPTED_FORMATS)
        except UnidentifiedImageError as error:
            raise InvalidImage(_unaccepted(data)) from error


def _unaccepted(data: Source) -> str:
    if isinstance(data, bytes | bytearray):
        prefix = bytes(data[:16])
    else:
        with open(data, "rb") as file:
            prefix = file.read(16)
    found = _format_of(prefix)
    if found is None or found in ACCEPTED_FORMATS:
        return f"this file is not an image Atelier can read ({ACCEPTED_NAMES})"
    return f"this file is in the {found} format; Atelier reads {ACCEPTED_NAMES} pictures"


def open_image(data: Source, *, max_pixels: int | None = None) -> Image.Image:
    """The image's first frame, decoded, after its header passed the pixel cap.

    The one path every image takes in: the bot's upload check, its thumbnails and the engine's
    decoding. Only ACCEPTED_FORMATS are tried. Raises `TooManyPixels` before decoding anything
    over the cap (`max_pixels`, else this process's `pixel_cap()`), `InvalidImage` for anything
    unreadable.
    """
    cap = pixel_cap() if max_pixels is None else max_pixels
    image = _open(data)
    width, height = image.size
    if width < 1 or height < 1:
        raise InvalidImage("the image is empty")
    if width * height > cap:
        raise TooManyPixels(width, height, cap)
    with _reading():
        image.seek(0)  # animated images: the first frame
        image.load()
    return image


def probe_image(data: Source, *, max_pixels: int | None = None) -> tuple[int, int]:
    """(width, height) of a readable image under the cap; raises as `open_image` does."""
    with open_image(data, max_pixels=max_pixels) as image:
        return image.size


def decode_image(data: Source, *, max_pixels: int | None = None) -> Image.Image:
    """Any readable still or animated image as 8-bit sRGB, upright, alpha flattened onto white."""
    image = open_image(data, max_pixels=max_pixels)
    with _reading():
        image = ImageOps.exif_transpose(image)
        return _to_rgb(to_srgb(image))


def to_srgb(image: Image.Image) -> Image.Image:
    """Convert from the image's embedded ICC profile (a phone's Display P3, Adobe RGB…) to sRGB.

    VGG-19 and every viewer of the result assume sRGB; read as sRGB, a P3 photo's colours
    shift. An image without a profile is taken to be sRGB already, and a profile that cannot be
    read is ignored, as browsers do.
    """
    icc = image.info.get("icc_profile")
    output_mode = _ICC_OUTPUT_MODES.get(image.mode)
    if not icc or output_mode is None:
        return image
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(
            image,
            profile,
            _SRGB,
            renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
            outputMode=output_mode,
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image
    converted.info.pop("icc_profile", None)
    return converted


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


def output_format(path: Path) -> str:
    """The format a result file's extension asks for; ValueError names the ones we write."""
    fmt = OUTPUT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(OUTPUT_FORMATS)
        raise ValueError(
            f"cannot tell the output format from {path.name!r}: end the name with one of {known}"
        )
    return fmt


def from_pixels(pixels: np.ndarray) -> Image.Image:
    """H×W×3 floats in 0..1 to an 8-bit RGB image."""
    return Image.fromarray(np.round(np.clip(pixels, 0.0, 1.0) * 255).astype(np.uint8), "RGB")


def save_pixels(pixels: np.ndarray, path: Path) -> None:
    """Write H×W×3 floats in 0..1 in the format `path`'s extension names.

    PNG, JPEG and WebP get 8 bits per channel; TIFF gets 16, keeping the optimiser's precision.
    """
    fmt = output_format(path)
    clipped = np.clip(pixels, 0.0, 1.0)
    if fmt == "TIFF":
        import tifffile  # only the CLI's TIFF output needs it

        tifffile.imwrite(path, np.round(clipped * 65535).astype(np.uint16), photometric="rgb")
        return
    image = from_pixels(clipped)
    options = {
        "PNG": {"compress_level": 6},
        "JPEG": {"quality": JPEG_QUALITY, "subsampling": 0},
        "WEBP": {"quality": WEBP_QUALITY},
    }[fmt]
    image.save(path, format=fmt, **options)
