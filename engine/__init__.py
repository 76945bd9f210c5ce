"""Atelier's style-transfer engine. Importing this package does not import torch: the bot process
uses `engine.pool`, `engine.params` and `engine.events`, and only worker processes load tensors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from engine.errors import Cancelled, EngineError, InvalidImage
from engine.events import Preview, Progress
from engine.params import StyleParams

if TYPE_CHECKING:
    from PIL import Image

    from engine.painting_run import PreviewCallback, ProgressCallback, StopCheck

__all__ = [
    "Cancelled",
    "EngineError",
    "InvalidImage",
    "Preview",
    "Progress",
    "StyleParams",
    "stylize",
]


def stylize(
    content: Image.Image,
    style: Image.Image | Sequence[Image.Image],
    params: StyleParams | None = None,
    *,
    on_progress: ProgressCallback | None = None,
    on_preview: PreviewCallback | None = None,
    should_stop: StopCheck | None = None,
    init_image: Image.Image | None = None,
) -> Image.Image:
    """Paint `content` in the style of `style` with a VGG-19 kept loaded for later calls,
    starting from `init_image` when one is given."""
    from engine.stylizer import shared_stylizer

    params = params or StyleParams()
    return shared_stylizer(params.device).stylize(
        content,
        style,
        params,
        on_progress=on_progress,
        on_preview=on_preview,
        should_stop=should_stop,
        init_image=init_image,
    )
