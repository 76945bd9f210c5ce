"""The public side of a job, made step by step and recorded after each step.

`/stylize` gets a public message with thumbnails of both inputs, a thread on it (where threads
are possible and allowed), and the status message the job edits as it moves; a follow-up job
(the buttons under a result) gets only a status message where the earlier job talked. Each id
is written to the job's row as soon as Discord gives it, so a bot that died between two steps
finishes the rest after a restart: it looks for what it may already have sent (the message
history, the thread whose id is the message's) before sending again.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable

import discord

from bot.lifecycle.own_messages import find_own_message
from bot.messages import texts
from bot.messages.attachments import thumbnail_png
from bot.messages.buttons import cancel_view
from bot.store.job_files import JobFiles
from bot.store.job_rows import Job
from bot.store.jobs import JobStore

THREAD_ARCHIVE_MINUTES = 1440


class JobPosts:
    def __init__(
        self,
        client: discord.Client,
        jobs: JobStore,
        files: JobFiles,
        place_for: Callable[[Job], int],
    ) -> None:
        """`place_for(job)` is the place in the engine's queue the job would take now."""
        self._client = client
        self._jobs = jobs
        self._files = files
        self._place_for = place_for

    async def ensure(self, job: Job, *, resumed: bool) -> Job:
        """Make whatever of the job's messages does not exist yet; `resumed` when an earlier
        attempt may have made some without recording them. Discord errors propagate."""
        if job.status_message_id is not None:
            return job
        if job.post_mode != "status":
            if job.request_message_id is None:
                await self._post_request(job, resumed=resumed)
                job = await self._jobs.require(job.id)
            if job.thread_name is not None and job.thread_id is None:
                await self._open_thread(job)
                job = await self._jobs.require(job.id)
        await self._post_status(job, resumed=resumed)
        return await self._jobs.require(job.id)

    async def _post_request(self, job: Job, *, resumed: bool) -> None:
        channel = self._client.get_partial_messageable(job.channel_id)
        marker = f"queued job `{job.id}`"
        found = await find_own_message(self._client, channel, marker) if resumed else None
        if found is None:
            files, embeds = await self._thumbnails(job) if job.post_mode == "public" else ([], [])
            found = await channel.send(
                texts.opening_post_queued(job.user_id, job.id, self._place_for(job)),
                files=files,
                embeds=embeds,
                allowed_mentions=discord.AllowedMentions.none(),
                nonce=f"q{job.id}",
            )
        await self._jobs.set_messages(job.id, request_message_id=found.id)

    async def _thumbnails(self, job: Job) -> tuple[list[discord.File], list[discord.Embed]]:
        """Small copies of the inputs; behind spoilers (and so without embeds) if asked."""
        files, embeds = [], []
        for name, path in (("content", job.content_path), ("style", job.style_path)):
            png = await asyncio.to_thread(thumbnail_png, await self._files.read(path))
            files.append(discord.File(io.BytesIO(png), f"{name}.png", spoiler=job.spoiler))
            if not job.spoiler:
                embeds.append(
                    discord.Embed(title=name.capitalize()).set_image(url=f"attachment://{name}.png")
                )
        return files, embeds

    async def _open_thread(self, job: Job) -> None:
        """A public thread on the request message; replies instead where Discord refuses one."""
        assert job.request_message_id is not None and job.thread_name is not None
        http = self._client.http
        try:
            data = await http.start_thread_with_message(
                job.channel_id,
                job.request_message_id,
                name=job.thread_name[:100],
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
                rate_limit_per_user=None,
            )
            thread_id = int(data["id"])
        except discord.HTTPException as exc:
            if exc.code != 160004:  # anything but "a thread already exists for this message"
                if exc.status >= 500 or exc.status == 429:
                    raise
                # No thread, then: the job carries on as replies to the request message.
                await self._jobs.no_thread(job.id)
                return
            thread_id = job.request_message_id  # a message's thread has the message's id
        await self._jobs.set_messages(job.id, thread_id=thread_id)

    async def _post_status(self, job: Job, *, resumed: bool) -> None:
        channel = self._client.get_partial_messageable(job.destination_id)
        marker = f"Job `{job.id}`"
        found = await find_own_message(self._client, channel, marker) if resumed else None
        if found is None:
            text = texts.job_status_text(job, texts.queued_line(self._place_for(job)))
            reply_to = None
            if job.thread_id is None and job.request_message_id is not None:
                reply_to = discord.MessageReference(
                    message_id=job.request_message_id,
                    channel_id=job.channel_id,
                    fail_if_not_exists=False,
                )
            found = await channel.send(
                text, view=cancel_view(job.id), reference=reply_to, nonce=f"s{job.id}"
            )
        await self._jobs.set_messages(job.id, status_message_id=found.id)
