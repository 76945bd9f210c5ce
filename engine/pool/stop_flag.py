"""The stop flag a worker process shares with the pool: one 64-bit integer in shared memory.

Read without a lock, so a worker killed mid-read can't leave one held; the pool writes the serial
of the job to stop, the worker's engine compares it at each iteration.
"""

from __future__ import annotations

import ctypes
import mmap
import os

STOP_FLAG_BYTES = ctypes.sizeof(ctypes.c_longlong)


def new_stop_memory(name: str) -> int:
    """A file descriptor of fresh shared memory for a stop flag, to map here and in the child."""
    fd = os.memfd_create(name)
    os.ftruncate(fd, STOP_FLAG_BYTES)
    return fd


def stop_flag(fd: int) -> ctypes.c_longlong:
    """The stop flag in the memory behind `fd`, which is closed (the mapping outlives it)."""
    memory = mmap.mmap(fd, STOP_FLAG_BYTES)
    os.close(fd)
    return ctypes.c_longlong.from_buffer(memory)
