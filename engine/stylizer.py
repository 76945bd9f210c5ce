"""The Gatys optimisation loop: coarse-to-fine, with progress events, previews and cancellation."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from engine.color import (
    colour_gaussian,
    luminance,
    match_luminance,
    recolor,
    tempered_palette,
)
from engine.device import precision_for, resolve_device
from engine.errors import Cancelled
from engine.events import Preview
from engine.images import encode_png, resize_longest
from engine.losses import (
    CONTENT_LAYER,
    STYLE_LAYERS,
    ContentLoss,
    PaletteLoss,
    StyleLoss,
    total_variation,
)
from engine.painting_run import (
    BestPicture,
    Callbacks,
    PaintingRun,
    PreviewCallback,
    ProgressCallback,
    StopCheck,
    make_optimizer,
)
from engine.params import DEFAULT_WEIGHTS, StyleParams
from engine.schedule import Stage, plan
from engine.starts import first_scale, in_palette, initial_picture, preview_at, start_from
from engine.tensors import to_image, to_pixels, to_tensor
from engine.vgg import VGGFeatures
from engine.weights import load_weights

# Style images bigger than this add memory and time but no visible detail.
MAX_STYLE_SIDE = 2048

# A term added to the loss of every stage (the temporal loss of a clip's later frames).
ExtraLoss = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class StyleStage:
    """The style at one scale: its pictures, palette and loss targets."""

    tensors: list[torch.Tensor]
    palette: tuple[torch.Tensor, torch.Tensor]
    targets: dict[str, tuple[torch.Tensor, torch.Tensor]]


@dataclass
class StyleCache:
    """Style stages by scale, computed once and shared by every picture painted with the same
    styles and settings (the frames of a clip). With `preserve_colors` the style's luma is
    matched to the first picture's, so the frames of a clip share one style, not one each."""

    stages: dict[int, StyleStage] = field(default_factory=dict)


class Stylizer:
    """Holds VGG-19 on one device; call `stylize` as often as you like."""

    def __init__(self, device: str = "auto", weights: str = DEFAULT_WEIGHTS) -> None:
        self.device = resolve_device(device)
        self.precision = precision_for(self.device)
        loaded = load_weights(weights)
        self.weights_source = loaded.source
        vgg = VGGFeatures(loaded, (*STYLE_LAYERS, CONTENT_LAYER))
        self.vgg = vgg.to(self.device, memory_format=self.precision.memory_format)

    @property
    def device_name(self) -> str:
        return str(self.device)

    def features(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        with self.precision.autocast(self.device):
            return self.vgg(image.contiguous(memory_format=self.precision.memory_format))

    def stylize(
        self,
        content: Image.Image,
        styles: Image.Image | Sequence[Image.Image],
        params: StyleParams | None = None,
        *,
        on_progress: ProgressCallback | None = None,
        on_preview: PreviewCallback | None = None,
        should_stop: StopCheck | None = None,
        init_image: Image.Image | None = None,
    ) -> Image.Image:
        """The painted picture, 8-bit RGB. `should_stop()` raises `Cancelled` with the picture so
        far (`Cancelled.partial`). An `init_image` (e.g. an earlier result, to repaint it bigger)
        is where the optimisation starts instead of `params.init`'s choice."""
        callbacks = Callbacks(on_progress, on_preview, should_stop)
        painted = self._paint(
            content, styles, params or StyleParams(), callbacks, init_image, StyleCache(), None
        )
        return to_image(painted)

    def paint(
        self,
        content: Image.Image,
        styles: Image.Image | Sequence[Image.Image],
        params: StyleParams | None = None,
        *,
        on_progress: ProgressCallback | None = None,
        should_stop: StopCheck | None = None,
        init_image: Image.Image | None = None,
        style_cache: StyleCache | None = None,
        extra_loss: ExtraLoss | None = None,
    ) -> np.ndarray:
        """As `stylize`, but H×W×3 float32 in 0..1, for outputs deeper than 8 bits. Pictures
        painted with one `style_cache` share the style's targets; `extra_loss` is added to the
        loss (it receives the picture being optimised: grey when colours are kept)."""
        callbacks = Callbacks(on_progress, None, should_stop)
        painted = self._paint(
            content,
            styles,
            params or StyleParams(),
            callbacks,
            init_image,
            style_cache or StyleCache(),
            extra_loss,
        )
        return to_pixels(painted)

    def _paint(
        self,
        content: Image.Image,
        styles: Image.Image | Sequence[Image.Image],
        params: StyleParams,
        callbacks: Callbacks,
        init_image: Image.Image | None,
        style_cache: StyleCache,
        extra_loss: ExtraLoss | None,
    ) -> torch.Tensor:
        styles = [styles] if isinstance(styles, Image.Image) else list(styles)
        blend = list(params.style_blend) or [1.0] * len(styles)
        if not styles or len(blend) != len(styles):
            raise ValueError(f"{len(styles)} style images but {len(blend)} blend weights")
        generator = torch.Generator().manual_seed(params.seed)
        run = PaintingRun(
            params, callbacks, plan(params.size, params.iterations, first_scale(params, init_image))
        )
        image: torch.Tensor | None = None
        for index, stage in enumerate(run.stages):
            run.index = index
            run.colour = to_tensor(resize_longest(content, stage.longest), self.device)
            target = luminance(run.colour) if params.preserve_colors else run.colour
            if stage.longest not in style_cache.stages:
                style_cache.stages[stage.longest] = self._style_stage(
                    styles, blend, stage, params, target
                )
            style = style_cache.stages[stage.longest]
            goal = tempered_palette(target, style.palette, min(1.0, params.strength))
            if image is None and init_image is not None:
                image = start_from(init_image, target, params)
            elif image is None:
                preview = functools.partial(preview_at, content, styles, params)
                image = initial_picture(params, target, style.tensors[0], generator, preview, goal)
            else:
                upscaled = F.interpolate(image, size=target.shape[-2:], mode="bicubic")
                image = in_palette(upscaled, goal, params)
            objective = self._objective(target, style, params, extra_loss)
            image = self._optimise(run, image, objective)
        assert image is not None and run.colour is not None
        return self._finish(image, run.colour, params)

    def _style_stage(
        self,
        styles: list[Image.Image],
        blend: list[float],
        stage: Stage,
        params: StyleParams,
        content: torch.Tensor,
    ) -> StyleStage:
        tensors = [self._style_tensor(s, stage, params, content) for s in styles]
        with torch.no_grad():
            targets = StyleLoss.targets([self.features(t) for t in tensors], blend)
        return StyleStage(tensors, colour_gaussian(tensors, blend), targets)

    def _style_tensor(
        self, style: Image.Image, stage: Stage, params: StyleParams, content: torch.Tensor
    ) -> torch.Tensor:
        side = min(MAX_STYLE_SIDE, max(16, round(stage.longest * params.style_scale)))
        tensor = to_tensor(resize_longest(style, side), self.device)
        if params.preserve_colors:
            return match_luminance(luminance(tensor), content)
        return tensor

    def _objective(
        self,
        content: torch.Tensor,
        style: StyleStage,
        params: StyleParams,
        extra_loss: ExtraLoss | None,
    ) -> Callable[[torch.Tensor], torch.Tensor]:
        with torch.no_grad():
            content_loss = ContentLoss(self.features(content)[CONTENT_LAYER])
        style_loss = StyleLoss(style.targets, params.style_loss)
        palette_loss = PaletteLoss(style.palette).to(content.device)
        # Kept colours are the content's: the picture is painted grey and recoloured at the end.
        palette_weight = 0.0 if params.preserve_colors else params.palette_weight

        def objective(image: torch.Tensor) -> torch.Tensor:
            features = self.features(image)
            loss = params.style_weight * style_loss(features)
            if params.content_weight:
                loss = loss + params.content_weight * content_loss(features)
            if params.tv_weight:
                loss = loss + params.tv_weight * total_variation(image.float())
            if palette_weight:
                loss = loss + params.style_weight * palette_weight * palette_loss(image)
            if extra_loss is not None:
                loss = loss + extra_loss(image)
            return loss

        return objective

    def _optimise(
        self,
        run: PaintingRun,
        start: torch.Tensor,
        objective: Callable[[torch.Tensor], torch.Tensor],
    ) -> torch.Tensor:
        params, callbacks = run.params, run.callbacks
        image = start.detach().contiguous().requires_grad_(True)
        optimizer = make_optimizer(params.optimizer, image)
        scale = self.precision.loss_scale

        def closure() -> torch.Tensor:
            optimizer.zero_grad(set_to_none=True)
            loss = objective(image)
            (loss * scale).backward()
            if scale != 1.0:
                image.grad.div_(scale)
            return loss

        height, width = image.shape[-2:]
        best = BestPicture()
        for _ in range(run.stage.iterations):
            if callbacks.should_stop is not None and callbacks.should_stop():
                partial = to_pixels(self._finish(image, run.colour, params)) if run.done else None
                raise Cancelled(f"cancelled after {run.done} of {run.total} iterations", partial)
            before = image.detach().clone()
            loss = float(optimizer.step(closure).detach())  # the loss of `before`
            best.keep(before, loss)
            if params.optimizer == "adam":
                with torch.no_grad():
                    image.clamp_(0, 1)
            progress = run.advance(width, height, loss)
            if callbacks.on_progress is not None:
                callbacks.on_progress(progress)
            wants_preview = params.preview_every and run.done % params.preview_every == 0
            if callbacks.on_preview is not None and wants_preview and run.done < run.total:
                png = encode_png(to_image(self._finish(image, run.colour, params)))
                callbacks.on_preview(Preview(run.done, run.total, png))
        with torch.no_grad():
            final_loss = float(objective(image))
        return best.better_than(image.detach(), final_loss)

    @staticmethod
    def _finish(image: torch.Tensor, colour: torch.Tensor, params: StyleParams) -> torch.Tensor:
        image = image.detach().float().clamp(0, 1)
        return recolor(image, colour) if params.preserve_colors else image


@functools.cache
def shared_stylizer(device: str = "auto", weights: str = DEFAULT_WEIGHTS) -> Stylizer:
    return Stylizer(device, weights)
