"""What a variations grid costs beside one instant preview, and the grid of each bench pair.

Per photo × painting pair at the bot's default settings (strength 5, brush 1, 512 px): seconds for
one instant preview (what every job gets today) and for the whole grid picture (four previews,
composed, encoded, text chunks written), on one intra-op thread as in the bot's preview lane,
median of a few runs. `--save` writes each grid to bench/results/variations_<pair>.png.

    python -m bench.variations_grid
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from bench.pairs import PAIRS
from bot.lifecycle.variation_grid import compose, paint_cells
from bot.messages.png_metadata import text_of, with_text
from bot.messages.variations import variant_fields, variants_line
from bot.rules.request import STRENGTH_DEFAULT, StyleRequest
from bot.rules.variants import variants_around
from engine.images import encode_png
from engine.preview import PreviewModel

OUT = Path(__file__).resolve().parent / "results"
ASKED = StyleRequest(
    iterations=1, size=512, strength=STRENGTH_DEFAULT, preserve_colors=False, seed=0
)


def seconds(work: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def grid_png(model: PreviewModel, content: Image.Image, style: Image.Image) -> bytes:
    variants = variants_around(ASKED)
    grid = compose(paint_cells(model, content, [style], variants))
    return with_text(encode_png(grid), {"Software": "Atelier", **variant_fields(variants)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pairs", nargs="+", choices=list(PAIRS), default=list(PAIRS))
    parser.add_argument("--save", action="store_true", help="write the grids to bench/results")
    args = parser.parse_args()
    model = PreviewModel(threads=1)
    print(f"variants: {variants_line(variants_around(ASKED))}")
    print("pair                 one preview s  grid s  grid / preview")
    for pair in args.pairs:
        content, style = (Image.open(path).convert("RGB") for path in PAIRS[pair])
        model.stylize_with(content, style, ASKED.style_params())  # first run allocates
        preview = functools.partial(model.stylize_with, content, style, ASKED.style_params())
        one = seconds(preview, args.repeats)
        grid = seconds(functools.partial(grid_png, model, content, style), args.repeats)
        print(f"{pair:20} {one:13.3f} {grid:7.3f} {grid / one:15.1f}")
        if args.save:
            path = OUT / f"variations_{pair}.png"
            png = grid_png(model, content, style)
            path.write_bytes(png)
            print(f"  {path.relative_to(OUT.parents[1])}: {', '.join(text_of(png))}")


if __name__ == "__main__":
    main()
