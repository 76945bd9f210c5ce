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


def channel_mean(features: torch.Tensor) -> torch.Tensor:
    return features.float().mean(dim=(2, 3))


def covariance(mean: torch.Tensor, second_moment: torch.Tensor) -> torch.Tensor:
    return second_moment - mean.unsqueeze(2) * mean.unsqueeze(1)


class StyleLoss(nn.Module):
    """Mean over layers of the style error; targets blend several styles by weight.

    `gram` matches each layer's Gram matrix (Gatys). `meancov` matches each layer's channel means
    and covariance separately, as a Wasserstein-2 distance between Gaussians does (crowsonkb's
    style-transfer-pytorch), but with plain scaled errors instead of matrix square roots: the
    means carry the palette, which in a Gram matrix is swamped by the correlations.
    """

    def __init__(self, targets: dict[str, tuple[torch.Tensor, torch.Tensor]], kind: str) -> None:
        super().__init__()
        self.layers = tuple(targets)
        self.kind = kind
        for name, (mean, moment) in targets.items():
            self.register_buffer(f"mean_{name}", mean.detach().float())
            self.register_buffer(f"moment_{name}", moment.detach().float())

    @staticmethod
    def targets(
        style_features: list[dict[str, torch.Tensor]], blend: list[float]
    ) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """Per layer, the blended channel means and second moments (Gram): both mix linearly."""
        weights = [w / sum(blend) for w in blend]
        pairs = list(zip(style_features, weights, strict=True))
        return {
            layer: (
                sum(w * channel_mean(f[layer]) for f, w in pairs),
                sum(w * gram(f[layer]) for f, w in pairs),
            )
            for layer in STYLE_LAYERS
        }

    def _layer(self, name: str, features: torch.Tensor) -> torch.Tensor:
        moment_target = getattr(self, f"moment_{name}")
        if self.kind == "gram":
            return scaled_error(gram(features), moment_target)
        mean, mean_target = channel_mean(features), getattr(self, f"mean_{name}")
        return scaled_error(mean, mean_target) + scaled_error(
            covariance(mean, gram(features)), covariance(mean_target, moment_target)
        )

    def forward(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        return torch.stack([self._layer(name, features[name]) for name in self.layers]).mean()


class PaletteLoss(nn.Module):
    """The picture's RGB mean and covariance against the style's (blended) palette. VGG-19's
    Gram matrices carry colour only faintly next to texture, so stray content colours survive
    them; this term pulls the colours themselves. Its gradient reaches the pixels directly, not
    amplified through the network, hence the large weight it needs (params.PALETTE_WEIGHT)."""

    def __init__(self, palette: tuple[torch.Tensor, torch.Tensor]) -> None:
        super().__init__()
        mean, covariance = palette
        self.register_buffer("mean", mean.float())
        self.register_buffer("covariance", covariance.float())

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        pixels = image.float().flatten(2)[0]
        mean = pixels.mean(1)
        second_moment = pixels @ pixels.T / pixels.shape[1]
        return scaled_error(mean, self.mean) + scaled_error(
            covariance(mean[None], second_moment[None])[0], self.covariance
        )


def total_variation(image: torch.Tensor) -> torch.Tensor:
    """Mean squared difference between neighbouring pixels: penalises speckle, not edges much."""
    dx = image[..., :, 1:] - image[..., :, :-1]
    dy = image[..., 1:, :] - image[..., :-1, :]
    return dx.pow(2).mean() + dy.pow(2).mean()
