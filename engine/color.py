"""Luminance-only transfer (Gatys et al. 2016, "Preserving colour in neural artistic style transfer")."""

from __future__ import annotations

import torch

from engine import yiq

RGB_TO_YIQ = torch.tensor(yiq.RGB_TO_YIQ)
YIQ_TO_RGB = torch.tensor(yiq.YIQ_TO_RGB)


def to_yiq(rgb: torch.Tensor) -> torch.Tensor:
    return torch.einsum("ij,bjhw->bihw", RGB_TO_YIQ.to(rgb), rgb)


def to_rgb(yiq: torch.Tensor) -> torch.Tensor:
    return torch.einsum("ij,bjhw->bihw", YIQ_TO_RGB.to(yiq), yiq)


def luminance(rgb: torch.Tensor) -> torch.Tensor:
    """Grey RGB image carrying only the luma, so VGG sees light and shade but no colour."""
    return to_yiq(rgb)[:, :1].expand(-1, 3, -1, -1).contiguous()


def match_luminance(style_luma: torch.Tensor, content_luma: torch.Tensor) -> torch.Tensor:
    """Shift and scale the style's luma to the content's mean and spread, as the paper does."""
    s_mean, s_std = style_luma.mean(), style_luma.std().clamp_min(1e-5)
    c_mean, c_std = content_luma.mean(), content_luma.std()
    return ((style_luma - s_mean) * (c_std / s_std) + c_mean).clamp(0, 1)


def recolor(luma_image: torch.Tensor, color_source: torch.Tensor) -> torch.Tensor:
    """The luma of the first image with the chroma of the second (same size)."""
    yiq = to_yiq(color_source)
    yiq[:, :1] = to_yiq(luma_image)[:, :1]
    return to_rgb(yiq).clamp(0, 1)
