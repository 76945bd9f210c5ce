"""Where a painting starts: its coarsest scale, an init image, the content in the style's palette,
or the feed-forward preview, mixed by the budget."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from PIL import Image

from engine.color import luminance, match_colours
from engine.params import StyleParams
from engine.tensors import to_tensor

# The inits whose pictures are carried onto the style's palette (in_palette): "content" stays
# the literal photo.
PALETTE_INITS = ("auto", "preview")
# init="auto" starts from the feed-forward preview mixed with the content (in the style's
# palette), the content's share growing with the budget up to all of it here: few iterations
# cannot move far from their start, so a preview start makes 10-40 iterations look painted, while
# from this many on the content start keeps the content more faithful (python -m bench.quality;
# docs/benchmarks.md).
CONTENT_START_ITERATIONS = 120


def first_scale(params: StyleParams, init_image: Image.Image | None) -> int:
    """The coarsest scale to paint at. An init image already holds the composition down to its
    own size, so the schedule starts there: coarser stages would only blur it away."""
    if init_image is None:
        return params.min_scale
    return max(params.min_scale, max(init_image.size))


def start_from(init_image: Image.Image, target: torch.Tensor, params: StyleParams) -> torch.Tensor:
    """The init image at the first stage's size, grey like the target when colours are kept."""
    height, width = target.shape[-2:]
    start = to_tensor(init_image.resize((width, height), Image.Resampling.BICUBIC), target.device)
    return luminance(start) if params.preserve_colors else start


def in_palette(
    image: torch.Tensor, palette: tuple[torch.Tensor, torch.Tensor], params: StyleParams
) -> torch.Tensor:
    """For init auto and preview, unless the member keeps their colours: the picture carried onto
    the palette (the style's, tempered by a strength below 1). Done to the start and again at
    each finer scale, where the optimisation has let the colours drift back towards the
    content's (the palette distances: docs/benchmarks.md, "How the defaults were picked")."""
    if params.init not in PALETTE_INITS or params.preserve_colors or params.strength == 0:
        return image
    return match_colours(image, palette)


def content_share(params: StyleParams) -> float:
    """How much of the start is the content (in the style's palette for init=auto), the rest
    being the preview."""
    if params.init == "content":
        return 1.0
    if params.init == "preview":
        return 0.0
    return min(1.0, params.iterations / CONTENT_START_ITERATIONS)


def preview_at(
    content: Image.Image, styles: list[Image.Image], params: StyleParams, longest: int
) -> Image.Image:
    """The feed-forward preview (engine/preview) with the job's settings: most of the look in
    one pass, as a start."""
    from engine.preview import shared_preview_model

    return shared_preview_model().stylize_with(content, styles, params.with_changes(size=longest))


def initial_picture(
    params: StyleParams,
    content: torch.Tensor,
    style: torch.Tensor,
    generator: torch.Generator,
    preview: Callable[[int], Image.Image],
    palette: tuple[torch.Tensor, torch.Tensor],
) -> torch.Tensor:
    if params.init == "noise":
        return torch.rand(content.shape, generator=generator).to(content.device)
    if params.init == "style":
        return F.interpolate(style, size=content.shape[-2:], mode="bicubic").clamp(0, 1)
    if params.init == "content":
        return content.clone()
    share = content_share(params)
    if share == 1.0:
        return in_palette(content, palette, params)
    height, width = content.shape[-2:]
    start = to_tensor(preview(max(height, width)).resize((width, height)), content.device)
    start = luminance(start) if params.preserve_colors else start
    if share == 0.0:
        return start
    return start.lerp(in_palette(content, palette, params), share)
