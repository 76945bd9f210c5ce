"""What a member asked for, in the units Discord shows, and how it maps onto the engine's params."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from engine.motion.settings import OutputFormat
from engine.params import StyleParams

# `strength` is a friendly 1..10 dial; each step multiplies the style weight by √2, 5 is the
# engine's balanced default, so 1 is a light wash and 10 buries the content.
STRENGTH_MIN = 1
STRENGTH_MAX = 10
STRENGTH_DEFAULT = 5
STRENGTH_STEP = 2  # how far the Stronger / Weaker buttons turn the dial

SEED_MAX = 2**31 - 1

# `brush` is the engine's style scale: below 1 paints finer strokes, above 1 broader ones.
BRUSH_MIN = 0.25
BRUSH_MAX = 4.0
BRUSH_DEFAULT = 1.0
# `blend` is the second style's share in percent when two styles are mixed.
BLEND_MIN = 0
BLEND_MAX = 100
BLEND_DEFAULT = 50
# `full` paints with the engine; `preview` answers with the instant feed-forward picture only;
# `variations` with a grid of four instant pictures around the settings (bot.rules.variants).
Quality = Literal["full", "preview", "variations"]
QUALITIES: tuple[Quality, ...] = get_args(Quality)
PREVIEWS_PER_JOB = 3


def strength_factor(level: int) -> float:
    return 2.0 ** ((level - STRENGTH_DEFAULT) / 2)


@dataclass(frozen=True)
class RequestedOptions:
    """The optional `/stylize` options as typed; None where the member left them out."""

    iterations: int | None = None
    size: int | None = None
    strength: int | None = None
    preserve_colors: bool | None = None
    seed: int | None = None
    brush: float | None = None
    blend: int | None = None  # only with a second style
    spoiler: bool | None = None  # None: the server's default
    quality: Quality | None = None
    private: bool = False  # answered in the member's DMs; its pictures never shown in public
    output_format: OutputFormat | None = None  # an animation's file; None: as its source


@dataclass(frozen=True)
class StyleRequest:
    """The values a job runs with, after server limits and defaults were applied."""

    iterations: int
    size: int
    strength: int
    preserve_colors: bool
    seed: int
    brush: float = BRUSH_DEFAULT
    blend: int | None = None  # the second style's share in percent; None: one style
    quality: Quality = "full"
    output_format: OutputFormat | None = None  # only for an animated content

    @property
    def iterations_run(self) -> int:
        """Optimiser iterations this request really runs: none for a preview."""
        return self.iterations if self.quality == "full" else 0

    def style_params(self) -> StyleParams:
        return StyleParams(
            size=self.size,
            iterations=self.iterations,
            strength=strength_factor(self.strength),
            preserve_colors=self.preserve_colors,
            seed=self.seed,
            style_scale=self.brush,
            style_blend=() if self.blend is None else (BLEND_MAX - self.blend, self.blend),
            preview_every=max(1, self.iterations // (PREVIEWS_PER_JOB + 1)),
        )

    def as_options(self, **changes: int | float | bool | str | None) -> RequestedOptions:
        """This request as if typed again, e.g. for the Run again / Stronger / Weaker buttons."""
        values = {
            "iterations": self.iterations,
            "size": self.size,
            "strength": self.strength,
            "preserve_colors": self.preserve_colors,
            "seed": self.seed,
            "brush": self.brush,
            "blend": self.blend,
            "quality": self.quality,
            "output_format": self.output_format,
        }
        values.update(changes)
        return RequestedOptions(**values)  # type: ignore[arg-type]
