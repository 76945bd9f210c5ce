"""Colour handling: luminance-only transfer (Gatys et al. 2016, "Preserving colour in neural
artistic style transfer") and carrying a picture onto a style's palette."""

from __future__ import annotations

from collections.abc import Sequence

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


# Colour directions in which the picture barely varies are treated as varying this much, so that
# the map does not blow up their noise: a black-and-white scan with a grey level of noise would
# otherwise turn into confetti of the style's colours.
COLOUR_FLOOR = (4 / 255) ** 2


def colour_gaussian(
    images: Sequence[torch.Tensor], weights: Sequence[float]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and covariance of the pixels' RGB of several images mixed by weight (a mixture's
    moments). Summed on the images' device, returned as float64 on the CPU: the 3×3 matrices are
    inverted and square-rooted."""
    total = sum(weights)
    mean = torch.zeros(3, dtype=torch.float64)
    moment = torch.zeros(3, 3, dtype=torch.float64)
    for image, weight in zip(images, weights, strict=True):
        pixels = image[0].flatten(1).float()
        mean += weight / total * pixels.mean(1).cpu().double()
        moment += weight / total * (pixels @ pixels.T / pixels.shape[1]).cpu().double()
    return mean, moment - torch.outer(mean, mean)


def psd_power(matrix: torch.Tensor, power: float) -> torch.Tensor:
    """A symmetric positive semi-definite matrix to a power, through its eigenvalues (rounding
    can leave some a hair below zero). A negative power needs a matrix kept away from singular."""
    values, vectors = torch.linalg.eigh(matrix)
    return vectors @ torch.diag(values.clamp_min(0) ** power) @ vectors.T


def match_colours(image: torch.Tensor, target: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """The image's colours carried onto the target Gaussian by the optimal linear (Monge) map:
    the palette of the style at once, with every shape and shade of the image kept in order."""
    mean, covariance = colour_gaussian([image], [1.0])
    covariance = covariance + COLOUR_FLOOR * torch.eye(3, dtype=covariance.dtype)
    target_mean, target_covariance = target
    root, inverse_root = psd_power(covariance, 0.5), psd_power(covariance, -0.5)
    transform = inverse_root @ psd_power(root @ target_covariance @ root, 0.5) @ inverse_root
    pixels = image[0].flatten(1).float()
    mapped = (
        transform.to(pixels) @ (pixels - mean.to(pixels)[:, None]) + target_mean.to(pixels)[:, None]
    )
    return mapped.reshape(image.shape).to(image.dtype).clamp(0, 1)


def tempered_palette(
    content: torch.Tensor, palette: tuple[torch.Tensor, torch.Tensor], share: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """The colours `share` of the way from the content's to the palette's: the Gaussian of the
    content carried that far. Matching to it at every scale keeps a strength below 1 where it
    is, where re-mixing at every scale would compound (docs/benchmarks.md)."""
    if share >= 1.0:
        return palette
    return colour_gaussian([content.lerp(match_colours(content, palette), share)], [1.0])
