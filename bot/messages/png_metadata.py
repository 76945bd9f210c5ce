"""A result's settings written into its PNG as text chunks, so the file itself says how it was
made (any PNG viewer shows them; `/atelier show` reads them back).

The chunks are spliced in before IEND without decoding the pixels: the picture stays exactly
what the engine painted.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Mapping

from PIL import Image

from bot.store.job_rows import Job

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
IEND = b"IEND"
# What a `quality:preview` result is, for whoever opens the file without the bot at hand.
PREVIEW_QUALITY = (
    "preview: one pass of the feed-forward preview network (Magenta's arbitrary image "
    "stylisation), not the full optimisation"
)


def request_fields(job: Job) -> dict[str, str]:
    """What goes into a result's PNG: enough to paint it again."""
    request = job.request
    fields = {
        "Software": "Atelier",
        "Atelier job": job.id,
        "Quality": PREVIEW_QUALITY if request.quality == "preview" else request.quality,
        "Seed": str(request.seed),
        "Strength": str(request.strength),
        "Iterations": str(request.iterations_run),
        "Size": str(request.size),
        "Preserve colors": "yes" if request.preserve_colors else "no",
        "Brush": f"{request.brush:g}",
    }
    if job.style_names:
        fields["Style"] = " + ".join(job.style_names)
    if request.blend is not None:
        fields["Blend"] = f"{request.blend} %"
    return fields


def with_settings(png: bytes, job: Job) -> bytes:
    """The job's result with its settings written in."""
    return with_text(png, request_fields(job))


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def with_text(png: bytes, fields: Mapping[str, str]) -> bytes:
    """`png` with one iTXt chunk (UTF-8, uncompressed) per field, placed before IEND."""
    if not png.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG")
    end = png.rfind(IEND) - 4  # the IEND chunk starts with its 4-byte length
    if end < len(PNG_SIGNATURE):
        raise ValueError("PNG without an IEND chunk")
    chunks = b"".join(
        _chunk(b"iTXt", key.encode("latin-1") + b"\0\0\0\0\0" + value.encode("utf-8"))
        for key, value in fields.items()
    )
    return png[:end] + chunks + png[end:]


def text_of(png: bytes) -> dict[str, str]:
    """The text chunks of a PNG (tEXt, zTXt and iTXt), as PIL reads them."""
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        return {key: str(value) for key, value in getattr(image, "text", {}).items()}
