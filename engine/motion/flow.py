"""Optical flow between frames and what it can be trusted for (Ruder et al. 2016, section 3.2).

DIS flow (Kroeger et al. 2016, OpenCV's `DISOpticalFlow`) needs no trained weights and runs at
hundreds of frames a second on one core. A flow here maps each pixel of one frame to where it is
in another (`flow[y, x] = (dx, dy)`); `warp(image, flow)` pulls the other frame's pixels back
onto the first. The consistency mask is 1 where the forward and backward flows agree and the
flow is smooth, 0 at occlusions and motion boundaries. Arrays are numpy; torch-free.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

# Ruder et al.'s thresholds, for flows in pixels.
CONSISTENCY_RELATIVE = 0.01
CONSISTENCY_ABSOLUTE = 0.5
BOUNDARY_RELATIVE = 0.01
BOUNDARY_ABSOLUTE = 0.002


def grey(image: Image.Image | np.ndarray) -> np.ndarray:
    """8-bit luma, what DIS reads."""
    pixels = np.asarray(image)
    if pixels.dtype != np.uint8:
        pixels = np.clip(pixels * 255 + 0.5, 0, 255).astype(np.uint8)
    return cv2.cvtColor(np.ascontiguousarray(pixels), cv2.COLOR_RGB2GRAY)


def dis_flow(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """H×W×2 float32: for each pixel of `source` (8-bit grey), its offset to `target`."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    return dis.calc(source, target, None)


def warp(image: np.ndarray, flow: np.ndarray, interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
    """`image` (the frame the flow points into) pulled back along `flow`; pixels from outside
    take the nearest edge."""
    height, width = flow.shape[:2]
    grid_x, grid_y = np.meshgrid(
        np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)
    )
    return cv2.remap(
        np.ascontiguousarray(image),
        grid_x + flow[..., 0],
        grid_y + flow[..., 1],
        interpolation=interpolation,
        borderMode=cv2.BORDER_REPLICATE,
    )


def carry(painting: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """A painting (floats in 0..1) pulled along `flow` onto the next frame. Lanczos, because a
    painting is carried on frame after frame and bilinear's blur at each sub-pixel step
    compounds, washing out the fine brushwork the style loss asks for; clipped, as Lanczos
    overshoots at edges."""
    return np.clip(warp(painting, flow, cv2.INTER_LANCZOS4), 0.0, 1.0)


def consistency_mask(flow: np.ndarray, back: np.ndarray) -> np.ndarray:
    """H×W float32 in {0, 1} over `flow`'s frame: 1 where following `flow` and then `back`
    returns to the start (no occlusion), the flow's gradient is small (no motion boundary),
    and the flow stays inside the other frame."""
    returned = warp(back, flow)  # the back flow at where each pixel landed
    disagreement = np.sum((flow + returned) ** 2, axis=-1)
    occluded = (
        disagreement
        > CONSISTENCY_RELATIVE * (np.sum(flow**2, axis=-1) + np.sum(returned**2, axis=-1))
        + CONSISTENCY_ABSOLUTE
    )
    du_dy, du_dx = np.gradient(flow[..., 0])
    dv_dy, dv_dx = np.gradient(flow[..., 1])
    gradient = du_dx**2 + du_dy**2 + dv_dx**2 + dv_dy**2
    boundary = gradient > BOUNDARY_RELATIVE * np.sum(flow**2, axis=-1) + BOUNDARY_ABSOLUTE
    height, width = flow.shape[:2]
    grid_x, grid_y = np.meshgrid(np.arange(width), np.arange(height))
    x, y = grid_x + flow[..., 0], grid_y + flow[..., 1]
    outside = (x < 0) | (x > width - 1) | (y < 0) | (y > height - 1)
    return (~(occluded | boundary | outside)).astype(np.float32)


def flow_between(frame: Image.Image, previous: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """The flow from `frame` into `previous` and its consistency mask over `frame`."""
    a, b = grey(frame), grey(previous)
    to_previous, to_frame = dis_flow(a, b), dis_flow(b, a)
    return to_previous, consistency_mask(to_previous, to_frame)


def warping_error(
    frame: np.ndarray, following: np.ndarray, flow: np.ndarray, mask: np.ndarray
) -> float:
    """Lai et al. 2018's measure of flicker: the mean squared difference between `frame` and
    the `following` one warped back onto it (along `flow`, from `frame` into `following`), over
    the pixels `mask` trusts. Frames are H×W×3 floats in 0..1."""
    difference = np.sum((frame - warp(following, flow)) ** 2, axis=-1)
    return float(np.sum(difference * mask) / max(float(np.sum(mask)), 1.0))
