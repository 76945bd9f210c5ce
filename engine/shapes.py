"""How thin a picture may be: every scale of the painting must survive VGG-19's pooling. Pure.

The deepest layer the losses read (relu5_1) sits behind four 2×2 max-pools, so a side under
2⁴ px at the coarsest scale has no features left there and the run fails. Callers (the bot's
intake) refuse such pictures up front, with the numbers, instead of spending a worker on them.
"""

from __future__ import annotations

from engine.params import StyleParams
from engine.schedule import plan

POOLS_BEFORE_DEEPEST_LAYER = 4  # relu5_1; tests/test_engine_shapes.py checks it against losses
MIN_FEATURE_SIDE = 2**POOLS_BEFORE_DEEPEST_LAYER
MIN_STYLE_SIDE = 16  # the stylizer never shrinks a style image's longest side below this


def coarsest_longest(params: StyleParams) -> int:
    """The longest side of the content at the first (coarsest) scale of the plan."""
    return plan(params.size, params.iterations, params.min_scale)[0].longest


def style_longest(params: StyleParams) -> int:
    """The longest side of the style image at the coarsest scale."""
    return max(MIN_STYLE_SIDE, round(coarsest_longest(params) * params.style_scale))


def short_side(width: int, height: int, longest: int) -> int:
    """The short side of a width×height picture scaled to `longest` (as engine.images does)."""
    return max(1, round(min(width, height) * longest / max(width, height)))


def max_aspect(longest: int) -> float:
    """The most elongated long:short ratio that still keeps MIN_FEATURE_SIDE at `longest`."""
    return longest / MIN_FEATURE_SIDE
