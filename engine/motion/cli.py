"""`python -m engine CLIP STYLE -o OUT.gif|.mp4|.webp`: an animation or a video painted frame
by frame, a line (or a bar) per frame. Ctrl-C stops after the current iteration and saves the
frames finished so far as a shorter animation (exit code 130). With `--frames-dir`, every
finished frame is kept there, and a run started again with the same directory carries on
after them."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TextIO

import numpy as np
from PIL import Image
from tqdm import tqdm

from engine.cli_progress import format_duration
from engine.errors import Cancelled, EngineError
from engine.events import FrameProgress
from engine.images import decode_image, encode_png, from_pixels
from engine.motion.clip import Clip, decode_clip
from engine.motion.encode import TooLarge, encode_clip
from engine.motion.settings import FORMATS, AnimationSettings, OutputFormat
from engine.motion.store import FrameStore, resumed_frames
from engine.params import StyleParams

DEFAULTS = AnimationSettings()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("animations (an animated GIF, WebP or PNG, or a video)")
    group.add_argument(
        "--max-frames", type=int, default=DEFAULTS.max_frames, metavar="N", help="at most N frames"
    )
    group.add_argument(
        "--fps", type=float, default=DEFAULTS.max_fps, metavar="F", help="at most F frames a second"
    )
    group.add_argument(
        "--frames-dir",
        type=Path,
        metavar="DIR",
        help="keep each finished frame here; run again with the same DIR to carry on after them",
    )


def animation_format(path: Path) -> OutputFormat:
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        known = ", ".join(f".{name}" for name in FORMATS)
        raise ValueError(f"an animation is written as {known}; got {path.name!r}")
    return fmt  # type: ignore[return-value]


class FrameDisplay:
    """Call with each `FrameProgress`; a bar of frames on a terminal, a line per frame in a log."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._bar: tqdm | None = None
        self._frame = 0

    def __call__(self, event: FrameProgress) -> None:
        if self._stream.isatty():
            if self._bar is None:
                self._bar = tqdm(total=event.frames, file=self._stream, unit="frame")
            self._bar.n = event.frame - 1
            self._bar.set_postfix_str(
                f"iteration {event.progress.iteration}/{event.progress.total}"
            )
        elif event.frame != self._frame:
            self._stream.write(
                f"frame {event.frame}/{event.frames}  {event.fraction:4.0%}  "
                f"ETA {format_duration(event.eta)}\n"
            )
            self._stream.flush()
        self._frame = event.frame

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def run(args: argparse.Namespace, params: StyleParams) -> int:
    """The animation path of `python -m engine`; returns the exit code."""
    started = time.perf_counter()
    settings = AnimationSettings(max_frames=args.max_frames, max_fps=args.fps)
    fmt = animation_format(args.output)
    try:
        clip = decode_clip(args.content, settings)
        styles = [decode_image(path) for path in args.styles]
        init = None if args.init_image is None else decode_image(args.init_image)
    except (EngineError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.preview:
        return _write(clip, _preview(clip, styles, params), fmt, args.output, started, False)
    try:
        painted, stopped = _paint(args, params, settings, clip, styles, init)
    except (EngineError, RuntimeError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if stopped and not painted:
        print("interrupted before the first frame was finished; nothing saved", file=sys.stderr)
        return 130
    return _write(clip, painted, fmt, args.output, started, stopped)


def _paint(
    args: argparse.Namespace,
    params: StyleParams,
    settings: AnimationSettings,
    clip: Clip,
    styles: list[Image.Image],
    init: Image.Image | None,
) -> tuple[list[np.ndarray], bool]:
    """The painted frames (those `--frames-dir` had first), and whether Ctrl-C stopped it."""
    from engine.cli import Interrupt
    from engine.motion.painter import paint_clip
    from engine.stylizer import Stylizer

    store = None if args.frames_dir is None else FrameStore(args.frames_dir)
    painted = [] if store is None else resumed_frames(store.finished(), clip, params.size)
    if store is not None and painted:
        print(f"carrying on after the {len(painted)} finished frames in {store.directory}")

    def keep(index: int, pixels: np.ndarray) -> None:
        painted.append(pixels)
        if store is not None:
            store.save(index, encode_png(from_pixels(pixels)))

    display = FrameDisplay(sys.stderr)
    try:
        with Interrupt() as interrupt:
            stylizer = Stylizer(params.device, args.weights)
            paint_clip(
                stylizer, clip.frames, styles, params, settings, loops=clip.loops,
                done=list(painted), init_image=init, on_frame=keep, on_progress=display,
                should_stop=lambda: interrupt.requested,
            )  # fmt: skip
    except Cancelled:
        return painted, True
    finally:
        display.close()
    return painted, False


def _preview(clip: Clip, styles: list[Image.Image], params: StyleParams) -> list[np.ndarray]:
    from engine.motion.preview import preview_clip
    from engine.preview import shared_preview_model

    frames = preview_clip(shared_preview_model(), clip.frames, styles, params)
    return [np.asarray(frame, dtype=np.float32) / 255 for frame in frames]


def _write(
    clip: Clip,
    painted: list[np.ndarray],
    fmt: OutputFormat,
    output: Path,
    started: float,
    stopped: bool,
) -> int:
    count = len(painted)
    try:
        encoded = encode_clip(
            [from_pixels(p) for p in painted], clip.durations_ms[:count], clip.loop, fmt
        )
    except TooLarge as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(encoded.data)
    limits = f" ({', '.join(clip.limited)})" if clip.limited else ""
    summary = (
        f"{output}: {encoded.width}×{encoded.height}, {count} of {len(clip.frames)} frames"
        f"{limits}, {len(encoded.data) / 1e6:.2f} MB, {time.perf_counter() - started:.1f} s"
    )
    if stopped:
        print(f"interrupted: saved the {count} finished frames as a shorter animation. {summary}")
        return 130
    print(summary)
    return 0
