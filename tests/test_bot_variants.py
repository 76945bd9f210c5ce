"""A grid's four variants: weaker/stronger × finer/broader around what the member asked for."""

from __future__ import annotations

import itertools

import pytest

from bot.rules.request import BRUSH_MAX, BRUSH_MIN, STRENGTH_MAX, STRENGTH_MIN, StyleRequest
from bot.rules.variants import BRUSH_SPREAD, STRENGTH_SPREAD, spread, variants_around

ASKED = StyleRequest(
    iterations=300, size=768, strength=5, preserve_colors=True, seed=42, brush=1.0, blend=30
)


def looks(request: StyleRequest) -> list[tuple[int, float]]:
    return [(v.request.strength, v.request.brush) for v in variants_around(request)]


def test_the_four_go_weaker_and_stronger_by_rows_finer_and_broader_by_columns() -> None:
    variants = variants_around(ASKED)

    assert [v.number for v in variants] == [1, 2, 3, 4]
    assert looks(ASKED) == [(3, 0.35), (3, 2.83), (7, 0.35), (7, 2.83)]


def test_every_other_setting_stays_the_members() -> None:
    for variant in variants_around(ASKED):
        request = variant.request
        assert (request.iterations, request.size, request.seed) == (300, 768, 42)
        assert (request.preserve_colors, request.blend, request.quality) == (True, 30, "full")


def test_a_member_at_the_weakest_and_finest_gets_the_ends_and_steps_up_from_them() -> None:
    at_the_ends = StyleRequest(
        iterations=1, size=512, strength=STRENGTH_MIN, preserve_colors=False, seed=0, brush=0.25
    )

    assert looks(at_the_ends) == [(1, 0.25), (1, 2.0), (5, 0.25), (5, 2.0)]


def test_a_member_at_the_strongest_and_broadest_gets_the_ends_and_steps_down_from_them() -> None:
    at_the_ends = StyleRequest(
        iterations=1, size=512, strength=STRENGTH_MAX, preserve_colors=False, seed=0, brush=4.0
    )

    assert looks(at_the_ends) == [(6, 0.5), (6, 4.0), (10, 0.5), (10, 4.0)]


def test_anywhere_on_the_dials_the_four_differ_by_the_full_steps_and_stay_on_the_dials() -> None:
    brushes = (0.25, 0.3, 0.5, 0.9, 1.0, 1.7, 2.5, 3.9, 4.0)
    for strength, brush in itertools.product(range(STRENGTH_MIN, STRENGTH_MAX + 1), brushes):
        asked = StyleRequest(
            iterations=1, size=512, strength=strength, preserve_colors=False, seed=0, brush=brush
        )
        (weak, fine), (_, broad), (strong, _), _ = looks(asked)

        assert len(set(looks(asked))) == 4
        assert strong - weak == 2 * STRENGTH_SPREAD
        assert broad / fine == pytest.approx(BRUSH_SPREAD**2, rel=0.02)
        assert weak >= STRENGTH_MIN and strong <= STRENGTH_MAX
        assert fine >= BRUSH_MIN and broad <= BRUSH_MAX


def test_a_spread_wider_than_the_dial_is_refused() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        spread(5, 6, 1, 10)
