"""Animations: Atelier (warped start + temporal loss) against painting every frame alone at the
same total budget, and against the instant preview, on clips with known motion (a pan, a zoom,
a rotation of a bundled photo: exact flow) and a real animated GIF, Big Buck Bunny (DIS flow).

Prints, per clip and method: the warping error (Lai et al. 2018: mean squared difference between
each frame and the next warped back, over pixels visible in both, ×1000), its ratio to the
independent painting's, the style and content distances of each later frame against a still
painted from the same frame with a still's budget (ratios, the worst frame's; 1 is as good as a
still), seconds
per frame (first, later) and the GIF's bytes; then a 24-frame GIF end to end. Writes
side-by-sides (source | Atelier | independent | preview) to bench/results/.

    python -m bench.motion [--size 256] [--frames 4] [--end-to-end 24]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from bench.motion_clips import KnownClip, known_motion, real_gif
from engine.images import decode_image, from_pixels
from engine.losses import CONTENT_LAYER, ContentLoss, StyleLoss
from engine.motion.encode import encode_clip
from engine.motion.flow import warping_error
from engine.motion.painter import paint_clip, to_tensor_image
from engine.motion.preview import preview_clip
from engine.motion.settings import AnimationSettings
from engine.params import StyleParams
from engine.preview import shared_preview_model
from engine.stylizer import StyleCache, Stylizer

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "bench" / "images"
EXAMPLES = ROOT / "engine" / "examples"
OUT = ROOT / "bench" / "results"
GIF_DURATION_MS = 80


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--frames", type=int, default=4)
    parser.add_argument("--iterations", type=int, default=StyleParams().iterations)
    parser.add_argument("--clips", default="pan,zoom,rotation,bunny")
    parser.add_argument("--end-to-end", type=int, default=24, help="frames; 0 to skip")
    return parser.parse_args()


def clip_of(name: str, size: int, frames: int) -> KnownClip:
    if name == "bunny":
        return real_gif(IMAGES / "bunny.gif", size, frames)
    return known_motion(name, EXAMPLES / "astronaut.png", size, frames)


def mean_warping_error(clip: KnownClip, painted: list[np.ndarray]) -> float:
    errors = [
        warping_error(painted[t], painted[t + 1], clip.flows[t], clip.masks[t])
        for t in range(len(painted) - 1)
    ]
    return 1000 * float(np.mean(errors))


class Distances:
    """Style (Gram) and content distances of a painted frame, as the engine's losses measure."""

    def __init__(self, stylizer: Stylizer, cache: StyleCache, size: int) -> None:
        self._stylizer = stylizer
        self._style = StyleLoss(cache.stages[size].targets, "gram")

    def __call__(self, painted: np.ndarray, source: Image.Image) -> tuple[float, float]:
        device = self._stylizer.device
        with torch.no_grad():
            features = self._stylizer.features(to_tensor_image(painted, device))
            content = ContentLoss(
                self._stylizer.features(to_tensor_image(np.asarray(source) / 255, device))[
                    CONTENT_LAYER
                ]
            )
            return float(self._style(features)), float(content(features))


def timed(paint) -> tuple[list[np.ndarray], list[float]]:
    stamps = [time.perf_counter()]
    frames = paint(lambda *_: stamps.append(time.perf_counter()))
    return frames, list(np.diff(stamps))


def run_clip(stylizer: Stylizer, name: str, args: argparse.Namespace, style: Image.Image) -> None:
    clip = clip_of(name, args.size, args.frames)
    params = StyleParams(size=args.size, iterations=args.iterations)
    settings = AnimationSettings()
    later = settings.later_iterations(params.iterations)
    budget = params.iterations + later * (args.frames - 1)
    cache = StyleCache()
    atelier, atelier_s = timed(
        lambda tick: paint_clip(stylizer, clip.frames, [style], params, settings, on_frame=tick)
    )
    alone_params = params.with_changes(iterations=round(budget / args.frames))
    alone, alone_s = timed(lambda tick: [
        (stylizer.paint(frame, [style], alone_params, style_cache=cache), tick())[0]
        for frame in clip.frames
    ])  # fmt: skip
    model = shared_preview_model()
    preview, preview_s = timed(lambda tick: [
        np.asarray(image, dtype=np.float32) / 255
        for image in preview_clip(model, clip.frames, [style], params, on_frame=tick)
    ])  # fmt: skip
    sampled = range(1, args.frames)  # the first frame is a still's own painting
    stills = {
        t: stylizer.paint(clip.frames[t], [style], params, style_cache=cache) for t in sampled
    }
    distance = Distances(stylizer, cache, args.size)
    still_d = {t: distance(stills[t], clip.frames[t]) for t in sampled}
    baseline = mean_warping_error(clip, alone)
    print(f"\n{name}: {args.frames} frames at {args.size} px, still budget {params.iterations}, "
          f"later frames {later}, independent {alone_params.iterations} each (total {budget})")  # fmt: skip
    print(f"{'method':12} {'warp×1e3':>9} {'vs indep':>8} {'style/still':>11} "
          f"{'content/still':>13} {'s first':>8} {'s later':>8} {'GIF bytes':>10}")  # fmt: skip
    for method, frames, seconds in (("atelier", atelier, atelier_s), ("independent", alone, alone_s),
                                    ("preview", preview, preview_s)):  # fmt: skip
        error = mean_warping_error(clip, frames)
        ratios = [np.divide(distance(frames[t], clip.frames[t]), still_d[t]) for t in sampled]
        style_ratio, content_ratio = np.max(ratios, axis=0)
        gif = encode_clip(
            [from_pixels(f) for f in frames], [GIF_DURATION_MS] * len(frames), 0, "gif"
        )
        print(f"{method:12} {error:9.3f} {error / baseline:8.2f} {style_ratio:11.2f} "
              f"{content_ratio:13.2f} {seconds[0]:8.2f} {np.mean(seconds[1:]):8.2f} "
              f"{len(gif.data):10d}")  # fmt: skip
    side_by_side(clip.frames, [atelier, alone, preview], OUT / f"motion_{name}.png")


def side_by_side(sources: list[Image.Image], rows: list[list[np.ndarray]], path: Path) -> None:
    picks = np.linspace(0, len(sources) - 1, min(4, len(sources))).round().astype(int)
    width, height = sources[0].size
    sheet = Image.new("RGB", (width * len(picks), height * (len(rows) + 1)), "white")
    for column, t in enumerate(picks):
        sheet.paste(sources[t], (column * width, 0))
        for row, frames in enumerate(rows, start=1):
            sheet.paste(from_pixels(frames[t]), (column * width, row * height))
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)


def end_to_end(frames: int, size: int, style_path: Path) -> None:
    """The CLI on a `frames`-frame GIF at `size` px, from reading the file to writing the GIF."""
    import subprocess
    import sys
    import tempfile

    clip = known_motion("pan", EXAMPLES / "astronaut.png", size, frames)
    with tempfile.TemporaryDirectory() as directory:
        source, out = Path(directory) / "pan.gif", Path(directory) / "out.gif"
        clip.frames[0].save(source, save_all=True, append_images=clip.frames[1:],
                            duration=GIF_DURATION_MS, loop=0)  # fmt: skip
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "engine", str(source), str(style_path), "-o",
                        str(out), "--size", str(size), "--device", "cpu"], check=True,
                       capture_output=True)  # fmt: skip
        seconds = time.perf_counter() - started
        print(f"\nend to end: a {frames}-frame {size} px GIF through `python -m engine` in "
              f"{seconds:.0f} s ({out.stat().st_size} bytes)")  # fmt: skip


def main() -> None:
    args = arguments()
    style_path = IMAGES / "starry_night.jpg"
    style = decode_image(style_path)
    stylizer = Stylizer("cpu")
    print(f"CPU, {torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.1f}")
    for name in args.clips.split(","):
        run_clip(stylizer, name, args, style)
    if args.end_to_end:
        end_to_end(args.end_to_end, args.size, style_path)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
