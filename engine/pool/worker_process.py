"""The parent's side of one worker process: start it, hand it jobs, stop it, hear from it.

Each worker has its own pipes, so a worker killed halfway through a message corrupts nothing the
others use, and the end of its event pipe doubles as the news that it died. The process is a
fresh interpreter (`engine.pool.worker_main`) with an allow-listed environment: no secret of the
bot's reaches the code that decodes members' pictures.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any

from engine.pool.messages import FromWorker, JobRequest, WorkerConfig
from engine.pool.slot import Slot
from engine.pool.stop_flag import new_stop_memory, stop_flag
from engine.pool.worker_env import worker_environment


class WorkerProcess(Slot):
    def __init__(
        self,
        slot: int,
        config: WorkerConfig,
        on_message: Callable[[WorkerProcess, FromWorker], None],
        on_exit: Callable[[WorkerProcess], None],
    ) -> None:
        # The device is renamed by the engine's own name once the worker is ready.
        super().__init__(config.device)
        self.slot = slot
        self.config = config
        self._loop = asyncio.get_running_loop()
        self.loaded: asyncio.Future[bool] = self._loop.create_future()
        self.exited: asyncio.Future[None] = self._loop.create_future()
        self.start_error: str | None = None

        jobs_out, jobs_in = os.pipe()
        events_out, events_in = os.pipe()
        stop = new_stop_memory(f"atelier-stop-{slot}")
        child_fds = (jobs_out, events_in, stop)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "engine.pool.worker_main", *map(str, child_fds)],
                env=worker_environment(os.environ),
                pass_fds=child_fds,
                stdin=subprocess.DEVNULL,
            )
            self._stop_flag: ctypes.c_longlong = stop_flag(os.dup(stop))
        finally:
            # Drop our copies of the child's ends, so a dead child reads as end-of-file.
            for fd in child_fds:
                os.close(fd)
        self.pid = self.process.pid
        self._jobs = Connection(jobs_in, readable=False)
        events = Connection(events_out, writable=False)
        self._send_now(config)  # small: fits in the pipe's buffer, so it never blocks
        # One sender thread: jobs leave in order and a big upload never blocks the event loop.
        self._sender = ThreadPoolExecutor(1, thread_name_prefix=f"atelier-send-{slot}")
        threading.Thread(
            target=self._listen,
            args=(events, on_message, on_exit),
            name=f"atelier-listen-{slot}",
            daemon=True,
        ).start()

    @property
    def ready(self) -> bool:
        return self.loaded.done() and self.loaded.result()

    @property
    def is_alive(self) -> bool:
        return not self.exited.done()

    def _request_stop(self) -> None:
        self._stop_flag.value = self.serial

    def ask_to_exit(self) -> None:
        self._send(None)

    def kill(self) -> None:
        if self.is_alive:
            self.process.kill()

    def _send(self, message: JobRequest | None) -> None:
        self._sender.submit(self._send_now, message)

    def _send_now(self, message: WorkerConfig | JobRequest | None) -> None:
        with contextlib.suppress(OSError):  # the worker is gone; the listener reports its exit
            self._jobs.send(message)

    def _listen(
        self,
        events: Connection,
        on_message: Callable[[WorkerProcess, FromWorker], None],
        on_exit: Callable[[WorkerProcess], None],
    ) -> None:
        with events:
            while True:
                try:
                    message = events.recv()
                except (EOFError, OSError):
                    break
                if not self._post(on_message, message):
                    return
        self.process.wait()
        self._post(on_exit)

    def _post(self, callback: Callable[..., None], *args: Any) -> bool:
        try:
            self._loop.call_soon_threadsafe(callback, self, *args)
        except RuntimeError:  # the event loop is closed: nobody is listening any more
            return False
        return True

    def reap(self) -> None:
        """After exit: collect the process and free the pipes."""
        self.process.wait()
        self._sender.shutdown(wait=False, cancel_futures=True)
        self._jobs.close()
        if not self.loaded.done():
            self.loaded.set_result(False)
        self.exited.set_result(None)
