"""Coarse-to-fine plan: which sizes to optimise at and how many iterations each gets. Pure."""

from __future__ import annotations

from dataclasses import dataclass

# Each halving of the size gets this many times the iterations of the size above it: coarse
# iterations are 4x cheaper and settle the composition, fine ones only add brush detail.
ITERATION_RATIO = 3.0


@dataclass(frozen=True)
class Stage:
    longest: int
    iterations: int


def scale_sizes(size: int, min_scale: int) -> list[int]:
    """Longest sides from coarse to fine, halving down from `size` while staying >= `min_scale`."""
    sizes = [size]
    while sizes[-1] // 2 >= min_scale:
        sizes.append(sizes[-1] // 2)
    return sizes[::-1]


def allocate(total: int, weights: list[float]) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainder), every share at least 1."""
    exact = [total * w / sum(weights) for w in weights]
    shares = [max(1, int(x)) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: exact[i] - int(exact[i]), reverse=True)
    for i in by_remainder[: max(0, total - sum(shares))]:
        shares[i] += 1
    while sum(shares) > total:
        shares[shares.index(max(shares))] -= 1
    return shares


def plan(size: int, iterations: int, min_scale: int) -> list[Stage]:
    sizes = scale_sizes(size, min(min_scale, size))[-iterations:]
    weights = [ITERATION_RATIO ** (len(sizes) - 1 - i) for i in range(len(sizes))]
    return [Stage(s, n) for s, n in zip(sizes, allocate(iterations, weights), strict=True)]


def stage_costs(stages: list[Stage]) -> list[float]:
    """Relative cost of one iteration at each stage: proportional to the pixel count."""
    return [(s.longest / stages[-1].longest) ** 2 for s in stages]
