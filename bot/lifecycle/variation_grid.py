"""The variations grid's picture: four instant previews 2×2, numbered 1–4 in reading order.
Pillow only: it is painted in the preview lane's thread (each cell's settings go into the PNG's
text chunks, bot.messages.variations).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from PIL import Image, ImageDraw, ImageFont

from bot.rules.request import StyleRequest
from bot.rules.variants import Variant
from engine.images import Source, decode_image
from engine.preview import PreviewModel

# A cell's longest side, where the variants' steps were measured (bench.preview_settings
# --steps). Shown in a chat a cell is about 270 px wide anyway, and a fine brush paints a cell
# at twice its pixels or more, so 512 px cells would cost the grid twice as much.
CELL_MAX = 384
GAP_SHARE = 0.015  # the gap between cells, of the grid's side
BADGE_SHARE = 0.2  # a number's badge, of a cell's shorter side: legible with the grid shown small
MIN_BADGE = 24
BADGE_FILL = (20, 20, 20, 200)  # dark, a little see-through, white digits: legible on any picture
GAP_COLOUR = (24, 24, 24)


def cell_size(request: StyleRequest) -> int:
    return min(request.size, CELL_MAX)


def grid_still(content: Source) -> Image.Image:
    """The picture whose four variants the grid shows. Today every content is a still; an
    animation's grid shows its middle frame, and that frame is picked here."""
    return decode_image(content)


def paint_cells(
    model: PreviewModel,
    content: Image.Image,
    styles: Sequence[Image.Image],
    variants: Sequence[Variant],
) -> list[Image.Image]:
    """Each variant's instant preview, at most CELL_MAX px: the member's other settings kept."""
    cells = []
    for variant in variants:
        request = replace(variant.request, size=cell_size(variant.request))
        cells.append(model.stylize_with(content, styles, request.style_params()))
    return cells


def compose(cells: Sequence[Image.Image]) -> Image.Image:
    """Four pictures 2×2 in reading order, each numbered in a badge at its top-left corner."""
    if len(cells) != 4:
        raise ValueError(f"a grid holds four pictures, got {len(cells)}")
    width = max(cell.width for cell in cells)
    height = max(cell.height for cell in cells)
    gap = max(2, round(GAP_SHARE * 2 * max(width, height)))
    grid = Image.new("RGB", (2 * width + gap, 2 * height + gap), GAP_COLOUR)
    for index, cell in enumerate(cells):
        left, top = (index % 2) * (width + gap), (index // 2) * (height + gap)
        grid.paste(cell, (left, top))
        badge(grid, (left, top), index + 1, max(MIN_BADGE, round(BADGE_SHARE * min(width, height))))
    return grid


def badge(grid: Image.Image, corner: tuple[int, int], number: int, side: int) -> None:
    """`number` in a dark rounded square of `side` px, inset from `corner` by a tenth of it."""
    overlay = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    draw.rounded_rectangle((0, 0, side - 1, side - 1), radius=side // 4, fill=BADGE_FILL)
    font = ImageFont.load_default(size=round(side * 0.75))
    draw.text((side / 2, side / 2), str(number), font=font, fill="white", anchor="mm")
    inset = side // 10
    grid.paste(overlay, (corner[0] + inset, corner[1] + inset), overlay)
