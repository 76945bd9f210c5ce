"""Finished frames kept on disk as they come, so an interrupted job resumes from the next frame.

One directory per job: `frame-00000.png`, … Each is written under a temporary name and renamed,
so a process killed mid-write never leaves a half frame that a resume would trust. Torch-free:
the engine's scheduler writes the frames its workers send, wherever the workers run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from engine.images import Source, decode_image, resize_longest
from engine.motion.clip import Clip

NAME = "frame-{:05d}.png"
PATTERN = re.compile(r"frame-(\d{5})\.png")


class FrameStore:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def path(self, index: int) -> Path:
        return self.directory / NAME.format(index)

    def save(self, index: int, png: bytes) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.path(index)
        partial = final.with_name(f".{final.name}.{os.getpid()}.part")
        partial.write_bytes(png)
        partial.replace(final)
        return final

    def finished(self) -> tuple[Path, ...]:
        """Frames 0, 1, … as far as they go without a gap: where a resume may carry on from."""
        if not self.directory.is_dir():
            return ()
        have = {
            int(match.group(1))
            for name in os.listdir(self.directory)
            if (match := PATTERN.fullmatch(name))
        }
        count = 0
        while count in have:
            count += 1
        return tuple(self.path(index) for index in range(count))


def resumed_frames(done: Sequence[Source], clip: Clip, size: int) -> list[np.ndarray]:
    """The finished frames of an interrupted job (H×W×3 float32 in 0..1), as far as they fit
    this clip painted at `size`: a frame of another size (the job changed) ends the list, and
    it and all after it are painted again."""
    expected = resize_longest(clip.frames[0], size).size
    kept = []
    for source in done[: len(clip.frames)]:
        image = decode_image(source)
        if image.size != expected:
            break
        kept.append(np.asarray(image, dtype=np.float32) / 255)
    return kept
