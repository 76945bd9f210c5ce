"""Pictures as tensors and back: 8-bit images, and float pixels for outputs deeper than 8 bits."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image


def to_tensor(image: Image.Image, device: torch.device) -> torch.Tensor:
    """8-bit RGB image to a 1×3×H×W float tensor in 0..1."""
    pixels = torch.from_numpy(np.asarray(image.convert("RGB")).copy())
    return pixels.to(device).permute(2, 0, 1).float().div(255).unsqueeze(0)


def to_pixels(tensor: torch.Tensor) -> np.ndarray:
    """1×3×H×W tensor to H×W×3 float32 in 0..1, full precision (for 16-bit output)."""
    return tensor.detach().squeeze(0).clamp(0, 1).permute(1, 2, 0).float().cpu().numpy()


def to_image(tensor: torch.Tensor) -> Image.Image:
    pixels = tensor.detach().squeeze(0).clamp(0, 1).mul(255).round().byte()
    return Image.fromarray(pixels.permute(1, 2, 0).cpu().numpy())
