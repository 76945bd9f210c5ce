"""Writes lock.txt (and the CUDA pins of torch-cuda.txt) from the packages installed here.

    python requirements/lock.py          # after the tests pass on upgraded packages

Every distribution the runtime dependencies in pyproject.toml pull in, transitively, for the
Docker image's platform (Linux x86_64, the Python running this), at the exact version installed
in this environment. torch and the CUDA libraries it brings go to torch-cuda.txt instead, so that
torch-cpu.txt can install PyTorch's CPU build against the same lock. No hashes: they would
differ per platform and per wheel, and pip can only check hashes when every line has them.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

HERE = Path(__file__).resolve().parent
PYPROJECT = HERE.parent / "pyproject.toml"
LOCK = HERE / "lock.txt"
TORCH_CUDA = HERE / "torch-cuda.txt"
# What the CUDA build of torch adds on top of the CPU build.
CUDA_ONLY = re.compile(r"^(nvidia-.*|cuda-.*|triton)$")
CUDA_PINS_START = "# CUDA libraries"


def runtime_requirements() -> list[str]:
    return tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]


def closure(requirements: list[str]) -> dict[str, str]:
    """{canonical name: installed version} of every distribution the requirements need."""
    found: dict[str, str] = {}
    pending = [(Requirement(r), "") for r in requirements]
    while pending:
        requirement, extra = pending.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        extras = sorted(requirement.extras)
        if name in found and not extras:
            continue
        distribution = metadata.distribution(requirement.name)
        found[name] = distribution.version
        for line in distribution.requires or []:
            for wanted in ["", *extras]:
                pending.append((Requirement(line), wanted))
    return found


def pins(versions: dict[str, str]) -> str:
    return "".join(f"{name}=={version}\n" for name, version in sorted(versions.items()))


def main() -> int:
    versions = closure(runtime_requirements())
    cuda = {n: v for n, v in versions.items() if CUDA_ONLY.match(n)}
    shared = {n: v for n, v in versions.items() if n != "torch" and n not in cuda}
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    LOCK.write_text(
        "# Exact versions of every runtime dependency except torch (torch-cuda.txt / torch-cpu.txt),\n"
        f"# for Linux x86_64 and Python {python} (the Docker image). Written by requirements/lock.py;\n"
        "# tests/test_dependencies.py checks it covers everything pyproject.toml needs.\n"
        + pins(shared)
    )
    torch_file = TORCH_CUDA.read_text().split(CUDA_PINS_START)[0]
    TORCH_CUDA.write_text(
        torch_file
        + f"{CUDA_PINS_START} torch {versions['torch']} pulls from PyPI, pinned here (lock.py):\n"
        + pins(cuda)
    )
    print(f"{LOCK.name}: {len(shared)} pins; {TORCH_CUDA.name}: torch and {len(cuda)} CUDA pins")
    return 0


if __name__ == "__main__":
    sys.exit(main())
