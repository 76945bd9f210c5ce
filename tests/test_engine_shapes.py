"""The shape limits the bot enforces are the engine's own: they follow its layers and schedule."""

from __future__ import annotations

from engine.losses import CONTENT_LAYER, STYLE_LAYERS
from engine.params import StyleParams
from engine.shapes import (
    MIN_FEATURE_SIDE,
    POOLS_BEFORE_DEEPEST_LAYER,
    coarsest_longest,
    max_aspect,
    short_side,
    style_longest,
)


def test_the_deepest_layer_read_sits_behind_the_pools_the_limit_assumes() -> None:
    blocks = [
        int(name.removeprefix("relu").split("_")[0]) for name in (*STYLE_LAYERS, CONTENT_LAYER)
    ]
    assert max(blocks) - 1 == POOLS_BEFORE_DEEPEST_LAYER
    assert MIN_FEATURE_SIDE == 16


def test_a_twelve_to_one_panorama_is_too_thin_at_the_coarsest_scale() -> None:
    params = StyleParams(size=512, iterations=120)
    longest = coarsest_longest(params)
    assert longest == 128  # the plan starts at the default min_scale
    assert short_side(1200, 100, longest) < MIN_FEATURE_SIDE
    assert short_side(800, 100, longest) == MIN_FEATURE_SIDE
    assert max_aspect(longest) == 8.0
    assert style_longest(params) == 128
