"""Content, style and smoothness terms, each normalised so its size does not depend on the images.

Raw Gatys losses scale with the feature magnitudes of the particular pair and with the image size,
so a style weight that suits one pair is far off for another (bench/loss_balance.py measures it).
Every term here is a *scaled* squared error, Σd² / Σ|d| (as in crowsonkb's style-transfer-pytorch):
its gradient has about the same size however large the features or the remaining error are, so
one style weight gives a similar balance whatever the pictures and the size.
"""

from __future__ import annotations

import torch
from torch import nn

CONTENT_LAYER = "relu4_2"
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
EPS = 1e-8


def gram(features: torch.Tensor) -> torch.Tensor:
    """Channel correlations, averaged over positions; in fp32, as fp16 Grams overflow."""
    b, c, h, w = features.shape
    flat = features.float().reshape(b, c, h * w)
    return flat @ flat.transpose(1, 2) / (h * w)


def scaled_error(value: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    diff = value.float() - target
    return diff.pow(2).sum() / diff.abs().sum().clamp_min(EPS)


class ContentLoss(nn.Module):
    def __init__(self, target: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("target", target.detach().float())

    def forward(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        return scaled_error(features[CONTENT_LAYER], self.target)


class StyleLoss(nn.Module):
    """Mean over layers of the Gram error; targets blend several styles by weight."""

    def __init__(self, targets: dict[str, torch.Tensor]) -> None:
        super().__init__()
        self.layers = tuple(targets)
        for name, target in targets.items():
            self.register_buffer(f"target_{name}", target.detach().float())

    @staticmethod
    def targets(
        style_features: list[dict[str, torch.Tensor]], blend: list[float]
    ) -> dict[str, torch.Tensor]:
        total = sum(blend)
        return {
            layer: sum(
                w / total * gram(f[layer]) for f, w in zip(style_features, blend, strict=True)
            )
            for layer in STYLE_LAYERS
        }

    def forward(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        losses = [
            scaled_error(gram(features[name]), getattr(self, f"target_{name}"))
            for name in self.layers
        ]
        return torch.stack(losses).mean()


def total_variation(image: torch.Tensor) -> torch.Tensor:
    """Mean squared difference between neighbouring pixels: penalises speckle, not edges much."""
    dx = image[..., :, 1:] - image[..., :, :-1]
    dy = image[..., 1:, :] - image[..., :-1, :]
    return dx.pow(2).mean() + dy.pow(2).mean()
