"""VGG-19 as a frozen feature extractor that returns the named activations the losses ask for."""

from __future__ import annotations

import torch
from torch import nn

from engine.weights import Weights

# torchvision's `vgg19().features` layout ("E" in the VGG paper), built here because importing
# torchvision costs each worker process about two seconds at start-up.
CHANNELS = (
    64,
    64,
    "M",
    128,
    128,
    "M",
    256,
    256,
    256,
    256,
    "M",
    512,
    512,
    512,
    512,
    "M",
    512,
    512,
    512,
    512,
    "M",
)

LAYER_INDEX = {
    "relu1_1": 1, "relu1_2": 3,
    "relu2_1": 6, "relu2_2": 8,
    "relu3_1": 11, "relu3_2": 13, "relu3_3": 15, "relu3_4": 17,
    "relu4_1": 20, "relu4_2": 22, "relu4_3": 24, "relu4_4": 26,
    "relu5_1": 29, "relu5_2": 31, "relu5_3": 33, "relu5_4": 35,
    "conv1_1": 0, "conv1_2": 2, "conv2_1": 5, "conv2_2": 7, "conv3_1": 10,
    "conv4_2": 21,
}  # fmt: skip

CAFFE_BGR_MEAN = (103.939, 116.779, 123.68)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class Normalize(nn.Module):
    """RGB in 0..1 to whatever the weights were trained on."""

    def __init__(self, preprocessing: str) -> None:
        super().__init__()
        self.bgr = preprocessing == "caffe"
        if self.bgr:
            mean = torch.tensor(CAFFE_BGR_MEAN) / 255
            scale = torch.full((3,), 255.0)
        else:
            mean = torch.tensor(IMAGENET_MEAN)
            scale = 1 / torch.tensor(IMAGENET_STD)
        self.register_buffer("mean", mean.view(1, 3, 1, 1))
        self.register_buffer("scale", scale.view(1, 3, 1, 1))

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        x = rgb.flip(1) if self.bgr else rgb
        return (x - self.mean) * self.scale


def vgg19_features(last: int) -> nn.Sequential:
    """Layers 0..last of torchvision's `vgg19().features`, same indices, uninitialised."""
    layers: list[nn.Module] = []
    in_channels = 3
    for spec in CHANNELS:
        if spec == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [nn.Conv2d(in_channels, int(spec), kernel_size=3, padding=1), nn.ReLU()]
            in_channels = int(spec)
    return nn.Sequential(*layers[: last + 1])


class VGGFeatures(nn.Module):
    """`vgg19().features` cut after the deepest layer any loss needs; frozen, in eval mode."""

    def __init__(self, weights: Weights, layers: tuple[str, ...]) -> None:
        super().__init__()
        unknown = [name for name in layers if name not in LAYER_INDEX]
        if unknown:
            raise ValueError(f"unknown VGG-19 layers: {unknown}")
        self.layers = layers
        self.normalize = Normalize(weights.preprocessing)
        last = max(LAYER_INDEX[name] for name in layers)
        features = vgg19_features(last)
        state = {k: v for k, v in weights.state_dict.items() if int(k.split(".")[0]) <= last}
        features.load_state_dict(state)
        self.features = features.eval().requires_grad_(False)
        self._by_index = {LAYER_INDEX[name]: name for name in layers}

    def forward(self, rgb: torch.Tensor) -> dict[str, torch.Tensor]:
        x = self.normalize(rgb)
        out: dict[str, torch.Tensor] = {}
        for index, module in enumerate(self.features):
            x = module(x)
            if index in self._by_index:
                out[self._by_index[index]] = x
        return out
