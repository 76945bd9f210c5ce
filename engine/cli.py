"""`python -m engine CONTENT STYLE -o OUT.png`: the engine on its own, with a live progress bar."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from engine.errors import EngineError
from engine.events import Progress
from engine.params import BASE_STYLE_WEIGHT, DEFAULT_WEIGHTS, StyleParams

BAR_WIDTH = 24


def build_parser() -> argparse.ArgumentParser:
    defaults = StyleParams()
    parser = argparse.ArgumentParser(
        prog="python -m engine",
        description="Paint CONTENT in the style of STYLE (Gatys et al., on VGG-19).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("content", type=Path, help="the picture to repaint")
    parser.add_argument("styles", type=Path, nargs="+", metavar="STYLE", help="style image(s)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="PNG to write")
    parser.add_argument("--size", type=int, default=defaults.size, help="longest side, px")
    parser.add_argument("--iterations", type=int, default=defaults.iterations)
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
    parser.add_argument("--init", choices=("content", "noise", "style"), default=defaults.init)
    parser.add_argument("--optimizer", choices=("lbfgs", "adam"), default=defaults.optimizer)
    parser.add_argument("--seed", type=int, default=defaults.seed)
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
    parser.add_argument(
        "--min-scale",
        type=int,
        default=defaults.min_scale,
        help="longest side of the coarsest scale",
    )
    parser.add_argument("--device", default=defaults.device, help="auto, cpu, cuda or cuda:N")
    parser.add_argument(
        "--weights",
        default=DEFAULT_WEIGHTS,
        help="embedded, torchvision (if cached locally) or a .pth state dict",
    )
    return parser


def params_from_args(args: argparse.Namespace) -> StyleParams:
    strength = args.strength if args.style_weight is None else args.style_weight / BASE_STYLE_WEIGHT
    blend = tuple(float(w) for w in args.style_blend.split(",")) if args.style_blend else ()
    return StyleParams(
        size=args.size,
        iterations=args.iterations,
        strength=strength,
        content_weight=args.content_weight,
        tv_weight=args.tv_weight,
        init=args.init,
        optimizer=args.optimizer,
        seed=args.seed,
        preserve_colors=args.preserve_colors,
        style_scale=args.style_scale,
        style_blend=blend,
        min_scale=args.min_scale,
        device=args.device,
    )


def format_duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


def progress_line(event: Progress) -> str:
    filled = round(BAR_WIDTH * event.fraction)
    bar = "█" * filled + "░" * (BAR_WIDTH - filled)
    return (
        f"{bar} {event.fraction:4.0%}  scale {event.scale}/{event.scales} "
        f"({event.width}×{event.height})  {event.iteration}/{event.total}  "
        f"loss {event.loss:.3f}  ETA {format_duration(event.eta)}"
    )


def progress_printer(stream: TextIO) -> Callable[[Progress], None]:
    def show(event: Progress) -> None:
        end = "\n" if event.iteration == event.total else ""
        stream.write("\r" + progress_line(event) + end)
        stream.flush()

    return show


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        params = params_from_args(args)
    except ValueError as error:
        parser.error(str(error))
    # Imported late so that `--help` and argument errors answer without loading torch.
    from engine.images import decode_image, encode_png
    from engine.stylizer import Stylizer

    started = time.perf_counter()
    try:
        content = decode_image(args.content)
        styles = [decode_image(path) for path in args.styles]
        stylizer = Stylizer(params.device, args.weights)
        result = stylizer.stylize(content, styles, params, on_progress=progress_printer(sys.stderr))
    except (EngineError, FileNotFoundError, RuntimeError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ncancelled", file=sys.stderr)
        return 130
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(encode_png(result))
    print(
        f"{args.output}: {result.width}×{result.height}, {params.iterations} iterations, "
        f"{time.perf_counter() - started:.1f} s on {stylizer.device_name}"
    )
    return 0
