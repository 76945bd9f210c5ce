"""The look to beat: Katherine Crowson's style-transfer-pytorch recipe at its defaults.

Re-implemented here on Atelier's VGG-19 (the original Caffe network, so only the recipe differs)
from https://github.com/crowsonkb/style-transfer-pytorch (MIT), style_transfer.py:

- scales √2 apart from 128 px up to the output size, 1000 Adam iterations at the first and 500 at
  each later one (lr 0.02, betas 0.9/0.99), Adam's moments carried up from scale to scale;
- the picture handed on and returned is an exponential average of the iterates (decay 0.99);
- style: the 2-Wasserstein distance between Gaussians fitted to each layer's features (means and
  covariances), layers relu1_1…relu5_1 weighted 256:64:16:4:1; content: plain MSE at relu4_2 with
  weight 0.015; a nine-point L2 total variation with weight 2; replicate padding at the first
  convolution; the style image resized to each scale (never up).

Two deliberate differences: features are divided by the Caffe network's larger input scale, so
the terms keep about the original's balance with the pixel-space TV term and the covariance
eps, and the W2 trace term uses an exact eigenvalue square root where the original runs 12
Newton–Schulz steps: several times cheaper on a CPU, so the reference can be
painted at all in a bench run (the timings are in docs/benchmarks.md).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image, PngImagePlugin

from bench.seed_recipe import INPUT_SCALE
from engine.tensors import to_image, to_tensor
from engine.vgg import VGGFeatures
from engine.weights import load_weights

CONTENT_LAYER = "relu4_2"
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
STYLE_LAYER_WEIGHTS = tuple(w / 341 for w in (256, 64, 16, 4, 1))
CONTENT_WEIGHT = 0.015
TV_WEIGHT = 2.0
MIN_SCALE = 128
INITIAL_ITERATIONS = 1000
ITERATIONS = 500
STEP_SIZE = 0.02
AVERAGE_DECAY = 0.99
COVARIANCE_EPS = 1e-4
SECONDS_KEY = "Seconds"


def scales(end: int, start: int = MIN_SCALE) -> list[int]:
    """Longest sides √2 apart, from `end` down to no less than `start`, coarse first."""
    found, i = set(), 0
    scale = end
    while scale >= min(start, end):
        found.add(scale)
        i += 1
        scale = round(end / 2 ** (i / 2))
    return sorted(found)


def fit(image: Image.Image, longest: int, scale_up: bool) -> Image.Image:
    width, height = image.size
    if not scale_up and max(width, height) <= longest:
        return image
    ratio = longest / max(width, height)
    size = (longest, round(height * ratio)) if width >= height else (round(width * ratio), longest)
    return image.resize(size, Image.Resampling.BICUBIC)


def mean_and_covariance(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    flat = features[0].flatten(1).double()
    mean = flat.mean(1)
    covariance = flat @ flat.T / flat.shape[1] - torch.outer(mean, mean)
    return mean, covariance + COVARIANCE_EPS * torch.eye(len(mean), dtype=flat.dtype)


def eigh(matrix: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric eigen-decomposition on one thread: multi-threaded LAPACK (MKL's and NumPy's
    OpenBLAS alike) is many times slower on a small CPU that other work shares
    (docs/benchmarks.md)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return torch.linalg.eigh(matrix)
    finally:
        torch.set_num_threads(threads)


def psd_sqrt(matrix: torch.Tensor) -> torch.Tensor:
    values, vectors = eigh(matrix)
    return vectors @ torch.diag(values.clamp_min(0).sqrt()) @ vectors.T


class TraceSqrt(torch.autograd.Function):
    """tr √M for a symmetric positive semi-definite M, with its gradient ½ M^(-1/2), from one
    eigen-decomposition for both passes."""

    @staticmethod
    def forward(ctx, matrix: torch.Tensor) -> torch.Tensor:
        values, vectors = eigh(matrix)
        roots = values.clamp_min(COVARIANCE_EPS**2).sqrt()
        ctx.save_for_backward(roots, vectors)
        return roots.sum()

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        roots, vectors = ctx.saved_tensors
        return grad * (vectors / (2 * roots)) @ vectors.T


class W2StyleLoss:
    """Per layer: mean squared mean difference + (tr C_t + tr C − 2 tr √(√C_t C √C_t)) / channels."""

    def __init__(self, features: torch.Tensor) -> None:
        self.mean, self.covariance = mean_and_covariance(features)
        self.root = psd_sqrt(self.covariance)

    def __call__(self, features: torch.Tensor) -> torch.Tensor:
        mean, covariance = mean_and_covariance(features)
        cross = TraceSqrt.apply(self.root @ covariance @ self.root)
        trace = torch.trace(self.covariance) + torch.trace(covariance) - 2 * cross
        return (mean - self.mean).pow(2).mean() + trace / len(mean)


def tv_nine_point(image: torch.Tensor) -> torch.Tensor:
    padded = F.pad(image, (1, 1, 1, 1), "replicate")
    centre, right = slice(1, -1), slice(2, None)
    low, high = slice(None, -1), slice(1, None)
    d1 = (padded[..., centre, right] - padded[..., centre, centre]).pow(2).mean() / 3
    d2 = (padded[..., right, centre] - padded[..., centre, centre]).pow(2).mean() / 3
    d3 = (padded[..., high, high] - padded[..., low, low]).pow(2).mean() / 12
    d4 = (padded[..., high, low] - padded[..., low, high]).pow(2).mean() / 12
    return 2 * (d1 + d2 + d3 + d4)


@dataclass
class Average:
    """Bias-corrected exponential average of the iterates, as Adam averages its moments."""

    value: torch.Tensor
    weight: float = 0.0

    def update(self, image: torch.Tensor) -> None:
        self.value.mul_(AVERAGE_DECAY).add_(image.detach(), alpha=1 - AVERAGE_DECAY)
        self.weight = self.weight * AVERAGE_DECAY + (1 - AVERAGE_DECAY)

    def get(self) -> torch.Tensor:
        return self.value / self.weight


def rescaled_adam_state(optimizer: torch.optim.Adam, size: tuple[int, int]) -> dict:
    state = copy.deepcopy(optimizer.state_dict())
    for moments in state["state"].values():
        moments["exp_avg"] = F.interpolate(moments["exp_avg"], size, mode="bicubic")
        moments["exp_avg_sq"] = F.interpolate(moments["exp_avg_sq"], size, mode="bilinear").relu()
    return state


class CrowsonRecipe:
    def __init__(self) -> None:
        self.vgg = VGGFeatures(load_weights(), (*STYLE_LAYERS, CONTENT_LAYER))
        self.vgg.features[0].padding_mode = "replicate"

    def features(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        return {k: v / INPUT_SCALE for k, v in self.vgg(image).items()}

    def run(
        self,
        content: Image.Image,
        style: Image.Image,
        size: int,
        on_iteration: Callable[[int, int, int], None] = lambda _scale, _done, _of: None,
    ) -> Image.Image:
        cpu = torch.device("cpu")
        image, optimizer = None, None
        for scale in scales(size):
            content_t = to_tensor(fit(content, scale, scale_up=True), cpu)
            style_t = to_tensor(fit(style, scale, scale_up=False), cpu)
            size_hw = tuple(content_t.shape[-2:])
            with torch.no_grad():
                content_target = self.features(content_t)[CONTENT_LAYER]
                style_features = self.features(style_t)
                style_losses = {k: W2StyleLoss(style_features[k]) for k in STYLE_LAYERS}
            start = content_t if image is None else image
            image = F.interpolate(start, size_hw, mode="bicubic").clamp(0, 1).requires_grad_()
            average = Average(torch.zeros_like(image.detach()))
            average.update(image)
            previous, optimizer = optimizer, torch.optim.Adam([image], STEP_SIZE, (0.9, 0.99))
            if previous is not None:
                optimizer.load_state_dict(rescaled_adam_state(previous, size_hw))
            iterations = INITIAL_ITERATIONS if previous is None else ITERATIONS
            for i in range(iterations):
                optimizer.zero_grad()
                features = self.features(image)
                loss = CONTENT_WEIGHT * F.mse_loss(features[CONTENT_LAYER], content_target)
                for layer, weight in zip(STYLE_LAYERS, STYLE_LAYER_WEIGHTS, strict=True):
                    loss = loss + weight * style_losses[layer](features[layer]).float()
                loss = loss + TV_WEIGHT * tv_nine_point(image)
                loss.backward()
                optimizer.step()
                with torch.no_grad():
                    image.clamp_(0, 1)
                average.update(image)
                on_iteration(scale, i + 1, iterations)
            image = average.get().detach()
        assert image is not None
        return to_image(image)


def iterations_for(size: int) -> int:
    return INITIAL_ITERATIONS + ITERATIONS * (len(scales(size)) - 1)


def save_timed(picture: Image.Image, seconds: float, path: Path) -> None:
    """A reference picture with the seconds it took, so a later bench can quote them."""
    chunks = PngImagePlugin.PngInfo()
    chunks.add_text(SECONDS_KEY, f"{seconds:.1f}")
    picture.save(path, pnginfo=chunks)


def load_timed(path: Path) -> tuple[Image.Image, float]:
    with Image.open(path) as stored:
        return stored.convert("RGB"), float(stored.text[SECONDS_KEY])


def main() -> None:
    """Paint one reference picture: python -m bench.crowson_recipe CONTENT STYLE SIZE OUT.png"""
    import sys

    from engine.images import decode_image

    content_path, style_path, size, out = sys.argv[1:5]
    started = time.perf_counter()

    def report(scale: int, done: int, of: int) -> None:
        if done % 100 == 0 or done == of:
            print(f"{scale} px: {done}/{of} at {time.perf_counter() - started:.0f} s", flush=True)

    content, style = decode_image(content_path), decode_image(style_path)
    picture = CrowsonRecipe().run(content, style, int(size), report)
    seconds = time.perf_counter() - started
    save_timed(picture, seconds, Path(out))
    print(f"{iterations_for(int(size))} iterations in {seconds:.0f} s")


if __name__ == "__main__":
    main()
