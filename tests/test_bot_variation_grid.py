"""The variations grid's picture: four previews 2×2, numbered, each cell's settings in the PNG."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from engine_images import CAT, HUBBLE, small
from PIL import Image

from bot.lifecycle.variation_grid import (
    CELL_MAX,
    cell_size,
    compose,
    paint_cells,
)
from bot.messages.png_metadata import text_of, with_text
from bot.messages.variations import variant_fields, variants_line
from bot.rules.request import StyleRequest
from bot.rules.variants import variants_around
from engine.images import encode_png
from engine.preview import shared_preview_model

COLOURS = [(200, 40, 40), (40, 200, 40), (40, 40, 200), (200, 200, 40)]
ASKED = StyleRequest(iterations=100, size=64, strength=5, preserve_colors=False, seed=7)


def cells(width: int = 120, height: int = 80) -> list[Image.Image]:
    return [Image.new("RGB", (width, height), colour) for colour in COLOURS]


def test_the_four_sit_in_reading_order_with_a_gap_between_them() -> None:
    grid = compose(cells())
    width, height = grid.size
    gap = width - 2 * 120

    assert gap > 0 and height == 2 * 80 + gap
    pixels = np.asarray(grid)
    centres = [(60, 40), (120 + gap + 60, 40), (60, 80 + gap + 40), (120 + gap + 60, 80 + gap + 40)]
    assert [tuple(pixels[y, x]) for x, y in centres] == COLOURS


def test_each_cell_carries_its_number_in_a_big_badge_at_its_top_left_corner() -> None:
    grid = np.asarray(compose(cells()))
    badge = grid[2:20, 2:20]  # inside the first cell's badge, a fifth of its 80 px side

    assert (badge.max(axis=2) > 230).any(), "white digits"
    assert (badge.max(axis=2) < 80).mean() > 0.3, "on a dark badge"
    assert tuple(grid[70, 110]) == COLOURS[0], "the rest of the cell untouched"


def test_a_grid_needs_exactly_four_pictures() -> None:
    with pytest.raises(ValueError, match="four pictures, got 3"):
        compose(cells()[:3])


def test_the_four_previews_are_painted_small_and_differ_from_each_other() -> None:
    variants = variants_around(ASKED)
    painted = paint_cells(shared_preview_model(1), small(CAT, 96), [small(HUBBLE, 96)], variants)

    assert {picture.size for picture in painted} == {(64, 43)}
    for a, b in itertools.combinations(painted, 2):
        difference = np.abs(np.asarray(a, np.float32) - np.asarray(b, np.float32)).mean()
        assert difference > 3


def test_a_large_request_is_previewed_at_the_cells_size() -> None:
    assert cell_size(StyleRequest(1, 1024, 5, False, 0)) == CELL_MAX
    assert cell_size(ASKED) == 64


def test_the_grid_png_names_each_variants_settings_and_the_line_says_them_too() -> None:
    variants = variants_around(ASKED)
    png = with_text(encode_png(compose(cells())), variant_fields(variants))

    assert text_of(png) == {
        "Variant 1": "strength 3, brush 0.35",
        "Variant 2": "strength 3, brush 2.83",
        "Variant 3": "strength 7, brush 0.35",
        "Variant 4": "strength 7, brush 2.83",
    }
    assert variants_line(variants) == (
        "**1** strength 3, brush 0.35 · **2** strength 3, brush 2.83 · "
        "**3** strength 7, brush 0.35 · **4** strength 7, brush 2.83"
    )
