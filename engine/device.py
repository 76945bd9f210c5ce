"""Picking a device and the numeric precision to run VGG at on it."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch


def resolve_device(spec: str = "auto") -> torch.device:
    """`auto` is the first GPU when there is one, else the CPU; `cuda` / `cuda:N` / `cpu` as named."""
    if spec == "auto":
        return torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    device = torch.device(spec)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError(f"device {spec!r} asked for, but PyTorch sees no CUDA GPU")
        index = device.index or 0
        if index >= torch.cuda.device_count():
            raise RuntimeError(
                f"device {spec!r} asked for, but only {torch.cuda.device_count()} GPUs"
            )
        return torch.device("cuda", index)
    return device


@dataclass(frozen=True)
class Precision:
    """Reduced-precision convolutions on GPUs; Grams and losses always stay fp32 (see losses.gram)."""

    dtype: torch.dtype | None
    memory_format: torch.memory_format
    # fp16 gradients through deep layers underflow; a fixed loss scale keeps them representable.
    loss_scale: float

    def autocast(self, device: torch.device) -> contextlib.AbstractContextManager[object]:
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device.type, dtype=self.dtype)


def precision_for(device: torch.device) -> Precision:
    if device.type != "cuda":
        return Precision(None, torch.contiguous_format, 1.0)
    torch.backends.cudnn.benchmark = True
    if torch.cuda.is_bf16_supported():
        return Precision(torch.bfloat16, torch.channels_last, 1.0)
    return Precision(torch.float16, torch.channels_last, 1024.0)
