"""From a deferred interaction to an accepted, durable job with its public message and thread.

`/stylize` and the Run again / Stronger / Weaker buttons both come through here. Every check
raises `RequestRefused` with a sentence for the member; a refused request leaves nothing behind,
and the job row, its files and its public messages exist before the member is told it is queued.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import random
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import discord

from bot.config import Config
from bot.discord_errors import is_discord_failure
from bot.guild_settings import GuildSettings
from bot.job_files import JobFiles
from bot.jobs import Admission, Job, JobStore, NewJob, PostMode, new_job_id
from bot.limits import (
    RequestRefused,
    check_attachment,
    check_channel,
    check_image_bytes,
    check_shape,
    clamp_request,
)
from bot.request import SEED_MAX, RequestedOptions
from engine.images import probe_image
from engine.params import StyleParams

log = logging.getLogger(__name__)

DISCORD_CDN_HOSTS = frozenset({"cdn.discordapp.com", "media.discordapp.net"})
# The runner's hand-over: drive this admitted job, return it once its public messages exist.
StartJob = Callable[[str], Awaitable[Job]]


@dataclass(frozen=True)
class Inputs:
    content: bytes
    style: bytes
    style2: bytes | None = None  # a second style to mix in
    style_names: tuple[str, ...] = ()  # preset or file names, written into the result
    # Where the painting starts (Upscale ×2: an earlier result, already checked when it was made).
    init: bytes | None = None

    def check_shapes(self, params: StyleParams) -> None:
        # All already passed the pixel cap (now, or when their first job was accepted).
        for label, data in (
            ("content", self.content),
            ("style", self.style),
            ("second style", self.style2),
        ):
            if data is not None:
                check_shape(label, probe_image(data, max_pixels=sys.maxsize), params)


class Intake:
    def __init__(
        self,
        client: discord.Client,
        config: Config,
        jobs: JobStore,
        files: JobFiles,
        start: StartJob,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._config = config
        self._limits = config.limits
        self._jobs = jobs
        self._files = files
        self._start = start
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
        fetch_inputs: Callable[[], Awaitable[Inputs]],
        options: RequestedOptions,
        settings: GuildSettings,
        *,
        follow_up_in: int | None = None,
    ) -> Job:
        """Admit the job, fetch and save its inputs, hand it to the runner, tell the member.

        The member's limit, cooldown and the queue cap are checked as the row is inserted, in one
        transaction, before any picture is copied. Until the inputs are saved the row is only a
        reservation: any failure before then removes it and its files, so nothing runs that the
        member was told had failed. `follow_up_in` is the thread (or channel) of an earlier job,
        for the buttons under a result; otherwise a public message with thumbnails opens a new
        thread, or the job carries on as replies where threads are not possible.
        """
        clamped = clamp_request(
            options, settings, self._config.limits, random_seed=random.randint(0, SEED_MAX)
        )
        job_id = new_job_id()
        job = await self._jobs.admit(
            NewJob(
                id=job_id,
                guild_id=interaction.guild_id,
                channel_id=follow_up_in or interaction.channel_id or 0,
                user_id=interaction.user.id,
                request=clamped.request,
                notes=clamped.notes,
                content_path=self._files.folder(job_id) / "content",
                style_path=self._files.folder(job_id) / "style",
                filesize_limit=interaction.filesize_limit,
                spoiler=settings.spoiler_by_default if options.spoiler is None else options.spoiler,
                post_mode=self._post_mode(interaction, settings, follow_up_in),
                thread_name=None
                if follow_up_in is not None
                else self._thread_name(interaction, job_id),
            ),
            Admission(settings, self._config.engine_max_queue, self._clock()),
        )
        try:
            inputs = await fetch_inputs()
            await asyncio.to_thread(inputs.check_shapes, clamped.request.style_params())
            await self._files.save_inputs(job_id, inputs.content, inputs.style)
            if inputs.style2 is not None:
                style2_path = await self._files.save_second_style(job_id, inputs.style2)
                await self._jobs.set_second_style(job_id, style2_path)
            if inputs.init is not None:
                init_path = await self._files.save_init(job_id, inputs.init)
                await self._jobs.set_init(job_id, init_path)
            await self._jobs.set_style_names(job_id, inputs.style_names)
        except BaseException as error:
            await self._files.delete(job_id)
            await self._jobs.discard(job_id)
            if isinstance(error, OSError):
                log.error("could not save the inputs of job %s: %s", job_id, error)
                raise saving_refusal(error) from None
            raise
        job = await self._start(job.id)  # from here on the job runs, whatever happens here
        text = [f"Queued as job `{job.id}` — follow along in <#{job.destination_id}>."]
        text.extend(f"ℹ️ {note}" for note in clamped.notes)
        try:
            await interaction.followup.send("\n".join(text), ephemeral=True)
        except Exception as exc:
            # The job is queued and its thread will say so; an error here must not invite the
            # member to send it again.
            if not is_discord_failure(exc):
                raise
            log.warning("job %s: could not confirm it privately: %s", job.id, exc)
        return job

    @staticmethod
    def _post_mode(
        interaction: discord.Interaction, settings: GuildSettings, follow_up_in: int | None
    ) -> PostMode:
        if follow_up_in is not None:
            return "status"  # the buttons under a result, or a private job in the member's DMs
        nsfw = getattr(interaction.channel, "is_nsfw", lambda: False)()
        return "public" if settings.input_thumbnails or nsfw else "bare"

    @staticmethod
    def _thread_name(interaction: discord.Interaction, job_id: str) -> str | None:
        """A thread where one can be opened and then written in; None means replies instead."""
        if not isinstance(interaction.channel, discord.TextChannel):
            return None  # DMs, threads, voice chats: carry on as replies
        perms = interaction.app_permissions
        if not (perms.create_public_threads and perms.send_messages_in_threads):
            return None  # an empty thread is worse than replies in the channel
        return f"🎨 {interaction.user.display_name} · {job_id}"[:100]


def saving_refusal(error: OSError) -> RequestRefused:
    if error.errno == errno.ENOSPC:
        return RequestRefused(
            "I'm out of disk space for new pictures, so the job was not queued and nothing was "
            "kept. Please try again later (the bot's admin needs to free some space).",
            reason="disk_full",
        )
    return RequestRefused(
        "I could not save your pictures, so the job was not queued. Please try again.",
        reason="not_started",
    )
