"""Writing frames as an animation: a GIF with one palette for the whole animation (so colours
do not flicker from frame to frame), an H.264 MP4 that Discord plays inline, or an animated
WebP, each keeping the frames' timing and the loop.

`encode_clip` fits an upload limit: it tries fewer colours (GIF) or a lower quality (MP4, WebP),
then a smaller size, then fewer frames a second, and says what it reduced. Torch-free.
"""

from __future__ import annotations

import io
import itertools
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image

from engine.motion.settings import OutputFormat

GIF_COLOURS = (256, 128, 64, 32)
MP4_CRF = (20, 26, 32, 38)
WEBP_QUALITY = (80, 60, 40, 20)
SIZE_STEPS = (1.0, 0.75, 0.5, 0.35, 0.25)
PALETTE_SAMPLE = 64  # frames the GIF's palette is learned from, spread over the animation
MP4_TIME_BASE = Fraction(1, 1000)  # frame times in ms


class TooLarge(Exception):
    """Even the smallest attempt is over the limit; the message is safe to show to a user."""


@dataclass(frozen=True)
class Encoded:
    data: bytes
    format: OutputFormat
    width: int
    height: int
    durations_ms: tuple[int, ...]
    reduced: tuple[str, ...] = ()  # what was given up to fit the limit, in words

    @property
    def note(self) -> str | None:
        if not self.reduced:
            return None
        return "to fit the upload limit: " + ", ".join(self.reduced)


@dataclass(frozen=True)
class _Attempt:
    level: int = 0  # index into the format's colours or quality
    scale: float = 1.0
    every: int = 1  # keep every n-th frame


def encode_clip(
    frames: list[Image.Image],
    durations_ms: list[int],
    loop: int | None,
    fmt: OutputFormat,
    max_bytes: int | None = None,
) -> Encoded:
    """The frames as a `fmt` file, reduced as little as needed to stay under `max_bytes`."""
    if not frames or len(frames) != len(durations_ms):
        raise ValueError(f"{len(frames)} frames but {len(durations_ms)} durations")
    last = None
    for attempt in _attempts(len(frames)):
        picked, durations = _every(frames, durations_ms, attempt.every)
        if attempt.scale != 1.0:
            picked = [_scaled(frame, attempt.scale) for frame in picked]
        data = _WRITERS[fmt](picked, durations, loop, attempt.level)
        width, height = _even(picked[0].size) if fmt == "mp4" else picked[0].size
        last = Encoded(data, fmt, width, height, tuple(durations), _reductions(fmt, attempt))
        if max_bytes is None or len(data) <= max_bytes:
            return last
    assert last is not None
    raise TooLarge(
        f"the animation is {in_words(len(last.data))} even at its smallest, over the "
        f"{in_words(max_bytes)} upload limit; try fewer frames, a smaller size or a GIF"
    )


def in_words(nbytes: int) -> str:
    """A file size as members read it: MB from one megabyte, KB below."""
    return f"{nbytes / 1e6:.1f} MB" if nbytes >= 1_000_000 else f"{max(1, round(nbytes / 1e3))} KB"


def _attempts(frames: int) -> Iterator[_Attempt]:
    """Cheapest losses first: colours or quality, then size, then frame rate."""
    for level in range(len(GIF_COLOURS)):
        yield _Attempt(level=level)
    top = len(GIF_COLOURS) - 1
    for scale in SIZE_STEPS[1:]:
        yield _Attempt(level=top, scale=scale)
    every = 2
    while frames // every >= 1 and every <= frames:
        yield _Attempt(level=top, scale=SIZE_STEPS[-1], every=every)
        every *= 2


def _reductions(fmt: OutputFormat, attempt: _Attempt) -> tuple[str, ...]:
    reduced = []
    if attempt.level and fmt == "gif":
        reduced.append(f"{GIF_COLOURS[attempt.level]} colours")
    elif attempt.level:
        reduced.append("lower quality")
    if attempt.scale != 1.0:
        reduced.append(f"{attempt.scale:.0%} size")
    if attempt.every != 1:
        reduced.append(f"1 frame in {attempt.every}")
    return tuple(reduced)


def _every(
    frames: list[Image.Image], durations: list[int], every: int
) -> tuple[list[Image.Image], list[int]]:
    """Every `every`-th frame, each shown for the time of the frames it stands for."""
    picked = frames[::every]
    merged = [sum(durations[i : i + every]) for i in range(0, len(frames), every)]
    return picked, merged


def _scaled(frame: Image.Image, scale: float) -> Image.Image:
    size = (max(2, round(frame.width * scale)), max(2, round(frame.height * scale)))
    return frame.resize(size, Image.Resampling.LANCZOS)


def _even(size: tuple[int, int]) -> tuple[int, int]:
    """H.264's 4:2:0 chroma needs even sides."""
    return max(2, size[0] - size[0] % 2), max(2, size[1] - size[1] % 2)


def shared_palette(frames: list[Image.Image], colours: int) -> Image.Image:
    """One palette for the whole animation, learned from frames spread over it side by side."""
    step = max(1, len(frames) // PALETTE_SAMPLE)
    sample = frames[::step]
    width, height = sample[0].size
    strip = Image.new("RGB", (width, height * len(sample)))
    for index, frame in enumerate(sample):
        strip.paste(frame.convert("RGB"), (0, height * index))
    return strip.quantize(colours, method=Image.Quantize.MEDIANCUT)


def _gif(frames: list[Image.Image], durations: list[int], loop: int | None, level: int) -> bytes:
    palette = shared_palette(frames, GIF_COLOURS[level])
    # No dithering: error diffusion would crawl over still areas as the rest of a frame moves.
    indexed = [f.convert("RGB").quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    buffer = io.BytesIO()
    options = {} if loop is None else {"loop": loop}
    indexed[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=indexed[1:],
        duration=durations,
        disposal=1,
        optimize=False,
        palette=palette.getpalette(),  # given, Pillow writes it once instead of one per frame
        **options,
    )
    return buffer.getvalue()


def _webp(frames: list[Image.Image], durations: list[int], loop: int | None, level: int) -> bytes:
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        format="WEBP",
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=0 if loop is None else loop,
        quality=WEBP_QUALITY[level],
        method=4,
    )
    return buffer.getvalue()


def _mp4(frames: list[Image.Image], durations: list[int], loop: int | None, level: int) -> bytes:
    """H.264 in yuv420p with each frame's own time (variable frame rate), the index at the
    front so a player can start before the end has arrived."""
    width, height = _even(frames[0].size)
    # A file, not memory: moving the index to the front reads the written file back by name.
    with tempfile.TemporaryDirectory(prefix="atelier-mp4-") as directory:
        path = Path(directory) / "clip.mp4"
        _write_mp4(path, frames, durations, width, height, MP4_CRF[level])
        return path.read_bytes()


def _write_mp4(
    path: Path, frames: list[Image.Image], durations: list[int], width: int, height: int, crf: int
) -> None:
    import av

    with av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"}) as output:
        rate = max(1, round(1000 * len(durations) / sum(durations)))  # nominal: times are exact
        stream = output.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = MP4_TIME_BASE
        stream.codec_context.time_base = MP4_TIME_BASE
        # No B-frames: decode order is display order, so each frame keeps its exact duration.
        stream.options = {"crf": str(crf), "preset": "medium", "x264-params": "bframes=0"}
        starts = list(itertools.accumulate(durations, initial=0))
        shown_for = dict(zip(starts, durations, strict=False))  # by pts: packets come reordered

        def mux(packets: list[av.Packet]) -> None:
            for packet in packets:
                packet.duration = shown_for.get(packet.pts, packet.duration)
            output.mux(packets)

        for frame, start in zip(frames, starts, strict=False):
            pixels = np.asarray(frame.convert("RGB"))[:height, :width]
            video = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb24")
            video.pts, video.time_base = start, MP4_TIME_BASE
            mux(stream.encode(video))
        mux(stream.encode(None))


_WRITERS = {"gif": _gif, "webp": _webp, "mp4": _mp4}
