"""The whole clip's progress and ETA from each frame's own. Pure.

Costs are in iterations at the finest scale (engine.schedule's cost model): the first frame
pays a still's coarse-to-fine plan, each later one its few iterations at the finest scale. The
ETA is the cost still to go at the pace measured so far in this run.
"""

from __future__ import annotations

import time

from engine.events import FrameProgress, Progress
from engine.params import StyleParams
from engine.schedule import plan, stage_costs


def frame_costs(params: StyleParams, later_iterations: int, frames: int) -> list[float]:
    stages = plan(params.size, params.iterations, params.min_scale)
    first = sum(c * s.iterations for c, s in zip(stage_costs(stages), stages, strict=True))
    return [first] + [float(later_iterations)] * (frames - 1)


class ClipClock:
    """Turns the `Progress` of frame after frame, from `first` on, into `FrameProgress`."""

    def __init__(self, costs: list[float], first: int = 0) -> None:
        self._costs = costs
        self._first = first
        self._started = time.perf_counter()

    def update(self, index: int, progress: Progress) -> FrameProgress:
        """`progress` of frame `index` (0-based)."""
        elapsed = time.perf_counter() - self._started
        spent = progress.elapsed + progress.eta
        share = progress.elapsed / spent if spent > 0 else progress.fraction
        done = sum(self._costs[self._first : index]) + self._costs[index] * share
        remaining = sum(self._costs[self._first :]) - done
        eta = elapsed / done * remaining if done > 0 else progress.eta
        return FrameProgress(index + 1, len(self._costs), progress, elapsed, eta)
