"""The parent's side of one worker process: start it, hand it jobs, stop it, hear from it.

Each worker has its own pipes, so a worker killed halfway through a message corrupts nothing the
others use, and the end of its event pipe doubles as the news that it died.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection, wait
from multiprocessing.context import SpawnContext
from typing import Any

from engine.pool import worker
from engine.pool.messages import FromWorker, JobRequest, WorkerConfig
from engine.pool.slot import Slot


class WorkerProcess(Slot):
    def __init__(
        self,
        context: SpawnContext,
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

        jobs_out, self._jobs = context.Pipe(duplex=False)
        events, events_in = context.Pipe(duplex=False)
        self._stop_flag = context.RawValue(ctypes.c_longlong, 0)
        self.process = context.Process(
            target=worker.main,
            args=(config, jobs_out, events_in, self._stop_flag),
            name=f"atelier-worker-{slot}",
            daemon=True,
        )
        self.process.start()
        self.pid = self.process.pid
        # Drop our copies of the child's ends, so a dead child reads as end-of-file.
        jobs_out.close()
        events_in.close()
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

    def _send_now(self, message: JobRequest | None) -> None:
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
        wait([self.process.sentinel])
        self._post(on_exit)

    def _post(self, callback: Callable[..., None], *args: Any) -> bool:
        try:
            self._loop.call_soon_threadsafe(callback, self, *args)
        except RuntimeError:  # the event loop is closed: nobody is listening any more
            return False
        return True

    def reap(self) -> None:
        """After exit: collect the process and free the pipes."""
        self.process.join()
        self._sender.shutdown(wait=False, cancel_futures=True)
        self._jobs.close()
        if not self.loaded.done():
            self.loaded.set_result(False)
        self.exited.set_result(None)
