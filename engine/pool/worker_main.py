"""A worker process's entry point: `python -m engine.pool.worker_main JOBS EVENTS STOP`.

`worker_process` starts it with an allow-listed environment (`worker_env`) rather than through
multiprocessing, which would hand the child the bot's whole environment. The three numbers are
inherited descriptors: the job pipe (its first message is the WorkerConfig), the event pipe and
the 8-byte shared memory holding the stop flag.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import sys
from multiprocessing.connection import Connection

from engine.images import set_pixel_cap
from engine.pool import worker
from engine.pool.messages import WorkerConfig

STOP_FLAG_BYTES = ctypes.sizeof(ctypes.c_longlong)


def stop_flag(fd: int) -> ctypes.c_longlong:
    """The shared stop flag in the memory behind `fd` (the mapping outlives the descriptor)."""
    memory = mmap.mmap(fd, STOP_FLAG_BYTES)
    os.close(fd)
    return ctypes.c_longlong.from_buffer(memory)


def main(argv: list[str]) -> None:
    jobs, events, stop = (int(arg) for arg in argv)
    inbox = Connection(jobs, writable=False)
    outbox = Connection(events, readable=False)
    config: WorkerConfig = inbox.recv()
    set_pixel_cap(config.max_pixels)
    worker.main(config, inbox, outbox, stop_flag(stop))


if __name__ == "__main__":
    main(sys.argv[1:])
