"""A worker process's entry point: `python -m engine.pool.worker_main JOBS EVENTS STOP`.

`worker_process` starts it with an allow-listed environment (`worker_env`) rather than through
multiprocessing, which would hand the child the bot's whole environment. The three numbers are
inherited descriptors: the job pipe (its first message is the WorkerConfig), the event pipe and
the shared memory holding the stop flag (`engine.pool.stop_flag`).
"""

from __future__ import annotations

import sys
from multiprocessing.connection import Connection

from engine.images import set_pixel_cap
from engine.pool import worker
from engine.pool.messages import WorkerConfig
from engine.pool.stop_flag import stop_flag


def main(argv: list[str]) -> None:
    jobs, events, stop = (int(arg) for arg in argv)
    inbox = Connection(jobs, writable=False)
    outbox = Connection(events, readable=False)
    config: WorkerConfig = inbox.recv()
    set_pixel_cap(config.max_pixels)
    worker.main(config, inbox, outbox, stop_flag(stop))


if __name__ == "__main__":
    main(sys.argv[1:])
