"""What to do when a GPU runs out of memory: one retry at a smaller size, then give up."""

from __future__ import annotations

from engine.params import MIN_SIZE, StyleParams

SHRINK = 0.75
RETRIES = 1


def params_after_oom(original: StyleParams, ooms_so_far: int) -> StyleParams | None:
    """Settings for the attempt after the `ooms_so_far`-th out-of-memory, or None to give up.

    Memory grows with the pixel count, so 0.75× the side needs about 56% of the memory.
    """
    if ooms_so_far > RETRIES:
        return None
    size = int(original.size * SHRINK**ooms_so_far)
    if size < MIN_SIZE:
        return None
    return original.with_changes(size=size, min_scale=min(original.min_scale, size))


def oom_note(size: int) -> str:
    return f"ran out of GPU memory; finished at {size} px"
