"""Which devices the workers run on, found without importing torch (the parent must stay light).

With no explicit device list, GPUs are counted from `CUDA_VISIBLE_DEVICES` when it is set (the
operator's choice wins), otherwise from `nvidia-smi -L`; no GPU means CPU workers. A machine whose
torch build lacks CUDA but has `nvidia-smi` should pass `devices=["cpu"]`.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

NVIDIA_SMI_TIMEOUT = 10.0
CGROUP_CPU_MAX = "/sys/fs/cgroup/cpu.max"


def visible_devices_count(value: str) -> int:
    """GPUs a `CUDA_VISIBLE_DEVICES` value exposes; CUDA stops at the first negative entry."""
    count = 0
    for entry in value.split(","):
        entry = entry.strip()
        if not entry or entry.startswith("-"):
            break
        count += 1
    return count


def listed_gpus_count(listing: str) -> int:
    """How many GPUs an `nvidia-smi -L` listing names ("GPU 0: NVIDIA H100 (UUID: ...)")."""
    return sum(1 for line in listing.splitlines() if line.startswith("GPU "))


def nvidia_smi_listing() -> str:
    try:
        result = subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=NVIDIA_SMI_TIMEOUT
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout if result.returncode == 0 else ""


def gpu_count(environ: Mapping[str, str] = os.environ) -> int:
    if "CUDA_VISIBLE_DEVICES" in environ:
        return visible_devices_count(environ["CUDA_VISIBLE_DEVICES"])
    return listed_gpus_count(nvidia_smi_listing())


def worker_devices(devices: Sequence[str] | None, workers: int | None, gpus: int) -> list[str]:
    """One entry per worker process: explicit devices (cycled when `workers` asks for more), else
    one worker per GPU, else `workers` CPU workers (one by default)."""
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if devices is None:
        devices = [f"cuda:{index}" for index in range(gpus)] or ["cpu"]
    if not devices:
        raise ValueError("devices must name at least one device")
    count = workers if workers is not None else len(devices)
    return [devices[index % len(devices)] for index in range(count)]


def cgroup_cpu_limit(cpu_max: str) -> int | None:
    """Whole CPUs a cgroup v2 `cpu.max` ("200000 100000", or "max 100000") allows, if limited.

    `docker run --cpus=2` sets this but leaves every host core in the affinity mask, so without
    it a container on a big host would start far more threads than it may run.
    """
    quota, _, period = cpu_max.strip().partition(" ")
    if quota == "max" or not period:
        return None
    return max(1, int(quota) // int(period))


def available_cpus() -> int:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        limit = cgroup_cpu_limit(Path(CGROUP_CPU_MAX).read_text())
    except (OSError, ValueError):
        limit = None
    return min(cpus or 1, limit or cpus or 1)


def threads_per_worker(workers: int, cpus: int) -> int:
    return max(1, cpus // workers)
