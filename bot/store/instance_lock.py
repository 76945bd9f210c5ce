"""One bot per data directory: an OS lock that a second bot cannot take, released on any exit.

Two bots on one database would both resume every job and post every result twice. flock is
released by the kernel when the process dies, even on SIGKILL, so a crash never leaves a stale
lock behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = "atelier.lock"


class AlreadyRunning(Exception):
    """Another bot holds the data directory; the message says which and what to do."""


@contextmanager
def data_dir_lock(data_dir: Path) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOCK_NAME
    with open(path, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "unknown"
            raise AlreadyRunning(
                f"another Atelier (pid {holder}) is already running on {data_dir}; stop it "
                "first, or give this one its own ATELIER_DATA_DIR"
            ) from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        yield
