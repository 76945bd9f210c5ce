"""The classic recipe Atelier is measured against: the PyTorch tutorial's Gatys transfer.

White-noise start, L-BFGS, 800 iterations at one scale, content at conv2_2 ("conv_4"), style at
conv1_1..conv3_1 ("conv_1".."conv_5"), raw MSE losses with the tutorial's style weight 1e6. Same
VGG-19 weights as Atelier, so only the method differs.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from PIL import Image

from engine.images import resize_longest
from engine.tensors import to_image, to_tensor
from engine.vgg import VGGFeatures
from engine.weights import load_weights

CONTENT_LAYERS = ("conv2_2",)
STYLE_LAYERS = ("conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1")
# The tutorial's 1e6 is for torchvision's network, fed (x - mean) / std with std ≈ 0.226; the
# original Caffe network here is fed 0..255, so features are ~58x larger, the content MSE ~58²x
# and the Gram MSE ~58⁴x. Dividing by 58² keeps the tutorial's balance between the two.
INPUT_SCALE = 255 * 0.226
STYLE_WEIGHT = 1e6 / INPUT_SCALE**2
ITERATIONS = 800


def tutorial_gram(features: torch.Tensor) -> torch.Tensor:
    b, c, h, w = features.shape
    flat = features.reshape(b * c, h * w)
    return flat @ flat.t() / (b * c * h * w)


class SeedRecipe:
    def __init__(self) -> None:
        self.device = torch.device("cpu")
        self.vgg = VGGFeatures(load_weights(), (*STYLE_LAYERS, *CONTENT_LAYERS))

    def run(
        self,
        content: Image.Image,
        style: Image.Image,
        size: int,
        iterations: int,
        on_iteration: Callable[[int], None] = lambda _: None,
    ) -> Image.Image:
        content_t = to_tensor(resize_longest(content, size), self.device)
        style_t = F.interpolate(to_tensor(style, self.device), size=content_t.shape[-2:])
        with torch.no_grad():
            content_target = self.vgg(content_t)[CONTENT_LAYERS[0]]
            style_targets = {k: tutorial_gram(v) for k, v in self.vgg(style_t).items()}
        image = torch.rand(content_t.shape, generator=torch.Generator().manual_seed(0))
        image.requires_grad_(True)
        optimizer = torch.optim.LBFGS([image], max_iter=1)
        for i in range(iterations):

            def closure() -> torch.Tensor:
                with torch.no_grad():
                    image.clamp_(0, 1)
                optimizer.zero_grad()
                features = self.vgg(image)
                content_loss = F.mse_loss(features[CONTENT_LAYERS[0]], content_target)
                style_loss = sum(
                    F.mse_loss(tutorial_gram(features[k]), style_targets[k]) for k in STYLE_LAYERS
                )
                loss = content_loss + STYLE_WEIGHT * style_loss
                loss.backward()
                return loss

            optimizer.step(closure)
            on_iteration(i + 1)
        return to_image(image.detach().clamp(0, 1))
