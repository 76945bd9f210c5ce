"""From a deferred interaction to an accepted, durable job with its public messages.

`/stylize`, the context menus and the buttons under a result all come through `queue_job`.
Every check raises `RequestRefused` with a sentence for the member, and any refusal becomes one
private answer; a refused request leaves nothing behind, and the job row, its files and its
public messages exist before the member is told it is queued.
"""

from __future__ import annotations

import asyncio
import logging
import random
import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

import discord

from bot.admission.inputs import Inputs
from bot.config import Config
from bot.messages.discord_errors import is_discord_failure
from bot.ops.metrics import Metrics
from bot.rules.animation import ANIMATIONS_STILL_ONLY, FittedAnimation, fit_animation
from bot.rules.images import motion_of
from bot.rules.limits import Clamped, check_channel, check_free_space, clamp_request
from bot.rules.refusals import RequestRefused, saving_refusal
from bot.rules.request import SEED_MAX, RequestedOptions, StyleRequest
from bot.rules.settings import GuildSettings
from bot.store.admission_checks import Admission, JobIdTaken
from bot.store.guild_settings import GuildSettingsStore
from bot.store.job_files import JobFiles
from bot.store.job_rows import Job, NewJob, PostMode, new_job_id
from bot.store.jobs import JobStore

log = logging.getLogger(__name__)

# The lifecycle's hand-over: drive this admitted job, return it once its public messages exist.
HandOver = Callable[[str], Awaitable[Job]]
GatherInputs = Callable[[], Awaitable[Inputs]]
ID_DRAWS = 5  # with 64 random bits, a second draw is already one in billions


class Intake:
    def __init__(
        self,
        client: discord.Client,
        config: Config,
        jobs: JobStore,
        files: JobFiles,
        settings: GuildSettingsStore,
        metrics: Metrics,
        hand_over: HandOver,
        *,
        clock: Callable[[], float] = time.time,
        new_id: Callable[[], str] = new_job_id,
    ) -> None:
        """`new_id` draws a job id; one already taken is drawn again."""
        self._client = client
        self._config = config
        self._jobs = jobs
        self._files = files
        self._settings = settings
        self._metrics = metrics
        self._hand_over = hand_over
        self._clock = clock
        self.new_id = new_id
        self.accepting = True

    async def queue_job(
        self,
        interaction: discord.Interaction,
        gather: GatherInputs,
        options: RequestedOptions,
        *,
        follow_up_in: int | None = None,
    ) -> Job | None:
        """Queue a job and tell the member (or tell them why not); the job, or None if refused.

        `gather` runs once the job is admitted, so nothing is downloaded for a request that
        would be refused anyway.
        """
        try:
            settings = await self._settings.get(interaction.guild_id)
            self._check_member(interaction, settings)
            return await self._accept(
                interaction, gather, options, settings, follow_up_in=follow_up_in
            )
        except RequestRefused as refusal:
            self._metrics.request_refused(refusal.reason)
            await interaction.followup.send(str(refusal), ephemeral=True)
            return None

    def _check_member(self, interaction: discord.Interaction, settings: GuildSettings) -> None:
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
            # To find a message sent just as Discord or the bot stumbled, rather than send it twice.
            "Read Message History": perms.read_message_history,
        }
        missing = [name for name, granted in needed.items() if not granted]
        if missing:
            raise RequestRefused(
                f"I can't post results in this channel: I need the {', '.join(missing)} "
                "permission here. Ask a moderator, or use another channel.",
                reason="bot_cannot_post",
            )

    async def _accept(
        self,
        interaction: discord.Interaction,
        gather: GatherInputs,
        options: RequestedOptions,
        settings: GuildSettings,
        *,
        follow_up_in: int | None = None,
    ) -> Job:
        """Admit the job, fetch and save its inputs, hand it to the lifecycle, tell the member.

        The member's limit, cooldown and the queue cap are checked as the row is inserted, in one
        transaction, before any picture is copied. Until the inputs are saved the row is only a
        reservation: any failure before then removes it and its files, so nothing runs that the
        member was told had failed. `follow_up_in` is the thread (or channel) of an earlier job,
        for the buttons under a result; otherwise a public message with thumbnails opens a new
        thread, or the job carries on as replies where threads are not possible.
        """
        await self._check_free_space()
        clamped = clamp_request(
            options, settings, self._config.limits, random_seed=random.randint(0, SEED_MAX)
        )
        new = await self._admit(
            lambda: self._new_job(interaction, clamped, options, settings, follow_up_in), settings
        )
        scaled = await self._save_inputs(new.id, gather, clamped.request, settings)
        job = await self._hand_over(new.id)  # from here on the job runs, whatever happens here
        await self._confirm(interaction, job, clamped.notes + scaled)
        return job

    async def _check_free_space(self) -> None:
        floor_mb = self._config.min_free_disk_mb
        free = (await asyncio.to_thread(shutil.disk_usage, self._config.data_dir)).free
        try:
            check_free_space(free, floor_mb)
        except RequestRefused:
            log.warning(
                "%d MB free for %s, under MIN_FREE_DISK_MB=%d: new jobs are refused",
                free // (1024 * 1024),
                self._config.data_dir,
                floor_mb,
            )
            raise

    async def _admit(self, draw: Callable[[], NewJob], settings: GuildSettings) -> NewJob:
        """The admitted job's row, under an id drawn again while it is another job's."""
        for _ in range(ID_DRAWS):
            new = draw()
            try:
                await self._jobs.admit(new, self._admission(settings))
            except JobIdTaken:
                log.warning("job id %s is taken; drawing another", new.id)
                continue
            return new
        raise RuntimeError(f"{ID_DRAWS} job ids in a row were taken: is the id source random?")

    def _admission(self, settings: GuildSettings) -> Admission:
        config = self._config
        return Admission(
            settings, config.engine_max_queue, self._clock(), config.max_queued_per_guild
        )

    def _new_job(
        self,
        interaction: discord.Interaction,
        clamped: Clamped,
        options: RequestedOptions,
        settings: GuildSettings,
        follow_up_in: int | None,
    ) -> NewJob:
        job_id = self.new_id()
        return NewJob(
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
            private=options.private,
            post_mode=self._post_mode(interaction, settings, follow_up_in),
            thread_name=None
            if follow_up_in is not None
            else self._thread_name(interaction, job_id),
        )

    async def _save_inputs(
        self, job_id: str, gather: GatherInputs, request: StyleRequest, settings: GuildSettings
    ) -> tuple[str, ...]:
        """Fetch, check and save the pictures; on any failure the reservation is gone. Returns
        what an animation's limits scaled down, for the member."""
        try:
            inputs = await gather()
            fitted = await self._fit_animation(inputs, request, settings)
            if fitted is not None:
                request = replace(request, size=fitted.size)
            await asyncio.to_thread(inputs.check_shapes, request.style_params())
            await self._files.save_inputs(job_id, inputs.content, inputs.style, inputs.kept)
            if inputs.style2 is not None:
                style2_path = await self._files.save_second_style(
                    job_id, inputs.style2, inputs.kept
                )
                await self._jobs.set_second_style(job_id, style2_path)
            if inputs.init is not None:
                init_path = await self._files.save_init(job_id, inputs.init, inputs.kept)
                await self._jobs.set_init(job_id, init_path)
            await self._jobs.set_style_names(job_id, inputs.style_names)
            if fitted is not None:
                await self._jobs.set_animation(job_id, fitted.animation, fitted.size)
        except BaseException as error:
            await self._files.delete(job_id)
            await self._jobs.discard(job_id)
            if isinstance(error, OSError):
                log.error("could not save the inputs of job %s: %s", job_id, error)
                raise saving_refusal(error) from None
            raise
        return () if fitted is None else fitted.notes

    async def _fit_animation(
        self, inputs: Inputs, request: StyleRequest, settings: GuildSettings
    ) -> FittedAnimation | None:
        """An animated content within the server's and the bot's limits; None for a still."""
        facts = await asyncio.to_thread(motion_of, inputs.content)
        if facts is None:
            return None
        if request.quality == "variations":
            raise RequestRefused(ANIMATIONS_STILL_ONLY, reason="conflicting_options")
        return fit_animation(facts, request.size, settings, self._config.limits)

    @staticmethod
    async def _confirm(interaction: discord.Interaction, job: Job, notes: tuple[str, ...]) -> None:
        text = [f"Queued as job `{job.id}` — follow along in <#{job.destination_id}>."]
        text.extend(f"ℹ️ {note}" for note in notes)
        try:
            await interaction.followup.send("\n".join(text), ephemeral=True)
        except Exception as exc:
            # The job is queued and its thread will say so; an error here must not invite the
            # member to send it again.
            if not is_discord_failure(exc):
                raise
            log.warning("job %s: could not confirm it privately: %s", job.id, exc)

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
