"""Where VGG-19's convolution weights come from, decoded into torchvision's `vgg19().features` layout."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import torch

from engine.errors import EngineError
from engine.params import DEFAULT_WEIGHTS

# torchvision's features indices of the 16 convolutions, in the order the original VGG-19 names them.
CONV_INDICES = (0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34)
CONV_NAMES = (
    "block1_conv1", "block1_conv2",
    "block2_conv1", "block2_conv2",
    "block3_conv1", "block3_conv2", "block3_conv3", "block3_conv4",
    "block4_conv1", "block4_conv2", "block4_conv3", "block4_conv4",
    "block5_conv1", "block5_conv2", "block5_conv3", "block5_conv4",
)  # fmt: skip

EMBEDDED_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
# The one file we use from `pastiche` (pyproject bounds it to >=1.6,<2): checked before loading, so
# a release that changes or corrupts it fails loudly instead of painting with other weights.
EMBEDDED_SHA256 = "c34748d2a8b1ad0a651c18a3addff1b0189af7f070cdaaa0dced0db6150b6af6"
TORCHVISION_FILE = "vgg19-dcbb9e9d.pth"

Preprocessing = Literal["caffe", "imagenet"]


@dataclass(frozen=True)
class Weights:
    """A `features` state dict plus the input convention the network was trained with."""

    state_dict: dict[str, torch.Tensor]
    preprocessing: Preprocessing
    source: str


def embedded_weights_path() -> Path:
    return Path(str(resources.files("pastiche").joinpath(EMBEDDED_FILE)))


def torchvision_cache_path() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints" / TORCHVISION_FILE


def decode_quantized(q_state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Expand pastiche's 8-bit codebook per layer (uint8 indices into a 256-entry table)."""
    state: dict[str, torch.Tensor] = {}
    for index, name in zip(CONV_INDICES, CONV_NAMES, strict=True):
        codes = q_state[f"{name}_W_q"].long()
        table = q_state[f"{name}_W_table"].float()
        state[f"{index}.weight"] = table[codes]
        state[f"{index}.bias"] = q_state[f"{name}_b"].float()
    return state


class WeightsMismatch(EngineError):
    """The embedded weights file is not the one Atelier was built and tested with."""


def verify_sha256(path: Path, expected: str) -> None:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        raise WeightsMismatch(
            f"{path} has SHA-256 {digest.hexdigest()}, expected {expected}: reinstall the "
            "`pastiche` version pinned in requirements/lock.txt"
        )


def load_embedded(path: Path | None = None) -> Weights:
    path = path or embedded_weights_path()
    verify_sha256(path, EMBEDDED_SHA256)
    q_state = torch.load(path, map_location="cpu", weights_only=True)
    return Weights(decode_quantized(q_state), "caffe", "embedded VGG-19 (pastiche, original Caffe)")


def features_only(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Accept either a full torchvision VGG state dict or one of `features` alone."""
    if any(key.startswith("features.") for key in state):
        return {
            k.removeprefix("features."): v for k, v in state.items() if k.startswith("features.")
        }
    return dict(state)


def load_state_dict_file(path: Path, preprocessing: Preprocessing) -> Weights:
    state = torch.load(path, map_location="cpu", weights_only=True)
    return Weights(features_only(state), preprocessing, str(path))


def load_weights(spec: str = DEFAULT_WEIGHTS) -> Weights:
    """`embedded` (default), `torchvision` (only if already in the local torch cache) or a .pth path.

    A .pth file is taken to be torchvision-style (RGB, ImageNet normalisation) unless its name
    says `caffe`, which is how converted copies of the original network are usually labelled.
    """
    if spec == "embedded":
        return load_embedded()
    if spec == "torchvision":
        path = torchvision_cache_path()
        if not path.exists():
            raise FileNotFoundError(
                f"torchvision's VGG-19 weights are not in the local cache ({path}); "
                "use the embedded weights or pass a .pth path"
            )
        return load_state_dict_file(path, "imagenet")
    path = Path(spec)
    if not path.is_file():
        raise FileNotFoundError(f"no weights file at {path}")
    return load_state_dict_file(path, "caffe" if "caffe" in path.name.lower() else "imagenet")
