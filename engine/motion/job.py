"""The worker's side of an animation job: decode the clip, paint its frames (after those a
resumed job already has), encode the animation. Run by local workers and Ray actors alike,
through `engine.pool.worker.run_job`; imports torch."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from PIL import Image

from engine.errors import Cancelled, EngineError, InvalidImage
from engine.events import FrameDone, FrameProgress
from engine.images import decode_image, encode_png, from_pixels
from engine.motion.answer import output_format, result_note
from engine.motion.clip import Clip, decode_clip
from engine.motion.encode import Encoded, TooLarge, encode_clip
from engine.motion.painter import paint_clip
from engine.motion.store import resumed_frames
from engine.pool.events import AnimationDone, Failed
from engine.pool.inputs import UnreadableInput, read_input
from engine.pool.messages import JobRequest
from engine.stylizer import Stylizer

Send = Callable[[FrameProgress | FrameDone], None]


def run_animation(
    stylizer: Stylizer, request: JobRequest, send: Send, should_stop: Callable[[], bool]
) -> AnimationDone | Failed:
    """The job's outcome; a clear failure for bad input, a cancel or an animation too big."""
    assert request.animation is not None
    began = time.monotonic()
    settings = request.animation.settings
    try:
        clip = decode_clip(read_input(request.content, "content"), settings)
        styles = [decode_image(read_input(style, "style image")) for style in request.styles]
        init = None if request.init is None else decode_image(read_input(request.init, "init"))
        done = [read_input(frame, "a finished frame") for frame in request.animation.done]
        painted = resumed_frames(done, clip, request.params.size)
    except (InvalidImage, UnreadableInput) as exc:
        return Failed("invalid_image" if isinstance(exc, InvalidImage) else "error", str(exc))

    def on_frame(index: int, pixels: np.ndarray) -> None:
        send(FrameDone(index, len(clip.frames), encode_png(from_pixels(pixels))))

    try:
        frames = paint_clip(
            stylizer, clip.frames, styles, request.params, settings, loops=clip.loops,
            done=painted, init_image=init, on_frame=on_frame, on_progress=send,
            should_stop=should_stop,
        )  # fmt: skip
        encoded = encode_clip(
            [from_pixels(f) for f in frames], clip.durations_ms, clip.loop,
            output_format(settings, clip), settings.max_bytes,
        )  # fmt: skip
    except Cancelled:
        return Failed("cancelled", "the job was cancelled")
    except TooLarge as exc:
        return Failed("too_large", str(exc))
    except EngineError as exc:
        return Failed("error", str(exc))
    return _done(encoded, clip, frames[0], request, time.monotonic() - began, stylizer)


def _done(
    encoded: Encoded,
    clip: Clip,
    first: np.ndarray,
    request: JobRequest,
    seconds: float,
    stylizer: Stylizer,
) -> AnimationDone:
    thumbnail: Image.Image = from_pixels(first)
    return AnimationDone(
        png=encode_png(thumbnail),
        width=encoded.width,
        height=encoded.height,
        iterations=request.params.iterations,
        seconds=seconds,
        device=stylizer.device_name,
        note=result_note(clip, encoded),
        data=encoded.data,
        format=encoded.format,
        frames=len(encoded.durations_ms),
        durations_ms=encoded.durations_ms,
        loop=clip.loop,
    )
