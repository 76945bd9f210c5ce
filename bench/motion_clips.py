"""Clips with known motion for bench/motion.py, made from bundled public-domain photos.

Each frame t samples a photo at g_t(x) = centre + A_t (x - middle) + shift_t, so the exact flow
from frame t to frame t+1 is g_{t+1}⁻¹(g_t(x)) - x, and a pixel is visible in both where that
point lies inside frame t+1. `orbit` is an animated GIF of two layers moving apart (occlusions,
a motion boundary), as a real GIF is; its flow is estimated (DIS), not known.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw

from engine.images import decode_image


@dataclass(frozen=True)
class KnownClip:
    name: str
    frames: list[Image.Image]
    flows: list[np.ndarray]  # frame t into frame t+1, H×W×2
    masks: list[np.ndarray]  # over frame t: visible in frame t+1


def _affine(scale: float, angle: float) -> np.ndarray:
    c, s = math.cos(angle) * scale, math.sin(angle) * scale
    return np.array([[c, -s], [s, c]], dtype=np.float64)


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


def orbit(background_path, foreground_path, side: int, frames: int) -> list[Image.Image]:
    """A disc of one photo sliding across another that pans the other way, in GIF colours."""
    back = decode_image(background_path).resize((side * 2, side), Image.Resampling.LANCZOS)
    disc_side = side // 2
    front = decode_image(foreground_path).resize((disc_side, disc_side), Image.Resampling.LANCZOS)
    mask = Image.new("L", front.size, 0)
    ImageDraw.Draw(mask).ellipse((0, 0, disc_side - 1, disc_side - 1), fill=255)
    result = []
    for t in range(frames):
        frame = back.crop((t * 2, 0, t * 2 + side, side))
        x = round(side * 0.1 + t * (side * 0.4 / max(1, frames - 1)))
        y = round(side * 0.25 + 0.1 * side * math.sin(t / 3))
        frame.paste(front, (x, y), mask)
        result.append(frame.quantize(256).convert("RGB"))
    return result
