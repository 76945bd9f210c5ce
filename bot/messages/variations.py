"""What a variations grid says about its four cells: the line under it and its PNG's text."""

from __future__ import annotations

from collections.abc import Sequence

from bot.rules.request import StyleRequest
from bot.rules.variants import Variant, variants_around


def describe(request: StyleRequest) -> str:
    """What sets a variant apart, as the grid's line and its PNG say it."""
    return f"strength {request.strength}, brush {request.brush:g}"


def variant_fields(variants: Sequence[Variant]) -> dict[str, str]:
    """The grid PNG's text chunks naming each cell's settings."""
    return {f"Variant {v.number}": describe(v.request) for v in variants}


def variants_line(variants: Sequence[Variant]) -> str:
    """The line under the grid: each number with its settings."""
    return " · ".join(f"**{v.number}** {describe(v.request)}" for v in variants)


def instant_note(request: StyleRequest) -> str:
    """What an instant result says under it: for a grid, each cell's settings."""
    if request.quality == "variations":
        return f"Pick one to paint: {variants_line(variants_around(request))}"
    return "An instant one-pass preview; ask again without quality:preview for the full painting."
