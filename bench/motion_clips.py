"""Clips with known motion for bench/motion.py, made from bundled public-domain photos.

Each frame t samples a photo at g_t(x) = centre + A_t (x - middle) + shift_t, so the exact flow
from frame t to frame t+1 is g_{t+1}⁻¹(g_t(x)) - x, and a pixel is visible in both where that
point lies inside frame t+1. `real_gif` reads a bundled animated GIF (bench/bunny_gif.py), whose
flow is estimated (DIS), not known.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from engine.images import decode_image, resize_longest
from engine.motion.clip import decode_clip
from engine.motion.flow import flow_between
from engine.motion.settings import AnimationSettings


@dataclass(frozen=True)
class KnownClip:
    name: str
    frames: list[Image.Image]
    flows: list[np.ndarray]  # frame t into frame t+1, H×W×2
    masks: list[np.ndarray]  # over frame t: visible in frame t+1


def _affine(scale: float, angle: float) -> np.ndarray:
    c, s = math.cos(angle) * scale, math.sin(angle) * scale
    return np.array([[c, -s], [s, c]], dtype=np.float64)


def real_gif(path: Path, side: int, frames: int) -> KnownClip:
    """The first `frames` frames of an animated GIF as the engine decodes it, at `side` px."""
    clip = decode_clip(path.read_bytes(), AnimationSettings(max_frames=frames))
    images = [resize_longest(frame, side) for frame in clip.frames]
    pairs = [flow_between(a, b) for a, b in itertools.pairwise(images)]
    return KnownClip(path.stem, images, [f for f, _ in pairs], [m for _, m in pairs])


def known_motion(name: str, photo_path, side: int, frames: int) -> KnownClip:
    photo = np.asarray(decode_image(photo_path), dtype=np.float32)
    height, width = photo.shape[:2]
    centre = np.array([width / 2, height / 2])
    zoom = min(width, height) / side * 0.6  # photo pixels per frame pixel at t = 0
    steps = {
        "pan": lambda t: (_affine(zoom, 0), np.array([t * 2.0 * zoom, 0])),
        "zoom": lambda t: (_affine(zoom * 0.97**t, 0), np.zeros(2)),
        "rotation": lambda t: (_affine(zoom, math.radians(2.0 * t)), np.zeros(2)),
    }[name]
    ys, xs = np.mgrid[0:side, 0:side].astype(np.float64)
    grid = np.stack([xs - side / 2, ys - side / 2], axis=-1)
    images, flows, masks = [], [], []
    for t in range(frames):
        matrix, shift = steps(t)
        points = grid @ matrix.T + centre + shift
        sampled = cv2.remap(photo, points[..., 0].astype(np.float32),
                            points[..., 1].astype(np.float32), cv2.INTER_LINEAR)  # fmt: skip
        images.append(Image.fromarray(np.clip(sampled + 0.5, 0, 255).astype(np.uint8), "RGB"))
        if t + 1 < frames:
            next_matrix, next_shift = steps(t + 1)
            local = (points - centre - next_shift) @ np.linalg.inv(next_matrix).T + side / 2
            flow = (local - (grid + side / 2)).astype(np.float32)
            inside = (local >= 0).all(-1) & (local <= side - 1).all(-1)
            flows.append(flow)
            masks.append(inside.astype(np.float32))
    return KnownClip(name, images, flows, masks)
