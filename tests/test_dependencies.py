"""What pyproject.toml promises about dependencies, and the lock the Docker image installs from."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements"
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;#]+)$")

pytest.importorskip("tomllib", reason="requirements/lock.py reads pyproject.toml with tomllib")


def lock_module():
    spec = importlib.util.spec_from_file_location("lock", REQUIREMENTS / "lock.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pins(name: str) -> dict[str, str]:
    """{canonical name: version} of a requirements file's `name==version` lines."""
    found = {}
    for line in (REQUIREMENTS / name).read_text().splitlines():
        if match := PIN.match(line.strip()):
            found[canonicalize_name(match[1])] = match[2]
    return found


def test_every_lock_line_is_an_exact_pin() -> None:
    for line in (REQUIREMENTS / "lock.txt").read_text().splitlines():
        assert line.startswith("#") or PIN.match(line), f"not name==version: {line!r}"


def test_the_lock_covers_every_runtime_dependency_transitively() -> None:
    """Everything pyproject's dependencies pull in (as installed here, where the tests pass) is
    pinned by lock.txt, or for torch and its CUDA libraries by torch-cuda.txt."""
    lock = lock_module()
    needed = lock.closure(lock.runtime_requirements())
    pinned = pins("lock.txt") | pins("torch-cuda.txt")
    assert sorted(set(needed) - set(pinned)) == []
    assert "torch" not in pins("lock.txt"), "torch comes from its variant's file (cpu or cuda)"


def test_the_pinned_versions_meet_pyprojects_floors_and_bounds() -> None:
    pinned = pins("lock.txt") | pins("torch-cuda.txt")
    for line in lock_module().runtime_requirements():
        requirement = Requirement(line)
        version = pinned[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version), f"{version} breaks {line}"


def test_test_only_packages_are_not_runtime_dependencies() -> None:
    runtime = {canonicalize_name(Requirement(r).name) for r in lock_module().runtime_requirements()}
    assert "torchvision" not in runtime and "torchvision" not in pins("lock.txt")


def test_the_image_installs_the_lock_and_nothing_unpinned() -> None:
    steps = (ROOT / "docker" / "build-steps.sh").read_text()
    app = steps.split("app)")[1].split(";;")[0]
    assert 'pip" install --no-cache-dir -r requirements/lock.txt' in app
    assert 'pip" install --no-cache-dir --no-deps .' in app
    assert 'pip" check' in app
