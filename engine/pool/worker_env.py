"""The environment a worker process starts with: an allow-list of the parent's variables.

Workers decode pictures members sent, so a bug in an image decoder runs next to whatever the
worker can read. The bot's environment holds DISCORD_TOKEN (and whatever else an admin keeps in
`.env`); a worker gets only what Python, torch and the GPU libraries need.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import engine

KEPT_NAMES = frozenset(
    {
        "PATH",
        "HOME",
        "USER",
        "LANG",
        "LANGUAGE",
        "TZ",
        "TMPDIR",
        "LD_LIBRARY_PATH",
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONUNBUFFERED",
        "PYTHONDONTWRITEBYTECODE",
        "VIRTUAL_ENV",
        "XDG_CACHE_HOME",  # torch's hub cache (the torchvision weights) lives under it
    }
)
KEPT_PREFIXES = (
    "LC_",
    "CUDA_",
    "NVIDIA_",
    "HIP_",
    "ROCR_",
    "OMP_",
    "KMP_",
    "MKL_",
    "OPENBLAS_",
    "TORCH_",
    "PYTORCH_",
)
# Where the `engine` package this process runs lives: the worker imports the same code.
ENGINE_ROOT = str(Path(engine.__file__).resolve().parent.parent)


def kept(name: str) -> bool:
    return name in KEPT_NAMES or name.startswith(KEPT_PREFIXES)


def worker_environment(parent: Mapping[str, str]) -> dict[str, str]:
    """The allow-listed part of `parent`, with the engine's own directory first on PYTHONPATH."""
    env = {name: value for name, value in parent.items() if kept(name)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (ENGINE_ROOT, env.get("PYTHONPATH"))))
    return env
