"""The one message per job that is edited as the job moves, never faster than the rate limit allows.

Callers set the latest line (and preview) as often as they like; a background loop sends at most
one edit per interval, always the newest state, and the final edit goes out at once. The first
preview goes out at once too: it is what the member waits for, and one extra edit per job stays
well inside Discord's per-message edit limit (about 5 per 5 s).
"""

from __future__ import annotations

import asyncio
import io
import logging

import discord

from bot.lifecycle.retry import Retrying, TooLate
from bot.messages import texts
from bot.messages.buttons import cancel_view
from bot.messages.discord_errors import is_discord_failure
from bot.store.job_rows import Job

log = logging.getLogger(__name__)


def status_message_of(
    client: discord.Client, job: Job, interval: float, *, cancellable: bool = True
) -> StatusMessage:
    """The job's status message (which must exist), with a Cancel button while `cancellable`."""
    assert job.status_message_id is not None
    channel = client.get_partial_messageable(job.destination_id)
    return StatusMessage(
        channel.get_partial_message(job.status_message_id),
        texts.status_header(job.id, job.request, job.notes),
        cancel_view(job.id) if cancellable else None,
        interval,
        spoiler=job.spoiler,
    )


class StatusMessage:
    def __init__(
        self,
        message: discord.PartialMessage,
        header: str,
        view: discord.ui.View | None,
        interval: float,
        *,
        spoiler: bool = False,
    ) -> None:
        """`spoiler`: the previews, nearly the member's own picture, hide as the result does."""
        self._message = message
        self._spoiler = spoiler
        self._header = header
        self._view = view
        self._interval = interval
        self._line = ""
        self._preview: bytes | None = None
        self._preview_sent: bytes | None = None
        self._caption = ""
        self._dirty = asyncio.Event()
        self._first_preview = asyncio.Event()  # cuts the pause after an edit short, once
        self._loop: asyncio.Task[None] | None = None
        self.edits = 0

    def show(self, line: str) -> None:
        if line != self._line:
            self._line = line
            self._dirty.set()

    def show_preview(self, png: bytes, caption: str) -> None:
        """Attach `png` under the status, with `caption` saying what kind of preview it is."""
        self._preview = png
        self._caption = caption
        self._dirty.set()
        self._first_preview.set()

    def start_editing(self) -> None:
        self._loop = asyncio.create_task(self._flush_forever(), name="status-message")

    async def _flush_forever(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            await self._edit()
            await self._pause()

    async def _pause(self) -> None:
        """The interval between edits, unless the first preview has yet to go out."""
        if self._preview_sent is not None:
            await asyncio.sleep(self._interval)
            return
        try:
            await asyncio.wait_for(self._first_preview.wait(), self._interval)
            self._first_preview.clear()  # one early edit: should it fail, the pause is whole
        except TimeoutError:
            pass

    async def _edit(self) -> None:
        """The newest line and preview; a failure is logged and the next edit carries on."""
        try:
            await self._send_edit(final=False)
        except Exception as exc:
            # A deleted or locked status message, or Discord having a bad minute, must not stop
            # the job itself; the next edit carries the newest state anyway.
            if not is_discord_failure(exc):
                raise
            log.warning("could not edit status message %s: %s", self._message.id, exc)

    async def _send_edit(self, *, final: bool) -> None:
        line = self._line if final or not self._caption else f"{self._line}\n{self._caption}"
        changes: dict[str, object] = {"content": texts.status_text(self._header, line)}
        attaching = None
        if final:
            changes.update(view=None, attachments=[])
        elif self._preview is not None and self._preview is not self._preview_sent:
            attaching = self._preview
            changes["attachments"] = [
                discord.File(io.BytesIO(attaching), "preview.png", spoiler=self._spoiler)
            ]
        if self._view is not None and not final:
            changes["view"] = self._view
        await self._message.edit(**changes)
        self.edits += 1
        if attaching is not None:
            self._preview_sent = attaching  # only once Discord has it: a failed edit retries

    async def finish(self, line: str, retrying: Retrying) -> None:
        """Stop the loop and show the final line right away, without buttons or preview,
        retried as `retrying` says across Discord's bad minutes."""
        await self.stop_editing()
        self._line = line
        try:
            await retrying.call(
                lambda: self._send_edit(final=True),
                since=retrying.clock.now(),
                what=f"the final edit of status message {self._message.id}",
            )
        except Exception as exc:
            if not is_discord_failure(exc) and not isinstance(exc, TooLate):
                raise
            log.warning("could not edit status message %s: %s", self._message.id, exc)

    async def stop_editing(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            await asyncio.gather(self._loop, return_exceptions=True)
            self._loop = None
