"""How good a picture each method paints for its time: style, content and palette distances.

For each photo × painting pair and each iteration budget, prints the distances of Atelier's
output (today's recipe and the current defaults), of the instant preview, of the classic recipe
(noise start, 800 L-BFGS iterations, the PyTorch tutorial's layers and weights) and of the look to
beat (Katherine Crowson's style-transfer-pytorch recipe, bench/crowson_recipe.py), all on the same
VGG-19 (the original Caffe network):

- style: mean over relu1_1…relu5_1 of ‖G(out) − G(style)‖ / ‖G(style)‖ (Gram matrices);
- content: ‖F(out) − F(content)‖ / ‖F(content)‖ at relu4_2;
- palette: the 2-Wasserstein distance between Gaussians fitted to the output's and the style's
  RGB pixels (0..255): how far the colours are from the style's, in grey levels;

lower is better for all three. `content itself` is the row to beat for style: a method that
hands back the content scores it. Last, Atelier's defaults are timed at 512 px, where the look
must come in under a minute. Writes bench/results/quality_<pair>.png per pair: content | style |
classic | preview | look to beat | today and Atelier at 20 and at the default budget | Atelier at
512 px (shrunk to the others' size).

Everything runs at 256 px (the coarsest scale is the default 128 px). The look to beat's 2000
Adam iterations take far longer than everything else together (docs/benchmarks.md), so its
pictures are painted once (--look paint) and kept, with the seconds they took, in
bench/results/reference_<pair>_<size>.png; every run judges them afresh.

    python -m bench.quality
    python -m bench.quality --pairs cat-starry_night --look paint
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image, ImageDraw

from bench.crowson_recipe import CrowsonRecipe, iterations_for, load_timed, save_timed
from bench.pairs import PAIRS
from bench.seed_recipe import ITERATIONS as CLASSIC_ITERATIONS
from bench.seed_recipe import SeedRecipe
from engine.color import colour_gaussian, psd_power
from engine.images import decode_image, resize_longest
from engine.losses import CONTENT_LAYER, STYLE_LAYERS, gram
from engine.params import BASE_STYLE_WEIGHT, StyleParams
from engine.preview import shared_preview_model
from engine.stylizer import Stylizer
from engine.tensors import to_tensor

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).resolve().parent / "results"
BUDGETS = (10, 20, 40, StyleParams().iterations)
# "today": the recipe the current defaults replaced, pinned here so the comparison survives
# changes of defaults: the content start, Gram matrices, no palette term, style weight 1.2e-2.
TODAY = StyleParams(
    init="content", style_loss="gram", palette_weight=0, strength=1.2e-2 / BASE_STYLE_WEIGHT
)
RECIPES: dict[str, StyleParams] = {"today": TODAY, "Atelier": StyleParams()}
FULL_SIZE = 512
FULL_SIZE_LIMIT = 60.0  # seconds: the "under a minute here"


@dataclass(frozen=True)
class Scores:
    style: float
    content: float
    palette: float


class Judge:
    """The three distances, all on one VGG-19."""

    def __init__(self, stylizer: Stylizer, content: Image.Image, style: Image.Image) -> None:
        self._stylizer = stylizer
        with torch.no_grad():
            self._content = self._features(content)[CONTENT_LAYER]
            features = self._features(style)
            self._grams = {name: gram(features[name]) for name in STYLE_LAYERS}
        self._palette = palette_of(style)

    def _features(self, image: Image.Image) -> dict[str, torch.Tensor]:
        return self._stylizer.features(to_tensor(image, self._stylizer.device))

    def __call__(self, image: Image.Image) -> Scores:
        with torch.no_grad():
            features = self._features(image)
        style = sum(
            float((gram(features[n]) - g).norm() / g.norm()) for n, g in self._grams.items()
        ) / len(self._grams)
        content = float((features[CONTENT_LAYER] - self._content).norm() / self._content.norm())
        return Scores(style, content, gaussian_w2(palette_of(image), self._palette))


def palette_of(image: Image.Image) -> tuple[torch.Tensor, torch.Tensor]:
    """The RGB pixels' mean and covariance, in grey levels (0..255)."""
    mean, covariance = colour_gaussian([to_tensor(image, torch.device("cpu"))], [1.0])
    return mean * 255, covariance * 255**2


def gaussian_w2(
    a: tuple[torch.Tensor, torch.Tensor], b: tuple[torch.Tensor, torch.Tensor]
) -> float:
    """2-Wasserstein distance between two Gaussians (mean, covariance)."""
    (mean_a, cov_a), (mean_b, cov_b) = a, b
    root_b = psd_power(cov_b, 0.5)
    cross = psd_power(root_b @ cov_a @ root_b, 0.5)
    squared = (mean_a - mean_b).pow(2).sum() + torch.trace(cov_a + cov_b - 2 * cross)
    return float(squared.clamp_min(0).sqrt())


def timed(paint: Callable[[], Image.Image]) -> tuple[Image.Image, float]:
    started = time.perf_counter()
    image = paint()
    return image, time.perf_counter() - started


def row(label: str, iterations: str, scores: Scores, seconds: float | None) -> str:
    took = f"{seconds:8.1f}" if seconds is not None else f"{'':8}"
    return (
        f"  {label:<16}{iterations:>6}{scores.style:9.3f}{scores.content:9.3f}"
        f"{scores.palette:9.1f}{took}"
    )


def header() -> str:
    return f"  {'method':<16}{'iters':>6}{'style':>9}{'content':>9}{'palette':>9}{'seconds':>8}"


def load_pair(name: str, size: int) -> tuple[Image.Image, Image.Image]:
    content_path, style_path = PAIRS[name]
    return (
        resize_longest(decode_image(content_path), size),
        resize_longest(decode_image(style_path), size),
    )


def bench_pair(name: str, size: int, stylizer: Stylizer, classic: SeedRecipe, look: str) -> None:
    content, style = load_pair(name, size)
    judge = Judge(stylizer, content, style)
    print(f"\n{name} at {size} px ({content.width}×{content.height})")
    print(header())
    own = judge(content)
    print(row("content itself", "-", own, None))
    preview, seconds = timed(lambda: shared_preview_model().stylize(content, style, size))
    print(row("preview", "1 pass", judge(preview), seconds))
    painted, seconds = timed(lambda: classic.run(content, style, size, CLASSIC_ITERATIONS))
    print(row("classic", str(CLASSIC_ITERATIONS), judge(painted), seconds))
    tiles = {"content": content, "style": style, "classic": painted, "preview": preview}
    reference = look_to_beat(name, size, look)
    if reference is not None:
        print(row("look to beat", str(iterations_for(size)), judge(reference[0]), reference[1]))
        tiles["look to beat"] = reference[0]
    finals: dict[str, Scores] = {}
    at_20: dict[str, Scores] = {}
    for label, recipe in RECIPES.items():
        for budget in BUDGETS:
            params = recipe.with_changes(size=size, iterations=budget)
            image, seconds = timed(lambda p=params: stylizer.stylize(content, style, p))
            scores = judge(image)
            print(row(label, str(budget), scores, seconds))
            if budget in (20, BUDGETS[-1]):
                tiles[f"{label} {budget}"] = image
            if budget == 20:
                at_20[label] = scores
        finals[label] = scores
    for label, scores in at_20.items():
        halfway = (own.style + finals[label].style) / 2
        verdict = "yes" if scores.style <= halfway else "NO"
        print(f"  {label} at 20 iterations at least halfway to its final style: {verdict} "
              f"({scores.style:.3f} <= {halfway:.3f})")  # fmt: skip
    new, old = finals["Atelier"], finals["today"]
    print(f"  Atelier's defaults no worse than today's: style {verdict_of(new.style, old.style)}, "
          f"content {verdict_of(new.content, old.content)}")  # fmt: skip
    if reference is not None:
        theirs = judge(reference[0])
        print(f"  Atelier's defaults against the look to beat: "
              f"palette {verdict_of(new.palette, theirs.palette)}, "
              f"style {verdict_of(new.style, theirs.style)}, "
              f"content {verdict_of(new.content, theirs.content)}")  # fmt: skip
    tiles[f"Atelier {FULL_SIZE} px"] = full_size(name, stylizer).resize(content.size)
    save_labelled(OUT / f"quality_{name}.png", tiles)


def look_to_beat(name: str, size: int, mode: str) -> tuple[Image.Image, float] | None:
    """Crowson's recipe at `size`: painted now (mode "paint", and stored with its time), read
    from an earlier run ("stored", when there is one) or left out ("skip")."""
    path = OUT / f"reference_{name}_{size}.png"
    if mode == "paint":
        content, style = load_pair(name, size)
        picture, seconds = timed(lambda: CrowsonRecipe().run(content, style, size))
        save_timed(picture, seconds, path)
        return picture, seconds
    if mode == "stored" and path.exists():
        return load_timed(path)
    return None


def full_size(name: str, stylizer: Stylizer) -> Image.Image:
    """Atelier's defaults at 512 px, timed: the look must come in under a minute here."""
    content, style = load_pair(name, FULL_SIZE)
    picture, seconds = timed(lambda: stylizer.stylize(content, style, StyleParams()))
    within = "yes" if seconds < FULL_SIZE_LIMIT else "NO"
    print(f"  Atelier's defaults at {FULL_SIZE} px ({picture.width}×{picture.height}): "
          f"{seconds:.1f} s; under a minute: {within}")  # fmt: skip
    return picture


def verdict_of(new: float, old: float) -> str:
    return f"{'yes' if new <= old * 1.001 else 'NO'} ({new:.3f} vs {old:.3f})"


def save_labelled(path: Path, tiles: dict[str, Image.Image]) -> None:
    height = max(t.height for t in tiles.values())
    label_height = 14
    width = sum(t.width for t in tiles.values())
    canvas = Image.new("RGB", (width, height + label_height), "white")
    draw = ImageDraw.Draw(canvas)
    x = 0
    for label, tile in tiles.items():
        canvas.paste(tile, (x, label_height))
        draw.text((x + 2, 1), label, fill="black")
        x += tile.width
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path, optimize=True)
    print(f"  side by side: {path.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--pairs", nargs="+", choices=list(PAIRS), default=list(PAIRS))
    parser.add_argument(
        "--look",
        choices=("stored", "paint", "skip"),
        default="stored",
        help="the look to beat: judge the stored pictures, paint them anew, or leave it out",
    )
    args = parser.parse_args()
    torch.manual_seed(0)
    stylizer, classic = Stylizer("cpu"), SeedRecipe()
    print(f"CPU, {torch.get_num_threads()} threads; style/content: relative distances, "
          f"palette: grey levels; lower is better")  # fmt: skip
    started = time.perf_counter()
    for name in args.pairs:
        bench_pair(name, args.size, stylizer, classic, args.look)
    print(f"\nwhole bench: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
