"""How far apart the variations grid's four previews are, for `bench.preview_settings`.

Two previews differ in two ways a member sees, measured apart because a plain pixel difference
counts any shift of the strokes as a change of look (a brush of 0.71 and one of 1 already differ
by 20 of 255 pixel by pixel, as much as two dial steps of strength):
- tone: the mean |RGB difference| (of 255) of the two shrunk to TONE px, where the strokes are
  gone and what is left is how much of the style's colour and light took over (strength moves
  it most, the brush too);
- strokes: the ratio of their edge energies (mean luma step between neighbours) at SIZE px, the
  cell as the opened grid shows it (the brush moves it most).
Previews are painted at SIZE px as the grid paints its cells, with one intra-op thread as in the
bot's preview lane.

`--around S B`: per photo × painting pair, the tone distance and the stroke ratio of the previews
around strength S and brush B against the one at (S, B), as strength × brush tables; then, per
candidate pair of steps, the four the rule (bot.variants) picks, the tone distance of its closest
two and the smaller stroke ratio of its two columns.
`--steps`: the same two figures per candidate pair of steps, at their worst over the dials' ends
and middles: the figures the steps were chosen by.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from bench.pairs import PAIRS
from bot.lifecycle.variation_grid import CELL_MAX
from bot.rules.request import BRUSH_MAX, BRUSH_MIN, STRENGTH_MAX, STRENGTH_MIN, StyleRequest
from bot.rules.variants import BRUSH_SPREAD, STRENGTH_SPREAD, variants_around
from engine.images import resize_longest
from engine.preview import PreviewModel
from engine.yiq import RGB_TO_YIQ

SIZE = CELL_MAX
TONE = 32
STRENGTH_STEPS = (1, 2, 3)
BRUSH_FACTORS = (math.sqrt(2), 2.0, 2 * math.sqrt(2), 4.0)
BRUSH_LADDER = (0.25, 0.35, 0.5, 0.71, 1.0, 1.41, 2.0, 2.83, 4.0)  # ×√2 steps
ENDS = [(s, b) for s in (STRENGTH_MIN, 5, STRENGTH_MAX) for b in (BRUSH_MIN, 1.0, BRUSH_MAX)]
Cell = tuple[int, float]  # strength, brush


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--around", nargs=2, type=float, metavar=("STRENGTH", "BRUSH"))
    parser.add_argument("--steps", action="store_true", help="choose the grid's steps")
    parser.add_argument("--pairs", nargs="+", choices=list(PAIRS), default=list(PAIRS))


def run(args: argparse.Namespace) -> bool:
    """Whether a variations measurement was asked for (and printed)."""
    if not (args.around or args.steps):
        return False
    painter = Painter(PreviewModel(threads=1))
    if args.around:
        strength, brush = int(args.around[0]), args.around[1]
        for pair in args.pairs:
            print_around(painter, pair, strength, brush)
    if args.steps:
        print_steps(painter, args.pairs)
    return True


@dataclass(frozen=True)
class Look:
    tone: np.ndarray  # TONE px, float RGB
    edges: float  # at SIZE px


def request(strength: int, brush: float) -> StyleRequest:
    return StyleRequest(
        iterations=1, size=SIZE, strength=strength, preserve_colors=False, seed=0, brush=brush
    )


class Painter:
    """Previews at SIZE px, each painted once, and what a member sees of them."""

    def __init__(self, model: PreviewModel) -> None:
        self._model = model

    @functools.cache  # noqa: B019 - one painter per run, and the cache is the point
    def look(self, pair: str, cell: Cell) -> Look:
        content, style = (Image.open(path).convert("RGB") for path in PAIRS[pair])
        picture = self._model.stylize_with(content, style, request(*cell).style_params())
        luma = np.asarray(picture, np.float32) @ RGB_TO_YIQ[0]
        edges = np.abs(np.diff(luma, axis=0)).mean() + np.abs(np.diff(luma, axis=1)).mean()
        return Look(np.asarray(resize_longest(picture, TONE), np.float32), float(edges))

    def tone(self, pair: str, a: Cell, b: Cell) -> float:
        return float(np.abs(self.look(pair, a).tone - self.look(pair, b).tone).mean())

    def strokes(self, pair: str, a: Cell, b: Cell) -> float:
        """How many times busier the busier of the two is."""
        edges = sorted((self.look(pair, a).edges, self.look(pair, b).edges))
        return edges[1] / edges[0]

    def apart(self, pair: str, four: list[Cell]) -> Apart:
        weak_fine, weak_broad, strong_fine, strong_broad = four
        return Apart(
            rows=min(
                self.tone(pair, weak_fine, strong_fine), self.tone(pair, weak_broad, strong_broad)
            ),
            columns=min(
                self.strokes(pair, weak_fine, weak_broad),
                self.strokes(pair, strong_fine, strong_broad),
            ),
            closest=min(self.tone(pair, a, b) for a, b in itertools.combinations(four, 2)),
        )


@dataclass(frozen=True)
class Apart:
    """How far apart the four are: the weaker row from the stronger (tone), the finer column
    from the broader (stroke ratio), and the closest two of the four (tone)."""

    rows: float
    columns: float
    closest: float

    def __str__(self) -> str:
        return f"{self.rows:5.1f}{self.columns:5.2f}{self.closest:5.1f}"

    @staticmethod
    def worst(aparts: list[Apart]) -> Apart:
        return Apart(*(min(getattr(a, f) for a in aparts) for f in ("rows", "columns", "closest")))


def cells(centre: Cell, step: int, factor: float) -> list[Cell]:
    variants = variants_around(request(*centre), strength_step=step, brush_factor=factor)
    return [(v.request.strength, v.request.brush) for v in variants]


def print_around(painter: Painter, pair: str, strength: int, brush: float) -> None:
    centre = (strength, brush)
    strengths = [s for s in range(strength - 3, strength + 4) if STRENGTH_MIN <= s <= STRENGTH_MAX]
    brushes = [b for b in BRUSH_LADDER if brush / 4.5 < b < brush * 4.5]
    header = "strength \\ brush" + "".join(f"{b:7g}" for b in brushes)
    for name, measure in (("tone distance", painter.tone), ("stroke ratio", painter.strokes)):
        print(f"\n{pair}: {name} from strength {strength} brush {brush:g}\n{header}")
        for s in strengths:
            print(f"{s:16d}" + "".join(f"{measure(pair, centre, (s, b)):7.2f}" for b in brushes))
    print("steps (strength ±, brush ×)  the four (strength/brush)        rows cols closest")
    for step, factor in itertools.product(STRENGTH_STEPS, BRUSH_FACTORS):
        four = cells(centre, step, factor)
        names = "  ".join(f"{s}/{b:g}" for s, b in four)
        mark = "  <- the rule's" if (step, factor) == (STRENGTH_SPREAD, BRUSH_SPREAD) else ""
        print(f"  ±{step} ×{factor:<4.2f}{'':15}{names:34}{painter.apart(pair, four)}{mark}")


def print_steps(painter: Painter, pairs: list[str]) -> None:
    print(f"\nthe four at their closest over strength {STRENGTH_MIN}/5/{STRENGTH_MAX} × brush "
          f"{BRUSH_MIN:g}/1/{BRUSH_MAX:g}: rows' tone distance, columns' stroke ratio, closest "
          "two's tone distance")  # fmt: skip
    print("steps (strength ±, brush ×)" + "".join(f"{pair:>20}" for pair in pairs))
    for step, factor in itertools.product(STRENGTH_STEPS, BRUSH_FACTORS):
        worst = (
            Apart.worst([painter.apart(pair, cells(centre, step, factor)) for centre in ENDS])
            for pair in pairs
        )
        mark = "  <- the rule's" if (step, factor) == (STRENGTH_SPREAD, BRUSH_SPREAD) else ""
        print(f"  ±{step} ×{factor:<4.2f}{'':17}" + "".join(f"   {w}" for w in worst) + mark)
