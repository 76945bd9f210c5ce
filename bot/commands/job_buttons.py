"""What the buttons under a job do: Cancel; Run again / Stronger / Weaker / Upscale ×2 /
Variations, and under a grid Paint 1–4 and Vary, as new jobs; Delete. Only the job's author and moderators may press them (`may_press`); `press` finds
the handler of each action in one table."""

from __future__ import annotations

import functools
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import replace

import discord

from bot.admission.inputs import Inputs
from bot.admission.intake import Intake
from bot.commands.action_rate import ActionRate
from bot.commands.job_deletion import JobDeletion
from bot.commands.powers import server_powers
from bot.commands.private import INTERNAL_ERROR, tell_privately
from bot.config import Limits
from bot.lifecycle.supervisor import Supervisor
from bot.messages.buttons import PAINT, VARY, Action, vary_view
from bot.messages.texts import VARY_WHICH
from bot.ops.metrics import Metrics
from bot.rules.animation import ANIMATIONS_STILL_ONLY
from bot.rules.limits import effective_limits
from bot.rules.permissions import check_may_act_on
from bot.rules.refusals import RequestRefused
from bot.rules.request import SEED_MAX, STRENGTH_MAX, STRENGTH_MIN, STRENGTH_STEP, RequestedOptions
from bot.rules.variants import variants_around
from bot.store.guild_settings import GuildSettingsStore
from bot.store.job_files import JobFiles
from bot.store.job_rows import Job
from bot.store.jobs import JobStore

log = logging.getLogger(__name__)

UPSCALE_FACTOR = 2
# A handler answers the member with its sentence, or None when the intake already did.
Handler = Callable[[discord.Interaction, Job], Awaitable[str | None]]


class JobActions:
    def __init__(
        self,
        jobs: JobStore,
        files: JobFiles,
        settings: GuildSettingsStore,
        limits: Limits,
        intake: Intake,
        lifecycle: Supervisor,
        deletion: JobDeletion,
        metrics: Metrics,
        rate: ActionRate,
    ) -> None:
        self._jobs = jobs
        self._files = files
        self._settings = settings
        self._limits = limits
        self._intake = intake
        self._lifecycle = lifecycle
        self._deletion = deletion
        self._metrics = metrics
        self._rate = rate
        self._handlers: dict[Action, Handler] = {
            "cancel": self._cancel,
            "delete": self._delete,
            "again": self._run_again,
            "stronger": self._stronger,
            "weaker": self._weaker,
            "upscale": self._upscale,
            "variations": self._variations,
            "vary": self._vary,
            **{action: functools.partial(self._paint, n) for action, n in PAINT.items()},
            **{action: functools.partial(self._vary_around, n) for action, n in VARY.items()},
        }

    async def may_press(self, interaction: discord.Interaction, job_id: str, doing: str) -> bool:
        if not await self._rate.allows(interaction):
            return False
        try:
            job = await self._job(job_id)
            check_may_act_on(job, interaction.user.id, server_powers(interaction), doing)
        except RequestRefused as refusal:
            self._metrics.request_refused(refusal.reason)
            await tell_privately(interaction, str(refusal))
            return False
        except Exception:
            log.exception("checking a button of job %s failed", job_id)
            await tell_privately(interaction, INTERNAL_ERROR)
            return False
        return True

    async def press(self, interaction: discord.Interaction, action: Action, job_id: str) -> None:
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
            try:
                answer = await self._handlers[action](interaction, await self._job(job_id))
            except RequestRefused as refusal:
                self._metrics.request_refused(refusal.reason)
                answer = str(refusal)
            if answer is not None:
                await interaction.followup.send(
                    answer, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
                )
        except Exception:
            log.exception("button %s on job %s failed", action, job_id)
            await tell_privately(interaction, INTERNAL_ERROR)

    async def _job(self, job_id: str) -> Job:
        job = await self._jobs.get(job_id)
        if job is None:
            raise RequestRefused(f"I don't know job `{job_id}` any more.", reason="unknown_job")
        return job

    async def _cancel(self, interaction: discord.Interaction, job: Job) -> str:
        outcome = await self._lifecycle.cancel(job.id, interaction.user.id)
        if outcome == "finished":
            raise RequestRefused(
                f"Job `{job.id}` had already finished; its result is in <#{job.result_channel_id}>.",
                reason="already_ended",
            )
        if outcome == "ended":
            raise RequestRefused(f"Job `{job.id}` has already ended.", reason="already_ended")
        return f"Job `{job.id}` cancelled."

    async def _delete(self, interaction: discord.Interaction, job: Job) -> str:
        return await self._deletion.delete(job, interaction.user.id)

    async def _run_again(self, interaction: discord.Interaction, job: Job) -> None:
        options = job.request.as_options(seed=random.randint(0, SEED_MAX))
        await self._follow_up(interaction, job, options)

    async def _stronger(self, interaction: discord.Interaction, job: Job) -> None:
        if job.request.strength >= STRENGTH_MAX:
            raise RequestRefused(
                f"Job `{job.id}` already ran at the strongest setting.", reason="strength_limit"
            )
        strength = min(job.request.strength + STRENGTH_STEP, STRENGTH_MAX)
        await self._follow_up(interaction, job, job.request.as_options(strength=strength))

    async def _weaker(self, interaction: discord.Interaction, job: Job) -> None:
        if job.request.strength <= STRENGTH_MIN:
            raise RequestRefused(
                f"Job `{job.id}` already ran at the weakest setting.", reason="strength_limit"
            )
        strength = max(job.request.strength - STRENGTH_STEP, STRENGTH_MIN)
        await self._follow_up(interaction, job, job.request.as_options(strength=strength))

    async def _upscale(self, interaction: discord.Interaction, job: Job) -> None:
        """Repaint at twice the size starting from the result, so the painting keeps its strokes
        and gains detail, while the content stays the original photo: the content loss pulls
        toward it, not toward the stylised result."""
        if job.state != "done" or job.result_path is None:
            raise RequestRefused(
                f"Job `{job.id}` has no result to upscale.", reason="upscale_limit"
            )
        if job.animation is not None:
            raise RequestRefused(ANIMATIONS_STILL_ONLY, reason="upscale_limit")
        settings = await self._settings.get(interaction.guild_id)
        largest = effective_limits(settings, self._limits).max_size
        wanted = job.request.size * UPSCALE_FACTOR
        if wanted > largest:
            raise RequestRefused(
                f"Upscaling job `{job.id}` would make it {wanted} px; the largest allowed "
                f"here is {largest} px.",
                reason="upscale_limit",
            )
        options = job.request.as_options(size=wanted)
        await self._follow_up(interaction, job, options, start_from_result=True)

    async def _variations(self, interaction: discord.Interaction, job: Job) -> None:
        if job.animation is not None:
            raise RequestRefused(ANIMATIONS_STILL_ONLY, reason="conflicting_options")
        await self._follow_up(interaction, job, job.request.as_options(quality="variations"))

    async def _paint(self, number: int, interaction: discord.Interaction, job: Job) -> None:
        variant = variants_around(job.request)[number - 1]
        await self._follow_up(interaction, job, variant.request.as_options())

    async def _vary(self, interaction: discord.Interaction, job: Job) -> None:
        await interaction.followup.send(VARY_WHICH, view=vary_view(job.id), ephemeral=True)

    async def _vary_around(self, number: int, interaction: discord.Interaction, job: Job) -> None:
        variant = variants_around(job.request)[number - 1]
        await self._follow_up(interaction, job, variant.request.as_options(quality="variations"))

    async def _follow_up(
        self,
        interaction: discord.Interaction,
        job: Job,
        options: RequestedOptions,
        *,
        start_from_result: bool = False,
    ) -> None:
        """A new job from this one's pictures, talking where this one's result is."""
        if await self._jobs.files_deleted(job.id):
            raise RequestRefused(
                f"The pictures of job `{job.id}` have been cleaned up; start over with /stylize.",
                reason="files_deleted",
            )
        read = self._files.read

        init = job.result_path if start_from_result else None
        kept = {"content": job.content_path, "style": job.style_path}
        kept |= {"style2": job.style2_path} if job.style2_path else {}
        kept |= {"init": init} if init else {}

        async def gather() -> Inputs:
            return Inputs(
                content=await read(job.content_path),
                style=await read(job.style_path),
                style2=await read(job.style2_path) if job.style2_path else None,
                style_names=job.style_names,
                init=await read(init) if init else None,
                kept=kept,
            )

        options = replace(options, spoiler=job.spoiler, private=job.private)
        # Where the result is: its thread, or where delivery fell back to (channel, DM).
        await self._intake.queue_job(
            interaction, gather, options, follow_up_in=job.result_channel_id
        )
