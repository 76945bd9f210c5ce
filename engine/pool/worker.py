"""The worker process: load the model once, then run one job at a time from the inbox.

Imported by the parent only to name `main` as the process target, so torch and the engine are
imported inside `main`, in the child.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import signal
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from engine.errors import Cancelled, EngineError, InvalidImage
from engine.events import Preview, Progress
from engine.pool.events import Done, Failed
from engine.pool.inputs import Input, UnreadableInput, read_input
from engine.pool.messages import (
    FromWorker,
    JobRequest,
    JobUpdate,
    WorkerConfig,
    WorkerReady,
    WorkerStartFailed,
)
from engine.pool.oom_retry import oom_note, params_after_oom
from engine.pool.throttle import Throttle

if TYPE_CHECKING:
    from PIL import Image

    from engine.params import StyleParams
    from engine.stylizer import Stylizer

    Decoded = tuple[Image.Image, list[Image.Image], Image.Image | None]  # content, styles, init

log = logging.getLogger(__name__)

UNEXPECTED = "the engine hit an unexpected error; the job was not finished"
TOO_BIG = "the picture is too large for the GPU's memory even at a smaller size; try a smaller size"


def main(
    config: WorkerConfig, inbox: Connection, outbox: Connection, stop: ctypes.c_longlong
) -> None:
    # Ctrl-C reaches the whole process group; the parent decides how jobs end on shutdown.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import torch

    torch.set_num_threads(config.threads)
    from engine.stylizer import Stylizer

    try:
        stylizer = Stylizer(device=config.device, weights=config.weights)
    except Exception as exc:
        outbox.send(WorkerStartFailed(f"{type(exc).__name__}: {exc}"))
        return
    outbox.send(WorkerReady(stylizer.device_name))
    while True:
        try:
            request: JobRequest | None = inbox.recv()
        except EOFError:  # the parent is gone
            return
        if request is None:
            return
        send = _sender(outbox, request.serial)
        send(outcome_of(stylizer, request, send, _stop_check(stop, request.serial), config))


def _stop_check(stop: ctypes.c_longlong, serial: int) -> Callable[[], bool]:
    # A shared integer, read without a lock: a worker killed mid-read can't leave a lock held.
    return lambda: stop.value == serial


def _sender(outbox: Connection, serial: int) -> Callable[[Any], None]:
    def send(event: Progress | Preview | Done | Failed) -> None:
        message: FromWorker = JobUpdate(serial, event, time.monotonic())
        outbox.send(message)

    return send


def outcome_of(
    stylizer: Stylizer,
    request: JobRequest,
    send: Callable[[Progress | Preview], None],
    should_stop: Callable[[], bool],
    config: WorkerConfig,
) -> Done | Failed:
    """`run_job`, with an unexpected error turned into a failure the user may read."""
    try:
        return run_job(stylizer, request, send, should_stop, config)
    except Exception:
        log.exception("job %s failed", request.serial)
        return Failed("error", UNEXPECTED)


def run_job(
    stylizer: Stylizer,
    request: JobRequest,
    send: Callable[[Progress | Preview], None],
    should_stop: Callable[[], bool],
    config: WorkerConfig,
) -> Done | Failed:
    from engine.images import encode_png

    if request.animation is not None:
        from engine.motion.job import run_animation

        return run_animation(stylizer, request, send, should_stop)
    began = time.monotonic()
    inputs = _decode_inputs(request)
    if isinstance(inputs, Failed):
        return inputs
    throttle = Throttle(config.preview_interval, start=began)

    def on_preview(preview: Preview) -> None:
        if throttle.allow(time.monotonic()):
            send(preview)

    painted = _paint_within_memory(stylizer, request, inputs, send, on_preview, should_stop)
    if isinstance(painted, Failed):
        return painted
    image, params, ooms = painted
    return Done(
        png=encode_png(image),
        width=image.width,
        height=image.height,
        iterations=params.iterations,
        seconds=time.monotonic() - began,
        device=stylizer.device_name,
        note=oom_note(params.size) if ooms else None,
    )


def _decode_inputs(request: JobRequest) -> Decoded | Failed:
    """Content, styles and init image, or the failure that names the unreadable one."""
    try:
        content = _decode(request.content, "content image")
        styles = [
            _decode(style, _style_name(index, len(request.styles)))
            for index, style in enumerate(request.styles)
        ]
        init = None if request.init is None else _decode(request.init, "init image")
    except InvalidImage as exc:
        return Failed("invalid_image", str(exc))
    except UnreadableInput as exc:
        return Failed("error", str(exc))
    return content, styles, init


def _paint_within_memory(
    stylizer: Stylizer,
    request: JobRequest,
    inputs: Decoded,
    send: Callable[[Progress | Preview], None],
    on_preview: Callable[[Preview], None],
    should_stop: Callable[[], bool],
) -> tuple[Image.Image, StyleParams, int] | Failed:
    """The painting, retried smaller each time the GPU runs out of memory: the picture, the
    settings it was painted with and how many times memory ran out."""
    from torch.cuda import OutOfMemoryError

    content, styles, init = inputs
    params, ooms = request.params, 0
    while True:
        try:
            image = stylizer.stylize(
                content, styles, params, on_progress=send, on_preview=on_preview,
                should_stop=should_stop, init_image=init,
            )  # fmt: skip
            return image, params, ooms
        except Cancelled:
            return Failed("cancelled", "the job was cancelled")
        except InvalidImage as exc:
            return Failed("invalid_image", str(exc))
        except EngineError as exc:
            return Failed("error", str(exc))
        except OutOfMemoryError:
            pass
        # Out of memory: handled outside the except block, so the traceback's tensors can be freed.
        ooms += 1
        _release_gpu_memory()
        smaller = params_after_oom(request.params, ooms)
        if smaller is None:
            return Failed("out_of_memory", TOO_BIG)
        log.warning("job %s ran out of GPU memory; retrying at %d px", request.serial, smaller.size)
        params = smaller


def _decode(data: Input, name: str) -> Image.Image:
    from engine.images import decode_image

    try:
        return decode_image(read_input(data, name))
    except InvalidImage as exc:
        raise InvalidImage(f"{name}: {exc}") from None


def _style_name(index: int, count: int) -> str:
    return "style image" if count == 1 else f"style image {index + 1}"


def _release_gpu_memory() -> None:
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
