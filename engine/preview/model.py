"""One content + any style → a stylised picture in one forward pass (timings: docs/benchmarks.md).

The style predictor (MobileNetV2) turns a 256×256 style crop into a 100-number style vector; the
transformer paints the content with it. The transformer is fully convolutional with two stride-2
stages, so it takes any size whose sides are multiples of 4; only the shipped file pins its input
to 384×384, which `free_size` lifts. Attribution and checksums: engine/preview/weights.py.

A job's `strength`, `style_scale` (the bot's brush) and `preserve_colors` shape the preview too,
cheaply: see `style_share`, `painting_side` and engine/preview/colors.py.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

from engine.images import resize_longest
from engine.params import StyleParams
from engine.preview.colors import keep_content_colors
from engine.preview.weights import (
    STYLE_PREDICTOR,
    TRANSFORMER,
    PreviewWeightsError,
    installed_model_dir,
    read_verified,
)

STYLE_SIDE = 256  # the style predictor's fixed input
MULTIPLE = 4  # the transformer downsamples twice by 2

# The network's own strength control (Ghiasi et al. 2017; Magenta's `content_weight`) mixes the
# style's vector with the vector predicted from the content itself: share 0 paints the content
# in its own style, 1 in the style. Atelier's strength is a multiplicative dial (the CLI's 0.5
# subtle, 1 balanced, 2 bold; the bot's levels 1..10 step by ×√2), and from share 0.25 on the
# preview's distance from the content grows about linearly with the share (python -m
# bench.preview_settings; docs/benchmarks.md), so the share is linear in log2(strength) and
# every step of the dial changes the picture about as much: the bot's level 1 (strength 0.25)
# is a light wash at 0.25, level 10 (5.66) about 1.9.
# Past 1 the mix extrapolates beyond the style vector, which paints bolder strokes and, near 2,
# buries the content, as the bot's top levels promise; 2 is as far as it goes.
SHARE_PER_DOUBLING = 0.375
MAX_STYLE_SHARE = 2.0

# The transformer's strokes have a fixed size in pixels, so a broader brush (style_scale > 1)
# is painted smaller and enlarged, a finer one larger and reduced. By the square root of the
# scale: the full factor blurs a brush of 4 into mush (128 px painted for a 512 px picture),
# the root gives an even series of stroke sizes. Bounded, so a tiny brush cannot ask for a
# huge canvas nor a broad one shrink the content's shapes away.
MIN_PAINT_SIDE = 64
MAX_FINE_SIDE = 2048

# The transformer's input and output shapes (1, 384, 384, 3) as serialised ONNX dimensions, and the
# same shapes with symbolic height and width. Both encodings are 18 bytes long, so the swap needs no
# other byte of the protobuf to change.
_FIXED_SHAPE = bytes.fromhex("0a0208010a030880030a030880030a020803")
_FREE_SHAPE = bytes.fromhex("0a0208010a031201480a031201570a020803")


def free_size(transformer: bytes) -> bytes:
    """The transformer with its 384×384 input and output shapes turned into symbolic H×W."""
    if transformer.count(_FIXED_SHAPE) != 2:
        raise PreviewWeightsError("the preview transformer's input shape is not the expected one")
    return transformer.replace(_FIXED_SHAPE, _FREE_SHAPE)


def to_array(image: Image.Image) -> np.ndarray:
    """RGB image to the networks' 1×H×W×3 float32 input in 0..1."""
    return (np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0)[None]


def centre_square(image: Image.Image, side: int) -> Image.Image:
    """The largest centred square, resized to `side`: what the style predictor was trained on."""
    width, height = image.size
    crop = min(width, height)
    left, top = (width - crop) // 2, (height - crop) // 2
    square = image.crop((left, top, left + crop, top + crop))
    return square.resize((side, side), Image.Resampling.LANCZOS)


def to_image(pixels: np.ndarray) -> Image.Image:
    """H×W×3 floats in 0..1 to an 8-bit RGB image."""
    return Image.fromarray((np.clip(pixels, 0, 1) * 255 + 0.5).astype(np.uint8), "RGB")


def style_share(strength: float) -> float:
    """How far the style vector goes from the content's own towards the style's (see above)."""
    if strength <= 0:
        return 0.0
    return min(MAX_STYLE_SHARE, max(0.0, 1.0 + SHARE_PER_DOUBLING * math.log2(strength)))


def painting_side(size: int, style_scale: float) -> int:
    """The longest side the transformer paints at for a `size` px picture (see above)."""
    if style_scale <= 0:
        raise ValueError(f"style_scale must be positive, got {style_scale}")
    side = round(size / math.sqrt(style_scale))
    return max(min(size, MIN_PAINT_SIDE), min(side, max(size, MAX_FINE_SIDE)))


def pad_to_multiple(pixels: np.ndarray, multiple: int) -> np.ndarray:
    """Mirror-pad the bottom and right edges of a 1×H×W×3 array up to multiples of `multiple`."""
    height, width = pixels.shape[1:3]
    pad_h, pad_w = -height % multiple, -width % multiple
    return np.pad(pixels, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), mode="symmetric")


class PreviewModel:
    """The two ONNX sessions. `threads` bounds onnxruntime's intra-op threads (0: all cores)."""

    def __init__(self, directory: Path | None = None, *, threads: int = 0) -> None:
        directory = directory or installed_model_dir()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        providers = ["CPUExecutionProvider"]
        predictor = read_verified(directory, STYLE_PREDICTOR)
        transformer = free_size(read_verified(directory, TRANSFORMER))
        self._predictor = ort.InferenceSession(predictor, options, providers=providers)
        self._transformer = ort.InferenceSession(transformer, options, providers=providers)
        self._style_input = self._predictor.get_inputs()[0].name
        self._content_input, self._vector_input = (i.name for i in self._transformer.get_inputs())

    def style_vector(self, style: Image.Image) -> np.ndarray:
        pixels = to_array(centre_square(style, STYLE_SIDE))
        return self._predictor.run(None, {self._style_input: pixels})[0]

    def stylize(
        self,
        content: Image.Image,
        styles: Image.Image | Sequence[Image.Image],
        size: int,
        blend: Sequence[float] = (),
        *,
        strength: float = 1.0,
        preserve_colors: bool = False,
        style_scale: float = 1.0,
    ) -> Image.Image:
        """`content` at `size` px on its longest side, painted in the (blended) style(s), with a
        job's `strength`, `preserve_colors` and `style_scale` as StyleParams has them; the
        defaults paint with the style alone, in its colours, at the network's own stroke size."""
        vector = self.vector_for(content, styles, blend, strength)
        return self.paint_with(
            content, vector, size, preserve_colors=preserve_colors, style_scale=style_scale
        )

    def vector_for(
        self,
        content: Image.Image,
        styles: Image.Image | Sequence[Image.Image],
        blend: Sequence[float] = (),
        strength: float = 1.0,
    ) -> np.ndarray:
        """The style vector `stylize` paints `content` with; the frames of a clip share the
        first frame's, so the look does not change from frame to frame."""
        vector = self._blended_vector(styles, blend)
        share = style_share(strength)
        if share != 1.0:
            vector = share * vector + (1.0 - share) * self.style_vector(content)
        return vector

    def paint_with(
        self,
        content: Image.Image,
        vector: np.ndarray,
        size: int,
        *,
        preserve_colors: bool = False,
        style_scale: float = 1.0,
    ) -> Image.Image:
        """`content` at `size` px painted with a style vector from `vector_for`."""
        target = resize_longest(content, size)
        side = painting_side(size, style_scale)
        image = self._paint(target if side == size else resize_longest(content, side), vector)
        if image.size != target.size:
            image = image.resize(target.size, Image.Resampling.LANCZOS)
        if preserve_colors:
            image = to_image(keep_content_colors(to_array(image)[0], to_array(target)[0]))
        return image

    def stylize_with(
        self,
        content: Image.Image,
        styles: Image.Image | Sequence[Image.Image],
        params: StyleParams,
    ) -> Image.Image:
        """The preview of the job `params` describe: every setting the network can honour."""
        return self.stylize(
            content,
            styles,
            params.size,
            params.style_blend,
            strength=params.strength,
            preserve_colors=params.preserve_colors,
            style_scale=params.style_scale,
        )

    def _blended_vector(
        self, styles: Image.Image | Sequence[Image.Image], blend: Sequence[float]
    ) -> np.ndarray:
        styles = [styles] if isinstance(styles, Image.Image) else list(styles)
        weights = np.asarray(list(blend) or [1.0] * len(styles), dtype=np.float32)
        if not styles or len(weights) != len(styles):
            raise ValueError(f"{len(styles)} style images but {len(weights)} blend weights")
        vectors = np.stack([self.style_vector(s) for s in styles])
        return np.tensordot(weights / weights.sum(), vectors, axes=1).astype(np.float32)

    def _paint(self, content: Image.Image, vector: np.ndarray) -> Image.Image:
        pixels = to_array(content)
        height, width = pixels.shape[1:3]
        feeds = {self._content_input: pad_to_multiple(pixels, MULTIPLE), self._vector_input: vector}
        return to_image(self._transformer.run(None, feeds)[0][0, :height, :width])


@functools.cache
def shared_preview_model(threads: int = 0) -> PreviewModel:
    return PreviewModel(threads=threads)
