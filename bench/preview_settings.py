"""How a job's settings move the instant preview: strength, brush and preserve_colors.

For cat × astronaut and cat × Hubble at 256 px, prints per setting the preview's distance from
the content (mean |RGB difference|, of 255), its chroma distance from the content (YIQ I and Q,
of 255: colour, not light), its edge energy (mean luma step between neighbours: fine strokes
make it high) and seconds (one intra-op thread, as in the bot's lane; median of a few runs).

`--around STRENGTH BRUSH` and `--steps` measure the variations grid instead (bench/variations.py).

    python -m bench.preview_settings
    python -m bench.preview_settings --around 5 1
    python -m bench.preview_settings --steps
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image

from bench import variations
from bot.rules.request import STRENGTH_MAX, STRENGTH_MIN, strength_factor
from engine.images import resize_longest
from engine.params import StyleParams
from engine.preview import PreviewModel
from engine.preview.model import style_share
from engine.yiq import RGB_TO_YIQ

ROOT = Path(__file__).resolve().parents[1]
CAT = ROOT / "tests" / "images" / "cat.png"
PAIRS = {
    "cat × astronaut": (CAT, ROOT / "engine" / "examples" / "astronaut.png"),
    "cat × Hubble": (CAT, ROOT / "engine" / "examples" / "hubble_deep_field.jpg"),
}
SIZE = 256
LEVELS = (STRENGTH_MIN, 3, 5, 7, STRENGTH_MAX)  # the bot's strength dial
BRUSHES = (0.25, 0.5, 1.0, 2.0, 4.0)


def figures(picture: Image.Image, content: Image.Image) -> str:
    painted, original = np.asarray(picture, np.float32), np.asarray(content, np.float32)
    distance = np.abs(painted - original).mean()
    chroma = np.abs((painted - original) @ RGB_TO_YIQ[1:].T).mean()
    luma = painted @ RGB_TO_YIQ[0]
    edges = np.abs(np.diff(luma, axis=0)).mean() + np.abs(np.diff(luma, axis=1)).mean()
    return f"{distance:9.1f} {chroma:7.1f} {edges:6.1f}"


def row(model: PreviewModel, pair: tuple[Path, Path], params: StyleParams, repeats: int) -> str:
    content, style = (Image.open(path).convert("RGB") for path in pair)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        picture = model.stylize_with(content, style, params)
        times.append(time.perf_counter() - started)
    return (
        f"{figures(picture, resize_longest(content, params.size))} {statistics.median(times):7.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    variations.add_arguments(parser)
    args = parser.parse_args()
    if variations.run(args):
        return
    model, base = PreviewModel(threads=1), StyleParams(size=SIZE)
    settings = [
        *(
            (f"strength {level} (share {style_share(strength_factor(level)):.2f})",
             base.with_changes(strength=strength_factor(level)))
            for level in LEVELS
        ),
        *((f"brush {brush:g}", base.with_changes(style_scale=brush)) for brush in BRUSHES),
        ("preserve_colors", base.with_changes(preserve_colors=True)),
    ]  # fmt: skip
    for name, pair in PAIRS.items():
        print(f"\n{name}, {SIZE} px        distance  chroma  edges seconds")
        for label, params in settings:
            print(f"  {label:28} {row(model, pair, params, args.repeats)}")


if __name__ == "__main__":
    main()
