"""One content + any style → a stylised picture in one forward pass (about 0.1 s at 512 px on CPU).

The style predictor (MobileNetV2) turns a 256×256 style crop into a 100-number style vector; the
transformer paints the content with it. The transformer is fully convolutional with two stride-2
stages, so it takes any size whose sides are multiples of 4; only the shipped file pins its input
to 384×384, which `free_size` lifts. Attribution and checksums: engine/preview/weights.py.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

from engine.images import resize_longest
from engine.preview.weights import (
    STYLE_PREDICTOR,
    TRANSFORMER,
    PreviewWeightsError,
    installed_model_dir,
    read_verified,
)

STYLE_SIDE = 256  # the style predictor's fixed input
MULTIPLE = 4  # the transformer downsamples twice by 2

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
    ) -> Image.Image:
        """`content` at `size` px on its longest side, painted in the (blended) style(s)."""
        styles = [styles] if isinstance(styles, Image.Image) else list(styles)
        weights = np.asarray(list(blend) or [1.0] * len(styles), dtype=np.float32)
        if not styles or len(weights) != len(styles):
            raise ValueError(f"{len(styles)} style images but {len(weights)} blend weights")
        vectors = np.stack([self.style_vector(s) for s in styles])
        vector = np.tensordot(weights / weights.sum(), vectors, axes=1).astype(np.float32)
        pixels = to_array(resize_longest(content, size))
        height, width = pixels.shape[1:3]
        feeds = {self._content_input: pad_to_multiple(pixels, MULTIPLE), self._vector_input: vector}
        out = self._transformer.run(None, feeds)[0][0, :height, :width]
        return Image.fromarray((np.clip(out, 0, 1) * 255 + 0.5).astype(np.uint8), "RGB")


@functools.cache
def shared_preview_model(threads: int = 0) -> PreviewModel:
    return PreviewModel(threads=threads)
