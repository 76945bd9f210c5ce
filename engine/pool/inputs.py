"""A job's input images: bytes in memory, or a file read only when a worker takes the job.

Paths keep a long queue's pictures on disk instead of in the bot's memory.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

Input = bytes | Path
InputArg = bytes | bytearray | os.PathLike[str]


class UnreadableInput(Exception):
    """An input file vanished or cannot be read; the message is safe to show to a user."""


def as_input(value: InputArg) -> Input:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, os.PathLike):
        return Path(value)
    raise TypeError(f"an input image must be bytes or a path, got {type(value).__name__}")


def as_inputs(style: InputArg | Sequence[InputArg]) -> tuple[Input, ...]:
    """One style or several; a path or bytes alone is one style, not a sequence of them."""
    if isinstance(style, bytes | bytearray | os.PathLike):
        return (as_input(style),)
    return tuple(as_input(value) for value in style)


def read_input(value: Input, name: str) -> bytes:
    if isinstance(value, bytes):
        return value
    try:
        return value.read_bytes()
    except OSError as exc:
        raise UnreadableInput(
            f"{name}: its stored file could not be read ({exc.strerror or 'error'})"
        ) from None


def style_inputs(style: InputArg | Sequence[InputArg], blend_weights: int) -> tuple[Input, ...]:
    """The style pictures, at least one, as many as the blend weights given (if any)."""
    styles = as_inputs(style)
    if not styles:
        raise ValueError("at least one style image is needed")
    if blend_weights and blend_weights != len(styles):
        raise ValueError(f"{len(styles)} style images but {blend_weights} blend weights")
    return styles
