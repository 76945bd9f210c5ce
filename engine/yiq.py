"""The YIQ colour space as plain numbers, for the torch engine (engine/color.py) and the numpy
preview (engine/preview/colors.py) alike: ITU-R BT.601 luma and the two chroma axes, a linear,
invertible split of RGB. Torch-free, so the bot process can use it."""

from __future__ import annotations

import numpy as np


def _frozen(matrix: np.ndarray) -> np.ndarray:
    matrix.flags.writeable = False
    return matrix


RGB_TO_YIQ = _frozen(
    np.array(
        [[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]],
        dtype=np.float32,
    )
)
YIQ_TO_RGB = _frozen(np.linalg.inv(RGB_TO_YIQ).astype(np.float32))
