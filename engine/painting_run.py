"""One painting under way: its callbacks, the scale being painted with progress and ETA, the best
picture a stage has seen, and the optimiser that moves it."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from engine.events import Preview, Progress
from engine.params import StyleParams
from engine.schedule import Stage, stage_costs

ProgressCallback = Callable[[Progress], None]
PreviewCallback = Callable[[Preview], None]
StopCheck = Callable[[], bool]
ADAM_LR = 0.02


@dataclass(frozen=True)
class Callbacks:
    on_progress: ProgressCallback | None
    on_preview: PreviewCallback | None
    should_stop: StopCheck | None


@dataclass
class PaintingRun:
    """One `stylize` call: its settings, callbacks, the scale being painted, progress and ETA."""

    params: StyleParams
    callbacks: Callbacks
    stages: list[Stage]
    started: float = field(default_factory=time.perf_counter)
    index: int = 0  # of the stage being optimised
    colour: torch.Tensor | None = None  # the content in colour at this stage's size
    done: int = 0
    done_cost: float = 0.0

    def __post_init__(self) -> None:
        self.costs = stage_costs(self.stages)
        self.total = sum(s.iterations for s in self.stages)
        self.total_cost = sum(
            c * s.iterations for c, s in zip(self.costs, self.stages, strict=True)
        )

    @property
    def stage(self) -> Stage:
        return self.stages[self.index]

    def advance(self, width: int, height: int, loss: float) -> Progress:
        self.done += 1
        self.done_cost += self.costs[self.index]
        elapsed = time.perf_counter() - self.started
        eta = elapsed / self.done_cost * (self.total_cost - self.done_cost)
        return Progress(
            scale=self.index + 1,
            scales=len(self.stages),
            width=width,
            height=height,
            iteration=self.done,
            total=self.total,
            loss=loss,
            elapsed=elapsed,
            eta=eta,
        )


@dataclass
class BestPicture:
    """The lowest-loss picture one stage has seen. L-BFGS's first curvature steps can overshoot
    far (without a line search nothing pulls them back), and with few iterations the last step
    may be such an overshoot: the stage then ends on the best picture it had instead."""

    image: torch.Tensor | None = None
    loss: float = math.inf

    def keep(self, image: torch.Tensor, loss: float) -> None:
        if loss < self.loss:
            self.image, self.loss = image, loss

    def better_than(self, final: torch.Tensor, final_loss: float) -> torch.Tensor:
        return final if self.image is None or final_loss <= self.loss else self.image


def make_optimizer(name: str, image: torch.Tensor) -> torch.optim.Optimizer:
    if name == "adam":
        return torch.optim.Adam([image], lr=ADAM_LR)
    # One function evaluation per step() so every iteration can report progress and be cancelled;
    # tolerances off: how small a gradient is says nothing about convergence with scaled losses.
    return torch.optim.LBFGS(
        [image], lr=1, max_iter=1, history_size=20, tolerance_grad=0, tolerance_change=0
    )
