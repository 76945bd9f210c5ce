"""Painting a clip frame by frame without flicker (Ruder, Dosovitskiy and Brox 2016).

The first frame gets a still's whole coarse-to-fine budget. Each later frame starts from the
previous result warped along the optical flow and pays a small budget at the finest scale only,
with a temporal term that holds it to that warped picture wherever the flow is trustworthy
(engine.motion.flow's consistency mask). A looping clip's last frame is also held to the
first, so the loop closes without a jump. The style's targets are computed once per clip.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from engine.color import luminance
from engine.events import FrameProgress, Progress
from engine.images import from_pixels, resize_longest
from engine.losses import scaled_error
from engine.motion.flow import carry, flow_between
from engine.motion.progress import ClipClock, frame_costs
from engine.motion.settings import AnimationSettings
from engine.painting_run import StopCheck
from engine.params import StyleParams
from engine.stylizer import StyleCache, Stylizer

FrameCallback = Callable[[int, np.ndarray], None]
FrameProgressCallback = Callable[[FrameProgress], None]


@dataclass(frozen=True)
class Guide:
    """Where a frame should look like an earlier result: that result warped onto the frame,
    and the mask of the pixels the flow can vouch for (H×W×3 and H×W, float32)."""

    warped: np.ndarray
    mask: np.ndarray


def guide(frame: Image.Image, earlier: Image.Image, painted: np.ndarray) -> Guide:
    """The painted `earlier` frame carried onto `frame` along their optical flow."""
    flow, mask = flow_between(frame, earlier)
    return Guide(carry(painted, flow), mask)


def to_tensor_image(pixels: np.ndarray, device: torch.device) -> torch.Tensor:
    """H×W×3 (or H×W) floats to a 1×3×H×W (1×1×H×W) tensor on `device`."""
    tensor = torch.from_numpy(np.ascontiguousarray(pixels, dtype=np.float32)).to(device)
    return tensor.permute(2, 0, 1).unsqueeze(0) if tensor.ndim == 3 else tensor[None, None]


class TemporalLoss:
    """Σ over guides of the scaled error (engine.losses) between the picture and each warped
    result, over the trusted pixels only."""

    def __init__(
        self, guides: Sequence[Guide], weight: float, grey: bool, device: torch.device
    ) -> None:
        self._weight = weight
        self._terms = []
        for item in guides:
            target = to_tensor_image(item.warped, device)
            self._terms.append(
                (luminance(target) if grey else target, to_tensor_image(item.mask, device))
            )

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        return self._weight * sum(
            scaled_error(mask * image.float(), mask * target) for target, mask in self._terms
        )


def paint_clip(
    stylizer: Stylizer,
    frames: Sequence[Image.Image],
    styles: Sequence[Image.Image],
    params: StyleParams,
    settings: AnimationSettings,
    *,
    loops: bool = False,
    done: Sequence[np.ndarray] = (),
    init_image: Image.Image | None = None,
    on_frame: FrameCallback | None = None,
    on_progress: FrameProgressCallback | None = None,
    should_stop: StopCheck | None = None,
) -> list[np.ndarray]:
    """Every frame painted (H×W×3 float32 in 0..1), the ones in `done` (a resumed job's first
    frames) kept as they are. `on_frame(index, pixels)` hears of each frame as it is finished;
    `should_stop` raises `Cancelled` as `Stylizer.paint` does, the finished frames having been
    reported. `init_image` is where the first frame starts."""
    frames = [resize_longest(frame, params.size) for frame in frames]
    painted = list(done)
    later = params.with_changes(iterations=settings.later_iterations(params.iterations))
    clock = ClipClock(frame_costs(params, later.iterations, len(frames)), first=len(painted))
    cache = StyleCache()
    for index in range(len(painted), len(frames)):
        report = _reporter(clock, index, on_progress)
        if index == 0:
            pixels = stylizer.paint(
                frames[0], styles, params, on_progress=report, should_stop=should_stop,
                init_image=init_image, style_cache=cache,
            )  # fmt: skip
        else:
            guides = [guide(frames[index], frames[index - 1], painted[index - 1])]
            if loops and settings.close_loop and index == len(frames) - 1 and index > 1:
                guides.append(guide(frames[index], frames[0], painted[0]))
            temporal = TemporalLoss(
                guides, settings.temporal_weight, params.preserve_colors, stylizer.device
            )
            pixels = stylizer.paint(
                frames[index], styles, later, on_progress=report, should_stop=should_stop,
                init_image=from_pixels(guides[0].warped), style_cache=cache, extra_loss=temporal,
            )  # fmt: skip
        painted.append(pixels)
        if on_frame is not None:
            on_frame(index, pixels)
    return painted


def _reporter(
    clock: ClipClock, index: int, on_progress: FrameProgressCallback | None
) -> Callable[[Progress], None] | None:
    if on_progress is None:
        return None
    return lambda progress: on_progress(clock.update(index, progress))
