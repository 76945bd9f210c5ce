"""Decoding an animation or a video into frames with their timing: Pillow for GIF, APNG and
animated WebP, PyAV (FFmpeg's libraries, no system FFmpeg) for MP4, WebM and MOV.

Frames come out as 8-bit sRGB as `engine.images` makes stills, within the job's limits: the
first `max_seconds`, at most `max_fps` frames a second (frames in between are dropped and their
time given to the frame before), and at most `max_frames` frames. What was cut is said in
`Clip.limited`, for the member. Torch-free: the bot checks uploads with it.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import Image, ImageSequence

from engine.errors import InvalidImage, TooManyPixels
from engine.images import DEFAULT_MAX_PIXELS, Source, _open, _to_rgb, open_image, to_srgb
from engine.motion.settings import AnimationSettings, comes_too_soon

if TYPE_CHECKING:
    import av

# Browsers show a GIF frame of under 20 ms for 100 ms; so do we, keeping the timing people see.
SHORTEST_FRAME_MS = 20
BROWSER_FRAME_MS = 100
ANIMATED_FORMATS = ("GIF", "PNG", "WEBP")  # Pillow's names for the animated images it reads
# FFmpeg's demuxers for MP4/MOV and WebM. FFmpeg would read far more (a text file opens as
# "tty" video, a name ending in .png as "image2"); each other demuxer is attack surface for
# untrusted uploads and none is a clip a member means.
VIDEO_DEMUXERS = frozenset({"mov", "mp4", "matroska", "webm"})
UNREADABLE = "this file is neither a picture nor a video we can read (GIF, PNG, MP4, …)"

# A frame and when it starts, in ms from the clip's start; the last item, with no frame, is
# when the clip ends.
Timed = tuple[Image.Image | None, int]


@dataclass(frozen=True)
class Clip:
    """Frames (8-bit RGB, one size) with their durations in ms; `loop` as GIF counts it:
    0 forever, None once. `kind` is "image" for GIF/APNG/WebP sources, "video" for clips."""

    frames: list[Image.Image]
    durations_ms: list[int]
    loop: int | None
    kind: str
    limited: tuple[str, ...] = ()  # what the limits cut, in words

    @property
    def size(self) -> tuple[int, int]:
        return self.frames[0].size

    @property
    def seconds(self) -> float:
        return sum(self.durations_ms) / 1000

    @property
    def loops(self) -> bool:
        return self.loop is not None


@dataclass(frozen=True)
class ClipFacts:
    """What a clip holds before any limit: `source` is "GIF", "APNG", "WebP" or "video"."""

    source: str
    frames: int
    seconds: float
    fps: float


def _source(data: Source) -> Source:
    return io.BytesIO(data) if isinstance(data, bytes | bytearray) else data


def is_animation(data: Source) -> bool:
    """Whether the file is an animated image or a video (anything `decode_clip` would give more
    than one frame for), reading no more than the headers."""
    try:
        with _open(data) as image:
            return getattr(image, "n_frames", 1) > 1
    except InvalidImage:
        return _video_stream_exists(data)


def probe_clip(data: Source) -> ClipFacts:
    """Frame count, length and frame rate from the headers and frame infos, decoding no
    picture (but a WebP's, whose frames tell their durations only once decoded), so the bot
    can tell a member at queue time what the limits will cut. `InvalidImage` if unreadable."""
    try:
        with _open(data) as image:
            durations = []
            for frame in ImageSequence.Iterator(image):
                if image.format == "WEBP":
                    frame.load()
                durations.append(_shown_ms(int(frame.info.get("duration") or 0)))
            seconds = sum(durations) / 1000
            source = {"PNG": "APNG", "WEBP": "WebP"}.get(image.format or "", image.format or "")
            return ClipFacts(source, len(durations), seconds, len(durations) / seconds)
    except InvalidImage:
        return _probe_video(data)
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise InvalidImage("the animation is damaged or truncated") from error


def _probe_video(data: Source) -> ClipFacts:
    """From the container's metadata: the stream's frame count and duration where the file
    says them, else the container's duration at the stream's average rate."""
    import av

    with _open_video(data) as container:
        stream = container.streams.video[0]
        rate = float(stream.average_rate or stream.guessed_rate or 25)
        if stream.duration is not None and stream.time_base is not None:
            seconds = float(stream.duration * stream.time_base)
        else:
            seconds = (container.duration or 0) / av.time_base
        frames = stream.frames or max(1, round(seconds * rate))
        return ClipFacts("video", frames, seconds or frames / rate, rate)


def _shown_ms(duration: int) -> int:
    """A frame's time as browsers show it."""
    return BROWSER_FRAME_MS if duration < SHORTEST_FRAME_MS else duration


def decode_clip(
    data: Source,
    settings: AnimationSettings | None = None,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Clip:
    """The frames of an animated image or a video within `settings`' limits. A still image
    decodes as a one-frame clip; anything unreadable raises `InvalidImage`."""
    settings = settings or AnimationSettings()
    try:
        image = open_image(data, max_pixels=max_pixels)
    except TooManyPixels:
        raise
    except InvalidImage:
        return _decode_video(data, settings, max_pixels)
    loop = image.info.get("loop")
    return _clip(_image_frames(image), settings, loop, "image")


def _image_frames(image: Image.Image) -> Iterator[Timed]:
    start = 0
    try:
        for frame in ImageSequence.Iterator(image):
            frame.load()  # some formats (WebP) set a frame's duration when it is decoded
            duration = int(frame.info.get("duration") or 0)
            yield _to_rgb(to_srgb(frame)), start
            start += _shown_ms(duration)
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise InvalidImage("the animation is damaged or truncated") from error
    yield None, start


def _clip(frames: Iterator[Timed], settings: AnimationSettings, loop: object, kind: str) -> Clip:
    kept: list[Timed] = []
    limited: list[str] = []
    end_ms = None
    for image, start in frames:
        end_ms = start
        if image is None:
            break
        if start >= settings.max_seconds * 1000:
            limited.append(f"the first {settings.max_seconds:g} s")
            break
        if kept and comes_too_soon(start - kept[-1][1], settings.max_fps):
            if not any(reason.startswith("at most") for reason in limited):
                limited.append(f"at most {settings.max_fps:g} frames a second")
            continue
        if len(kept) == settings.max_frames:
            limited.append(f"the first {settings.max_frames} frames")
            break
        kept.append((image, start))
    if not kept or end_ms is None:
        raise InvalidImage("the animation has no frames")
    starts = [start for _, start in kept] + [end_ms]
    durations = [max(1, b - a) for a, b in itertools.pairwise(starts)]
    return Clip(
        [image for image, _ in kept if image is not None],
        durations,
        loop if isinstance(loop, int) else None,
        kind,
        tuple(limited),
    )


def _open_video(data: Source) -> av.container.InputContainer:
    """An MP4, MOV or WebM container with a video stream, or `InvalidImage`."""
    import av

    try:
        container = av.open(_source(data))
    except (av.FFmpegError, OSError, ValueError) as error:
        raise InvalidImage(UNREADABLE) from error
    if not VIDEO_DEMUXERS & set(container.format.name.split(",")) or not container.streams.video:
        container.close()
        raise InvalidImage(UNREADABLE)
    return container


def _video_stream_exists(data: Source) -> bool:
    try:
        _open_video(data).close()
    except InvalidImage:
        return False
    return True


def probe_video(data: Source, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[int, int]:
    """(width, height) of an MP4, MOV or WebM clip under the pixel cap whose first frame
    decodes; raises `InvalidImage` or `TooManyPixels` as `decode_clip` would."""
    import av

    with _open_video(data) as container:
        stream = _capped_stream(container, max_pixels)
        try:
            next(container.decode(stream))
        except (av.FFmpegError, OSError, ValueError, StopIteration) as error:
            raise InvalidImage("the video is damaged or truncated") from error
        return stream.codec_context.width, stream.codec_context.height


def _capped_stream(container: av.container.InputContainer, max_pixels: int) -> av.VideoStream:
    """The clip's video stream, once its frame size is known to be under the pixel cap."""
    stream = container.streams.video[0]
    width, height = stream.codec_context.width, stream.codec_context.height
    if width * height > max_pixels:
        raise TooManyPixels(width, height, max_pixels)
    return stream


def _decode_video(data: Source, settings: AnimationSettings, max_pixels: int) -> Clip:
    import av

    with _open_video(data) as container:
        stream = _capped_stream(container, max_pixels)
        try:
            return _clip(_video_frames(container, stream), settings, 0, "video")
        except (av.FFmpegError, OSError, ValueError) as error:
            raise InvalidImage("the video is damaged or truncated") from error


def _video_frames(
    container: av.container.InputContainer, stream: av.VideoStream
) -> Iterator[Timed]:
    """Frames with their start in ms from the first; the clip ends where the stream says, or
    one frame's time (at its average rate) after the last start."""
    first: float | None = None
    start = 0
    rate = float(stream.average_rate or stream.guessed_rate or 25)
    for frame in container.decode(stream):
        if frame.time is None:
            continue
        first = frame.time if first is None else first
        start = round((frame.time - first) * 1000)
        yield frame.to_image(), start
    end = start + round(1000 / rate)
    if stream.duration is not None and stream.time_base is not None and first is not None:
        end = max(start + 1, round((float(stream.duration * stream.time_base) - first) * 1000))
    yield None, end
