"""The four variations of a grid: weaker/stronger × finer/broader around a member's settings.

Pure: no I/O. Strength and brush change the look most (`python -m bench.preview_settings
--around`); the steps below are the smallest that keep all four previews clearly apart at every
point of the dials (the measured table is in docs/variations.md).

At a dial's end the pair is not squeezed but shifted inside the dial, keeping its spread: a
member at strength 1 gets 1 and 1 + 2 × step, so the four still differ as much as anywhere else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from bot.rules.request import BRUSH_MAX, BRUSH_MIN, STRENGTH_MAX, STRENGTH_MIN, StyleRequest

# The smallest steps whose four previews stay clearly apart at every end of the dials, for every
# bench pair: ±1 strength left the weaker and stronger rows too alike, a brush ×2 each way the
# finer and broader columns; ×4 would always span the whole brush dial.
STRENGTH_SPREAD = 2  # dial steps each side of the member's strength
BRUSH_SPREAD = 2**1.5  # brush factor each side of the member's brush
BRUSH_DECIMALS = 2  # brushes are typed with two decimals at most; so are the variants'
VARIANT_COUNT = 4


@dataclass(frozen=True)
class Variant:
    """One cell of the grid: its number (1–4, reading order) and the settings it paints with."""

    number: int
    request: StyleRequest


def spread(centre: float, step: float, low: float, high: float) -> tuple[float, float]:
    """`centre - step` and `centre + step`, shifted together inside `low..high` at an end."""
    if high - low < 2 * step:
        raise ValueError(f"a spread of ±{step} does not fit in {low}..{high}")
    below = min(max(centre - step, low), high - 2 * step)
    return below, below + 2 * step


def strengths_around(strength: int, step: int = STRENGTH_SPREAD) -> tuple[int, int]:
    weaker, stronger = spread(strength, step, STRENGTH_MIN, STRENGTH_MAX)
    return int(weaker), int(stronger)


def brushes_around(brush: float, factor: float = BRUSH_SPREAD) -> tuple[float, float]:
    """A finer and a broader brush, `factor` apart each way (evenly in log scale, as strokes)."""
    finer, broader = spread(
        math.log2(brush), math.log2(factor), math.log2(BRUSH_MIN), math.log2(BRUSH_MAX)
    )
    return round(2**finer, BRUSH_DECIMALS), round(2**broader, BRUSH_DECIMALS)


def variants_around(
    request: StyleRequest,
    *,
    strength_step: int = STRENGTH_SPREAD,
    brush_factor: float = BRUSH_SPREAD,
) -> tuple[Variant, ...]:
    """The grid's four variants in reading order: the top row weaker, the bottom row stronger,
    the left column finer, the right column broader. Each is a full painting's request; every
    other setting stays the member's."""
    strengths = strengths_around(request.strength, strength_step)
    brushes = brushes_around(request.brush, brush_factor)
    return tuple(
        Variant(number, replace(request, strength=strength, brush=brush, quality="full"))
        for number, (strength, brush) in enumerate(
            ((s, b) for s in strengths for b in brushes), start=1
        )
    )
