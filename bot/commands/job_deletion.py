"""The Delete button: a job's pictures gone from Discord and from disk; its row stays for the
member's history."""

from __future__ import annotations

import logging

import discord

from bot.messages import texts
from bot.rules.refusals import RequestRefused
from bot.store.job_files import JobFiles
from bot.store.job_rows import ACTIVE_STATES, Job
from bot.store.jobs import JobStore

log = logging.getLogger(__name__)


class JobDeletion:
    def __init__(self, client: discord.Client, jobs: JobStore, files: JobFiles) -> None:
        self._client = client
        self._jobs = jobs
        self._files = files

    async def delete(self, job: Job, by_user_id: int) -> str:
        """The result message, the inputs' thumbnails and previews shown in Discord, and every
        stored picture of the job; its row stays for the member's history."""
        if job.state in ACTIVE_STATES:
            raise RequestRefused(
                f"Job `{job.id}` is still going; **Cancel** it first.", reason="still_running"
            )
        line = texts.deleted_line(by_user_id)
        pictures_shown = (
            (
                job.channel_id,
                job.request_message_id,
                texts.opening_post_ended(job.user_id, job.id, line),
            ),
            (
                job.destination_id,
                job.status_message_id,
                texts.job_status_text(job, line),
            ),
        )
        for channel_id, message_id, text in pictures_shown:
            if message_id is not None:
                await self._without_pictures(channel_id, message_id, text)
        if job.result_message_id is not None:
            channel = self._client.get_partial_messageable(job.result_channel_id)
            try:
                await channel.get_partial_message(job.result_message_id).delete()
            except discord.NotFound:
                pass  # already deleted by hand
            except discord.HTTPException as exc:
                log.warning("could not delete the result of job %s: %s", job.id, exc)
                raise RequestRefused(
                    f"I could not delete the result of job `{job.id}`; please try again.",
                    reason="delete_failed",
                ) from None
        await self._files.delete(job.id)
        await self._jobs.mark_files_deleted(job.id)
        return f"Deleted job `{job.id}`: its result message and its pictures are gone."

    async def _without_pictures(self, channel_id: int, message_id: int, text: str) -> None:
        """Edit a message of the job down to its text: no thumbnails, previews or buttons."""
        message = self._client.get_partial_messageable(channel_id).get_partial_message(message_id)
        try:
            await message.edit(content=text, attachments=[], embeds=[], view=None)
        except discord.NotFound:
            pass  # deleted by hand already
        except discord.HTTPException as exc:
            log.warning("could not clear the pictures of message %s: %s", message_id, exc)
            raise RequestRefused(
                "I could not remove the pictures; please try again.", reason="delete_failed"
            ) from None
