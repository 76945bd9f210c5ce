"""Atelier's engine against the classic recipe, on this machine, in one run.

Prints seconds per iteration at 256 and 512 px for both, the end-to-end time of Atelier's
defaults at 512 px, the seed recipe's 800 iterations extrapolated from a few, and the ratio;
writes a side-by-side picture (content | style | seed recipe | Atelier).

    python -m bench.speed               # seed recipe picture at equal time to Atelier
    python -m bench.speed --seed-full   # seed recipe picture after all 800 iterations
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import torch
from PIL import Image

from bench.seed_recipe import ITERATIONS as SEED_ITERATIONS
from bench.seed_recipe import SeedRecipe
from engine.images import decode_image, resize_longest
from engine.params import StyleParams
from engine.schedule import plan
from engine.stylizer import Stylizer

EXAMPLES = Path(__file__).resolve().parents[1] / "engine" / "examples"
OUT = Path(__file__).resolve().parent / "results"
TIMED_ITERATIONS = 4
OPTIMIZER_SIZE = 256


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", type=Path, default=EXAMPLES / "astronaut.png")
    parser.add_argument("--style", type=Path, default=EXAMPLES / "hubble_deep_field.jpg")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--seed-full", action="store_true", help="run all 800 seed iterations")
    parser.add_argument("--out", type=Path, default=OUT / "speed_side_by_side.png")
    return parser.parse_args()


def seconds_per_iteration(run_iterations, size: int) -> float:
    """Median seconds of one iteration at `size`, after one warm-up iteration."""
    stamps: list[float] = []
    run_iterations(size, TIMED_ITERATIONS + 1, lambda _: stamps.append(time.perf_counter()))
    steps = sorted(b - a for a, b in itertools.pairwise(stamps))
    return steps[len(steps) // 2]


def main() -> None:
    args = arguments()
    content, style = decode_image(args.content), decode_image(args.style)
    atelier, seed = Stylizer("cpu"), SeedRecipe()
    print(f"CPU, {torch.get_num_threads()} threads, torch {torch.__version__}")

    def atelier_iterations(size, n, tick):
        params = StyleParams(size=size, iterations=n, min_scale=size)
        atelier.stylize(content, style, params, on_progress=lambda e: tick(e.iteration))

    def seed_iterations(size, n, tick):
        seed.run(content, style, size, n, on_iteration=tick)

    print(f"{'s/iteration':<14}{'seed recipe':>12}{'Atelier':>10}")
    for size in (256, args.size):
        s, a = (
            seconds_per_iteration(seed_iterations, size),
            seconds_per_iteration(atelier_iterations, size),
        )
        print(f"{size:>4} px{'':<7}{s:>12.2f}{a:>10.2f}")
        if size == args.size:
            seed_per_iteration = s

    defaults = StyleParams(size=args.size)
    started = time.perf_counter()
    result = atelier.stylize(content, style, defaults)
    atelier_seconds = time.perf_counter() - started
    seed_seconds = seed_per_iteration * SEED_ITERATIONS
    print(
        f"end to end at {args.size} px: Atelier defaults ({defaults.iterations} iterations over "
        f"{len(plan(defaults.size, defaults.iterations, defaults.min_scale))} scales) {atelier_seconds:.1f} s; seed recipe "
        f"({SEED_ITERATIONS} iterations, extrapolated) {seed_seconds:.0f} s = "
        f"{seed_seconds / 60:.1f} min; Atelier is {seed_seconds / atelier_seconds:.1f}x faster"
    )

    compare_optimizers(atelier, content, style)

    seed_budget = (
        SEED_ITERATIONS if args.seed_full else max(1, int(atelier_seconds / seed_per_iteration))
    )
    seed_image = seed.run(content, style, args.size, seed_budget)
    label = "all 800" if args.seed_full else f"{seed_budget} (same time as Atelier)"
    print(f"seed recipe picture after {label} iterations")
    save_side_by_side(args.out, [content, style, seed_image, result], result.height)
    print(f"side by side (content | style | seed recipe | Atelier): {args.out}")


def compare_optimizers(atelier: Stylizer, content: Image.Image, style: Image.Image) -> None:
    """Each optimiser's final loss after the default iterations: one of the measures the default
    optimiser was picked by (docs/benchmarks.md, "Speed")."""
    finals = {}
    for name in ("lbfgs", "adam"):
        params = StyleParams(size=OPTIMIZER_SIZE, optimizer=name)
        atelier.stylize(
            content, style, params, on_progress=lambda e, n=name: finals.update({n: e.loss})
        )
    print(
        f"final loss at {OPTIMIZER_SIZE} px, default iterations: "
        + ", ".join(f"{name} {loss:.0f}" for name, loss in finals.items())
        + f" (default: {StyleParams().optimizer})"
    )


def save_side_by_side(path: Path, images: list[Image.Image], height: int) -> None:
    tiles = [resize_longest(im, height) if im.height != height else im for im in images]
    tiles = [im.resize((round(im.width * height / im.height), height)) for im in tiles]
    canvas = Image.new("RGB", (sum(t.width for t in tiles), height), "white")
    x = 0
    for tile in tiles:
        canvas.paste(tile, (x, 0))
        x += tile.width
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path, optimize=True)


if __name__ == "__main__":
    main()
