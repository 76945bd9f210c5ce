"""Every tunable of a style-transfer run, with its default, in one place."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal, get_args

# Each choice is written once, here; validation and the CLI read these tuples.
Init = Literal["auto", "content", "noise", "style", "preview"]
Optimizer = Literal["lbfgs", "adam"]
StyleLossKind = Literal["gram", "meancov"]
INITS: tuple[Init, ...] = get_args(Init)
OPTIMIZERS: tuple[Optimizer, ...] = get_args(Optimizer)
STYLE_LOSSES: tuple[StyleLossKind, ...] = get_args(StyleLossKind)

# A "strength" of 1.0 maps to this style weight: the balance measured as best across pairs. A start
# already in the style's palette (init=auto) needs only this little push to keep the content
# (python -m bench.quality; docs/benchmarks.md, "How the defaults were picked").
BASE_STYLE_WEIGHT = 1.0e-2

# How strongly the colours are pulled to the style's palette, relative to the style weight: enough
# to clear the photo's colours, not so much that it costs style (python -m bench.quality; the
# figures are in docs/benchmarks.md, "How the defaults were picked").
PALETTE_WEIGHT = 3e5

MIN_SIZE = 16
MAX_SIZE = 4096

# Which VGG-19 weights a worker loads when nobody says (see engine.weights.load_weights). Here,
# not in engine.weights, so the bot and the CLI can name it without importing torch.
DEFAULT_WEIGHTS = "embedded"


@dataclass(frozen=True)
class StyleParams:
    """One job's settings. Plain numbers only, so it crosses process boundaries as is."""

    size: int = 512
    iterations: int = 120
    strength: float = 1.0
    content_weight: float = 1.0
    tv_weight: float = 1.0e-3
    palette_weight: float = PALETTE_WEIGHT
    init: Init = "auto"
    optimizer: Optimizer = "lbfgs"
    style_loss: StyleLossKind = "gram"
    seed: int = 0
    preserve_colors: bool = False
    style_scale: float = 1.0
    style_blend: tuple[float, ...] = field(default=())
    min_scale: int = 128
    preview_every: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        if not MIN_SIZE <= self.size <= MAX_SIZE:
            raise ValueError(f"size must be between {MIN_SIZE} and {MAX_SIZE} px, got {self.size}")
        if not MIN_SIZE <= self.min_scale <= MAX_SIZE:
            raise ValueError(
                f"min_scale must be between {MIN_SIZE} and {MAX_SIZE} px, got {self.min_scale}"
            )
        if self.iterations < 1:
            raise ValueError(f"iterations must be at least 1, got {self.iterations}")
        if self.strength < 0:
            raise ValueError(f"strength must not be negative, got {self.strength}")
        if self.content_weight < 0 or self.tv_weight < 0 or self.palette_weight < 0:
            raise ValueError("content_weight, tv_weight and palette_weight must not be negative")
        if self.init not in INITS:
            raise ValueError(f"init must be one of {', '.join(INITS)}; got {self.init!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(
                f"optimizer must be one of {', '.join(OPTIMIZERS)}; got {self.optimizer!r}"
            )
        if self.style_loss not in STYLE_LOSSES:
            raise ValueError(
                f"style_loss must be one of {', '.join(STYLE_LOSSES)}; got {self.style_loss!r}"
            )
        if not 0.1 <= self.style_scale <= 4.0:
            raise ValueError(f"style_scale must be between 0.1 and 4, got {self.style_scale}")
        if any(w < 0 for w in self.style_blend) or (
            self.style_blend and sum(self.style_blend) == 0
        ):
            raise ValueError("style_blend weights must be non-negative and not all zero")

    @property
    def style_weight(self) -> float:
        return BASE_STYLE_WEIGHT * self.strength

    def with_changes(self, **changes: object) -> StyleParams:
        return replace(self, **changes)
