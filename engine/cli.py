"""`python -m engine CONTENT STYLE -o OUT.png`: the engine on its own, with a live progress bar.

Ctrl-C stops after the current iteration and saves the picture so far (exit code 130). An
animated CONTENT (GIF, WebP, APNG) or a video is painted frame by frame (engine/motion/cli.py).
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from types import FrameType

import numpy as np

from engine.cli_progress import ProgressDisplay
from engine.errors import Cancelled, EngineError
from engine.images import OUTPUT_FORMATS, decode_image, output_format, save_pixels
from engine.motion import cli as motion_cli
from engine.motion.clip import is_animation
from engine.params import (
    BASE_STYLE_WEIGHT,
    DEFAULT_WEIGHTS,
    INITS,
    OPTIMIZERS,
    STYLE_LOSSES,
    StyleParams,
)


def build_parser() -> argparse.ArgumentParser:
    defaults = StyleParams()
    parser = argparse.ArgumentParser(
        prog="python -m engine",
        description="Paint CONTENT in the style of STYLE (Gatys et al., on VGG-19).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("content", type=Path, help="the picture to repaint")
    parser.add_argument("styles", type=Path, nargs="+", metavar="STYLE", help="style image(s)")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help=f"picture to write; its extension picks the format ({', '.join(OUTPUT_FORMATS)}; "
        "TIFF is 16 bits per channel)",
    )
    parser.add_argument("--size", type=int, default=defaults.size, help="longest side, px")
    parser.add_argument("--iterations", type=int, default=defaults.iterations)
    _add_weights(parser, defaults)
    _add_starts(parser, defaults)
    _add_look(parser, defaults)
    parser.add_argument(
        "--preview",
        action="store_true",
        help="only the instant feed-forward preview (one pass, no VGG optimisation)",
    )
    parser.add_argument("--device", default=defaults.device, help="auto, cpu, cuda or cuda:N")
    parser.add_argument(
        "--weights",
        default=DEFAULT_WEIGHTS,
        help="embedded, torchvision (if cached locally) or a .pth state dict",
    )
    motion_cli.add_arguments(parser)
    return parser


def _add_weights(parser: argparse.ArgumentParser, defaults: StyleParams) -> None:
    """How much each term of the loss counts."""
    weight = parser.add_mutually_exclusive_group()
    weight.add_argument(
        "--strength",
        type=float,
        default=defaults.strength,
        help="style strength: 0.5 subtle, 1 balanced, 2 bold",
    )
    weight.add_argument(
        "--style-weight", type=float, help=f"raw style weight (strength × {BASE_STYLE_WEIGHT:g})"
    )
    parser.add_argument("--content-weight", type=float, default=defaults.content_weight)
    parser.add_argument("--tv-weight", type=float, default=defaults.tv_weight)
    parser.add_argument(
        "--palette-weight",
        type=float,
        default=defaults.palette_weight,
        help="pull towards the style's colours, relative to the style weight (0: off)",
    )


def _add_starts(parser: argparse.ArgumentParser, defaults: StyleParams) -> None:
    """Where the optimisation starts and how it moves."""
    parser.add_argument("--init", choices=INITS, default=defaults.init)
    parser.add_argument(
        "--init-image",
        type=Path,
        metavar="PATH",
        help="start from this picture (e.g. an earlier result, to repaint it at a bigger --size) "
        "instead of --init; the coarse scales below its size are skipped",
    )
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default=defaults.optimizer)
    parser.add_argument(
        "--style-loss",
        choices=STYLE_LOSSES,
        default=defaults.style_loss,
        help="gram: Gram matrices (Gatys); meancov: feature means and covariances",
    )
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--min-scale",
        type=int,
        default=defaults.min_scale,
        help="longest side of the coarsest scale",
    )


def _add_look(parser: argparse.ArgumentParser, defaults: StyleParams) -> None:
    """What the painting takes from the style."""
    parser.add_argument(
        "--preserve-colors",
        action="store_true",
        help="keep the content's colours; transfer only light and texture",
    )
    parser.add_argument(
        "--style-scale",
        type=float,
        default=defaults.style_scale,
        help="size of the style's brush strokes relative to the output",
    )
    parser.add_argument(
        "--style-blend", type=str, default="", help="comma-separated weights, one per style image"
    )


def params_from_args(args: argparse.Namespace) -> StyleParams:
    strength = args.strength if args.style_weight is None else args.style_weight / BASE_STYLE_WEIGHT
    blend = tuple(float(w) for w in args.style_blend.split(",")) if args.style_blend else ()
    return StyleParams(
        size=args.size,
        iterations=args.iterations,
        strength=strength,
        content_weight=args.content_weight,
        tv_weight=args.tv_weight,
        palette_weight=args.palette_weight,
        init=args.init,
        optimizer=args.optimizer,
        style_loss=args.style_loss,
        seed=args.seed,
        preserve_colors=args.preserve_colors,
        style_scale=args.style_scale,
        style_blend=blend,
        min_scale=args.min_scale,
        device=args.device,
    )


class Interrupt:
    """Ctrl-C once: stop after the current iteration and save the picture so far.
    Ctrl-C twice: quit at once, saving nothing."""

    def __init__(self) -> None:
        self.requested = False

    def __enter__(self) -> Interrupt:
        self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc_info: object) -> None:
        signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            signal.default_int_handler(signum, frame)
        self.requested = True
        print(
            "\nstopping after this iteration to save the picture so far "
            "(Ctrl-C again to quit without saving)",
            file=sys.stderr,
        )


def write_preview(args: argparse.Namespace, params: StyleParams) -> int:
    """`--preview`: the feed-forward picture alone, with its time (model loading excluded)."""
    from engine.preview import shared_preview_model

    try:
        content = decode_image(args.content)
        styles = [decode_image(path) for path in args.styles]
        model = shared_preview_model()
        started = time.perf_counter()
        result = model.stylize_with(content, styles, params)
        seconds = time.perf_counter() - started
    except (EngineError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    save(np.asarray(result, dtype=np.float32) / 255, args.output)
    print(f"{args.output}: {result.width}×{result.height}, preview, {seconds:.2f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    animated = args.content.is_file() and is_animation(args.content)
    try:
        params = params_from_args(args)
        (motion_cli.animation_format if animated else output_format)(args.output)
    except ValueError as error:
        parser.error(str(error))
    if args.preview and args.init_image is not None:
        parser.error("--init-image needs the VGG optimisation; leave out --preview")
    if animated:
        return motion_cli.run(args, params)
    if args.preview:  # no torch needed
        return write_preview(args, params)
    return paint_still(args, params)


def paint_still(args: argparse.Namespace, params: StyleParams) -> int:
    """Paint a still with a live progress bar; the exit code."""
    # Imported late so that `--help` and argument errors answer without loading torch.
    from engine.stylizer import Stylizer

    started = time.perf_counter()
    display = ProgressDisplay(sys.stderr)
    try:
        with Interrupt() as interrupt:
            content = decode_image(args.content)
            styles = [decode_image(path) for path in args.styles]
            init = None if args.init_image is None else decode_image(args.init_image)
            stylizer = Stylizer(params.device, args.weights)
            pixels = stylizer.paint(
                content,
                styles,
                params,
                on_progress=display,
                should_stop=lambda: interrupt.requested,
                init_image=init,
            )
    except Cancelled as stopped:
        display.close()
        if stopped.partial is None:
            print("cancelled before the first iteration; nothing saved", file=sys.stderr)
            return 130
        save(stopped.partial, args.output)
        height, width = stopped.partial.shape[:2]
        print(
            f"interrupted, {stopped}: saved the picture so far to {args.output} ({width}×{height})"
        )
        return 130
    except (EngineError, FileNotFoundError, RuntimeError, ValueError) as error:
        display.close()
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        display.close()
        print("\ncancelled; nothing saved", file=sys.stderr)
        return 130
    display.close()
    save(pixels, args.output)
    height, width = pixels.shape[:2]
    print(
        f"{args.output}: {width}×{height}, {params.iterations} iterations, "
        f"{time.perf_counter() - started:.1f} s on {stylizer.device_name}"
    )
    return 0


def save(pixels: np.ndarray, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    save_pixels(pixels, path)
