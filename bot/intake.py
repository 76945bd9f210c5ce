"""From a deferred interaction to an accepted, durable job with its public message and thread.

`/stylize` and the Run again / Stronger / Weaker buttons both come through here. Every check
raises `RequestRefused` with a sentence for the member; nothing is stored until all pass, and
the job row and its files exist before the member is told it is queued.
"""

from __future__ import annotations

import asyncio
import io
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import discord

from bot import render
from bot.buttons import cancel_view
from bot.config import Config
from bot.guild_settings import GuildSettings
from bot.job_files import JobFiles
from bot.jobs import Job, JobStore, NewJob, new_job_id
from bot.limits import (
    RequestRefused,
    check_attachment,
    check_channel,
    check_image_bytes,
    check_member_quota,
    clamp_request,
)
from bot.request import SEED_MAX, RequestedOptions
from bot.runner import Runner
from bot.upload import thumbnail_png
from engine.pool import EngineService

log = logging.getLogger(__name__)

DISCORD_CDN_HOSTS = frozenset({"cdn.discordapp.com", "media.discordapp.net"})
THREAD_ARCHIVE_MINUTES = 1440


@dataclass(frozen=True)
class Inputs:
    content: bytes
    style: bytes
    style2: bytes | None = None  # a second style to mix in
    style_names: tuple[str, ...] = ()  # preset or file names, written into the result


class Intake:
    def __init__(
        self,
        client: discord.Client,
        config: Config,
        jobs: JobStore,
        files: JobFiles,
        runner: Runner,
        pool: EngineService,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._config = config
        self._limits = config.limits
        self._jobs = jobs
        self._files = files
        self._runner = runner
        self._pool = pool
        self._clock = clock
        self.accepting = True
        # Attachment URLs are only fetched from Discord's CDN or the configured API's host.
        self._download_hosts = DISCORD_CDN_HOSTS | {urlsplit(config.api_base).hostname or ""}

    async def check_member(self, interaction: discord.Interaction, settings: GuildSettings) -> None:
        if not self.accepting:
            raise RequestRefused(
                "Atelier is restarting; please try again in a minute.", reason="restarting"
            )
        channel = interaction.channel
        check_channel(settings, interaction.channel_id or 0, getattr(channel, "parent_id", None))
        if interaction.guild_id is not None:
            self._check_bot_can_post(interaction)
        active, last = await self._jobs.member_activity(interaction.guild_id, interaction.user.id)
        check_member_quota(settings, active, last, self._clock())
        if self._pool.queue_length >= self._config.engine_max_queue:
            raise RequestRefused(
                f"The queue is full ({self._pool.queue_length} jobs waiting); "
                "please try again later.",
                reason="queue_full",
            )

    @staticmethod
    def _check_bot_can_post(interaction: discord.Interaction) -> None:
        perms = interaction.app_permissions
        in_thread = isinstance(interaction.channel, discord.Thread)
        needed = {
            "Send Messages in Threads" if in_thread else "Send Messages": (
                perms.send_messages_in_threads if in_thread else perms.send_messages
            ),
            "Attach Files": perms.attach_files,
            "Embed Links": perms.embed_links,
        }
        missing = [name for name, granted in needed.items() if not granted]
        if missing:
            raise RequestRefused(
                f"I can't post results in this channel: I need the {', '.join(missing)} "
                "permission here. Ask a moderator, or use another channel.",
                reason="bot_cannot_post",
            )

    async def download_inputs(
        self, content: discord.Attachment, style: discord.Attachment
    ) -> Inputs:
        """Check what Discord says about both attachments, then fetch and check their pixels."""
        for label, attachment in (("content", content), ("style", style)):
            self.check_source(label, attachment)
        return Inputs(
            content=await self._fetch("content", content), style=await self._fetch("style", style)
        )

    async def download(self, label: str, attachment: discord.Attachment) -> bytes:
        """One checked image (e.g. the content when the style comes from the library)."""
        self.check_source(label, attachment)
        return await self._fetch(label, attachment)

    def check_source(self, label: str, attachment: discord.Attachment) -> None:
        check_attachment(
            label, attachment.filename, attachment.content_type, attachment.size, self._limits
        )
        if urlsplit(attachment.url).hostname not in self._download_hosts:
            raise RequestRefused(
                f"The {label} image must be uploaded to Discord, not linked.",
                reason="linked_image",
            )

    async def _fetch(self, label: str, attachment: discord.Attachment) -> bytes:
        try:
            data = await attachment.read()
        except (discord.HTTPException, OSError):
            raise RequestRefused(
                f"I could not download the {label} image from Discord; please try again.",
                reason="download_failed",
            ) from None
        await asyncio.to_thread(check_image_bytes, label, attachment.filename, data, self._limits)
        return data

    async def accept(
        self,
        interaction: discord.Interaction,
        inputs: Inputs,
        options: RequestedOptions,
        settings: GuildSettings,
        *,
        follow_up_in: int | None = None,
    ) -> Job:
        """Store the job, post where it will be followed, hand it to the runner, tell the member.

        `follow_up_in` is the thread (or channel) of an earlier job, for the buttons under a
        result; otherwise a public message with thumbnails opens a new thread, or the job
        carries on as replies where threads are not possible.
        """
        clamped = clamp_request(
            options, settings, self._config.limits, random_seed=random.randint(0, SEED_MAX)
        )
        job_id = new_job_id()
        content_path, style_path = await self._files.save_inputs(
            job_id, inputs.content, inputs.style
        )
        style2_path = (
            await self._files.save_second_style(job_id, inputs.style2) if inputs.style2 else None
        )
        job = await self._jobs.create(
            NewJob(
                id=job_id,
                guild_id=interaction.guild_id,
                channel_id=follow_up_in or interaction.channel_id or 0,
                user_id=interaction.user.id,
                request=clamped.request,
                notes=clamped.notes,
                content_path=content_path,
                style_path=style_path,
                filesize_limit=interaction.filesize_limit,
                style2_path=style2_path,
                style_names=inputs.style_names,
                spoiler=settings.spoiler_by_default if options.spoiler is None else options.spoiler,
            )
        )
        try:
            if follow_up_in is not None:
                await self._post_status_only(job)
            else:
                await self._post_public(interaction, job, inputs, settings)
        except discord.HTTPException as exc:
            log.warning("could not post job %s: %s", job.id, exc)
            await self._jobs.mark_failed(job.id, "could not post in this channel")
            await self._jobs.mark_posted(job.id, None)
            raise RequestRefused(
                "I could not post in this channel, so the job was not started. "
                "Check that I can send messages and attach files here.",
                reason="bot_cannot_post",
            ) from None
        self._runner.run(job.id)
        job = await self._jobs.require(job.id)
        text = [f"Queued as job `{job.id}` — follow along in <#{job.destination_id}>."]
        text.extend(f"ℹ️ {note}" for note in clamped.notes)
        await interaction.followup.send("\n".join(text), ephemeral=True)
        return job

    def _status_text(self, job: Job) -> str:
        position = self._pool.queue_length + 1
        header = render.status_header(job.id, job.request, job.notes)
        return render.status_text(header, render.queued_line(position))

    async def _post_status_only(self, job: Job) -> None:
        channel = self._client.get_partial_messageable(job.channel_id)
        status = await channel.send(self._status_text(job), view=cancel_view(job.id))
        await self._jobs.set_messages(
            job.id, thread_id=None, request_message_id=None, status_message_id=status.id
        )

    async def _post_public(
        self, interaction: discord.Interaction, job: Job, inputs: Inputs, settings: GuildSettings
    ) -> None:
        channel = interaction.channel
        if not isinstance(channel, discord.abc.Messageable):
            channel = self._client.get_partial_messageable(interaction.channel_id or 0)
        nsfw = getattr(channel, "is_nsfw", lambda: False)()
        files, embeds = (
            await self._thumbnails(inputs, job.spoiler)
            if settings.input_thumbnails or nsfw
            else ([], [])
        )
        request = await channel.send(
            render.queue_post_text(job.user_id, job.id, self._pool.queue_length + 1),
            files=files,
            embeds=embeds,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        thread = await self._open_thread(interaction, request, job)
        status_text = self._status_text(job)
        if thread is not None:
            status = await thread.send(status_text, view=cancel_view(job.id))
        else:
            status = await request.reply(
                status_text, view=cancel_view(job.id), mention_author=False
            )
        await self._jobs.set_messages(
            job.id,
            thread_id=thread.id if thread else None,
            request_message_id=request.id,
            status_message_id=status.id,
        )

    @staticmethod
    async def _thumbnails(
        inputs: Inputs, spoiler: bool
    ) -> tuple[list[discord.File], list[discord.Embed]]:
        """Small copies of the inputs; behind spoilers (and so without embeds) if asked."""
        files, embeds = [], []
        for name, data in (("content", inputs.content), ("style", inputs.style)):
            png = await asyncio.to_thread(thumbnail_png, data)
            files.append(discord.File(io.BytesIO(png), f"{name}.png", spoiler=spoiler))
            if not spoiler:
                embeds.append(
                    discord.Embed(title=name.capitalize()).set_image(url=f"attachment://{name}.png")
                )
        return files, embeds

    @staticmethod
    async def _open_thread(
        interaction: discord.Interaction, request: discord.Message, job: Job
    ) -> discord.Thread | None:
        """A public thread on the request message; None where threads are impossible or refused."""
        if not isinstance(interaction.channel, discord.TextChannel):
            return None  # DMs, threads, voice chats: carry on as replies
        if not interaction.app_permissions.create_public_threads:
            return None
        name = f"🎨 {interaction.user.display_name} · {job.id}"[:100]
        try:
            return await request.create_thread(
                name=name, auto_archive_duration=THREAD_ARCHIVE_MINUTES
            )
        except discord.HTTPException as exc:
            log.info("no thread for job %s (%s); replying in the channel instead", job.id, exc)
            return None
