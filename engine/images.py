"""Decoding user images defensively and encoding results; Pillow and numpy only, no tensors.

The bot process imports this module too (to check uploads before queueing them), so it must never
import torch.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from engine.errors import InvalidImage, TooManyPixels

# 40 megapixels: larger than any phone photo, small enough that a decoded RGB copy stays ~120 MB.
DEFAULT_MAX_PIXELS = 40_000_000

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

Source = bytes | str | Path


def _open(data: Source) -> Image.Image:
    source = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    try:
        with warnings.catch_warnings():
            # We enforce our own pixel cap, before anything is decoded.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(source)
    except FileNotFoundError:
        raise
    except Image.DecompressionBombError as error:
        raise InvalidImage(f"the image has too many megapixels ({error})") from error
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise InvalidImage(
            "this file is not an image we can read (PNG, JPEG, WebP, GIF, …)"
        ) from error


def open_image(data: Source, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """The image's first frame, decoded, after its header passed the pixel cap.

    The one path every image takes in: the bot's upload check and the engine's decoding. Raises
    `TooManyPixels` before decoding anything over the cap, `InvalidImage` for anything unreadable.
    """
    image = _open(data)
    width, height = image.size
    if width < 1 or height < 1:
        raise InvalidImage("the image is empty")
    if width * height > max_pixels:
        raise TooManyPixels(width, height, max_pixels)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image.seek(0)  # animated images: the first frame
            image.load()
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise InvalidImage("the image file is damaged or truncated") from error
    return image


def probe_image(data: Source, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[int, int]:
    """(width, height) of a readable image under the cap; raises as `open_image` does."""
    with open_image(data, max_pixels=max_pixels) as image:
        return image.size


def decode_image(data: Source, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Any readable still or animated image as 8-bit sRGB, upright, alpha flattened onto white."""
    image = open_image(data, max_pixels=max_pixels)
    try:
        image = ImageOps.exif_transpose(image)
        return _to_rgb(to_srgb(image))
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise InvalidImage("the image file is damaged or truncated") from error


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
