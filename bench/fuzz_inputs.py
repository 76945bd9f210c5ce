"""Hostile pictures through the bot's intake checks and thumbnailing, in this process.

Builds small seed files in every format a member might send (PNG, JPEG, GIF, WebP, TIFF, ICO,
ICNS, PSD, BMP) plus hand-made decompression bombs, mutates them (bit flips, overwritten and
inflated header fields, cut, spliced and repeated ranges), and feeds each file to what the bot
runs on an upload: the byte and pixel checks, the shape check, then the public thumbnail. Prints
files tried, refusals by reason, other exceptions (must be 0: each is a bug), and the process's
peak RSS against its RSS before the first file.

    nice python -m bench.fuzz_inputs --files 20000
    python -m bench.fuzz_inputs --files 500 --save /tmp/fuzz-crashes   # keep what raised
"""

from __future__ import annotations

import argparse
import io
import random
import resource
import struct
import time
import traceback
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from PIL import Image

# What the bot runs on an upload.
from bot.config import Limits
from bot.messages.attachments import thumbnail_png
from bot.rules.images import check_image_bytes, check_shape
from bot.rules.refusals import RequestRefused
from engine.params import StyleParams

ROOT = Path(__file__).resolve().parents[1]
PHOTO = ROOT / "engine" / "examples" / "astronaut.png"
SIDE = 48
Mutation = Callable[[bytes, random.Random], bytes]


def _saved(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def png_bomb(side: int) -> bytes:
    """A valid greyscale PNG of side×side black pixels: tiny on disk, side² bytes decoded."""
    packer, row = zlib.compressobj(9), b"\0" * (side + 1)  # row by row: the bench stays small
    rows = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", rows)
        + _png_chunk(b"IEND", b"")
    )


def ico_around(png: bytes) -> bytes:
    """An ICO whose only icon is this PNG (Pillow's ICO reader decodes it inside Image.open)."""
    entry = struct.pack("<BBBBHHII", 0, 0, 0, 0, 1, 32, len(png), 22)
    return struct.pack("<HHH", 0, 1, 1) + entry + png


def psd(image: Image.Image) -> bytes:
    """A minimal RGB Photoshop file, raw channels (Pillow reads PSD but cannot write it)."""
    width, height = image.size
    header = b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, height, width, 8, 3)
    planes = b"".join(band.tobytes() for band in image.convert("RGB").split())
    return header + struct.pack(">III", 0, 0, 0) + struct.pack(">H", 0) + planes


def seeds() -> dict[str, list[bytes]]:
    photo = Image.open(PHOTO).convert("RGB")
    photo.thumbnail((SIDE, SIDE))
    rgba = photo.convert("RGBA")
    rgba.putalpha(128)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    frames = [photo, photo.rotate(90), photo.rotate(180)]
    return {
        "PNG": [
            _saved(photo, "PNG"),
            _saved(rgba, "PNG"),
            _saved(photo.convert("P"), "PNG", transparency=0),
            _saved(photo, "PNG", icc_profile=b"\0" * 128),
            _saved(photo, "PNG", save_all=True, append_images=frames[1:]),  # APNG
        ],
        "JPEG": [
            _saved(photo, "JPEG", quality=80),
            _saved(photo, "JPEG", exif=exif, progressive=True),
            _saved(photo.convert("CMYK"), "JPEG"),
        ],
        "GIF": [_saved(photo, "GIF", save_all=True, append_images=frames[1:], loop=0)],
        "WEBP": [
            _saved(photo, "WEBP", quality=70),
            _saved(rgba, "WEBP", lossless=True),
            _saved(photo, "WEBP", save_all=True, append_images=frames[1:]),
        ],
        "TIFF": [_saved(photo, "TIFF"), _saved(photo, "TIFF", compression="tiff_deflate")],
        "ICO": [_saved(rgba, "ICO", sizes=[(32, 32)]), ico_around(_saved(photo, "PNG"))],
        "ICNS": [_saved(rgba.resize((32, 32)), "ICNS")],
        "PSD": [psd(photo)],
        "BMP": [_saved(photo, "BMP"), _saved(photo.convert("P"), "BMP")],
    }


BOMBS = {  # the hand-made ones, each tried once as is
    "PNG 60000×60000 header": png_bomb(1)[:16] + struct.pack(">II", 60000, 60000) + b"\0" * 8,
    "PNG 10000×10000 (100 MP, valid)": png_bomb(10_000),
    "ICO around an 8000×8000 PNG": ico_around(png_bomb(8000)),
}


def _flip_bits(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def _overwrite(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        out[rng.randrange(len(out))] = rng.choice((0x00, 0xFF, 0x7F, 0x80, rng.randrange(256)))
    return bytes(out)


def _inflate_header(data: bytes, rng: random.Random) -> bytes:
    """A big number where headers keep their width, height and lengths."""
    at = rng.randrange(min(len(data), 64) - 4)
    value = rng.choice((0xFFFF, 0x7FFF, 0x10000, 0x7FFFFFFF, 0xFFFFFFFF, rng.randrange(1 << 32)))
    order = rng.choice("<>")
    size = rng.choice((2, 4))
    packed = struct.pack(order + ("H" if size == 2 else "I"), value & ((1 << (8 * size)) - 1))
    return data[:at] + packed + data[at + size :]


def _cut(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(1, len(data))]


def _drop_range(data: bytes, rng: random.Random) -> bytes:
    start = rng.randrange(len(data))
    return data[:start] + data[start + rng.randint(1, 64) :]


def _repeat_range(data: bytes, rng: random.Random) -> bytes:
    start = rng.randrange(len(data))
    piece = data[start : start + rng.randint(1, 256)]
    return data[:start] + piece * rng.randint(2, 16) + data[start:]


def _insert_noise(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data))
    return data[:at] + rng.randbytes(rng.randint(1, 32)) + data[at:]


MUTATIONS: tuple[Mutation, ...] = (
    _flip_bits,
    _overwrite,
    _inflate_header,
    _cut,
    _drop_range,
    _repeat_range,
    _insert_noise,
)


def mutate(data: bytes, rng: random.Random) -> bytes:
    for _ in range(rng.randint(1, 3)):
        if len(data) < 8:
            break
        data = rng.choice(MUTATIONS)(data, rng)
    return data


@dataclass
class Tally:
    tried: int = 0
    accepted: Counter[str] = field(default_factory=Counter)  # by seed format
    refusals: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    slowest: tuple[float, str] = (0.0, "")


def intake(data: bytes, limits: Limits, params: StyleParams) -> None:
    """What the bot does with an uploaded content picture before and after queueing it."""
    size = check_image_bytes("content", "fuzzed", data, limits)
    check_shape("content", size, params)
    thumbnail_png(data)


def try_one(
    name: str, data: bytes, check: Callable[[bytes], None], tally: Tally, save: Path | None
) -> None:
    tally.tried += 1
    began = time.perf_counter()
    try:
        check(data)
        tally.accepted[name] += 1
    except RequestRefused as refusal:
        tally.refusals[refusal.reason] += 1
    except Exception as error:  # every one of these is a bug: the bench says which
        where = traceback.extract_tb(error.__traceback__)[-1]
        key = f"{type(error).__name__} at {Path(where.filename).name}:{where.lineno} ({name})"
        tally.errors[key] += 1
        if save is not None:
            save.mkdir(parents=True, exist_ok=True)
            (save / f"{tally.tried:06d}-{name}.bin").write_bytes(data)
    seconds = time.perf_counter() - began
    if seconds > tally.slowest[0]:
        tally.slowest = (seconds, name)


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000, help="mutated files to try")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--save", type=Path, help="write each file that raised here")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    corpus = seeds()
    check = partial(intake, limits=Limits(), params=StyleParams())
    tally = Tally()
    start_rss = rss_mb()
    began = time.perf_counter()
    for name, data in BOMBS.items():
        try_one(name, data, check, tally, args.save)
    for name, files in corpus.items():
        for data in files:  # each seed unmutated, once
            try_one(name, data, check, tally, args.save)
    names = sorted(corpus)
    while tally.tried < args.files + len(BOMBS):
        name = rng.choice(names)
        try_one(name, mutate(rng.choice(corpus[name]), rng), check, tally, args.save)
    seconds = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"files tried:        {tally.tried} ({len(BOMBS)} bombs, {seconds:.0f} s)")
    print(f"accepted:           {sum(tally.accepted.values())}  " + _counts(tally.accepted))
    print(f"refused:            {sum(tally.refusals.values())}  " + _counts(tally.refusals))
    print(f"other exceptions:   {sum(tally.errors.values())} (must be 0)")
    for key, count in tally.errors.most_common(20):
        print(f"    {count:6d}  {key}")
    print(f"peak RSS:           {peak:.0f} MB (before the first file: {start_rss:.0f} MB)")
    print(f"slowest file:       {tally.slowest[0] * 1000:.0f} ms ({tally.slowest[1]})")


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{key} {count}" for key, count in counter.most_common())


if __name__ == "__main__":
    main()
