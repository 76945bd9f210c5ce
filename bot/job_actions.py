"""What the buttons under a job do: Cancel, and Run again / Stronger / Weaker as new jobs."""

from __future__ import annotations

import random

import discord

from bot.buttons import Action
from bot.guild_settings import GuildSettingsStore
from bot.intake import Inputs, Intake
from bot.job_files import JobFiles
from bot.jobs import Job, JobStore
from bot.limits import RequestRefused
from bot.metrics import Metrics
from bot.permissions import is_moderator
from bot.request import SEED_MAX, STRENGTH_MAX, STRENGTH_MIN, STRENGTH_STEP, RequestedOptions
from bot.runner import Runner


class JobActions:
    def __init__(
        self,
        jobs: JobStore,
        files: JobFiles,
        settings: GuildSettingsStore,
        intake: Intake,
        runner: Runner,
        metrics: Metrics,
    ) -> None:
        self._jobs = jobs
        self._files = files
        self._settings = settings
        self._intake = intake
        self._runner = runner
        self._metrics = metrics

    async def handle(self, interaction: discord.Interaction, action: Action, job_id: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            job = await self._jobs.get(job_id)
            if job is None:
                raise RequestRefused(f"I don't know job `{job_id}` any more.", reason="unknown_job")
            if action == "cancel":
                message = await self._cancel(interaction, job)
            else:
                await self._again(interaction, job, action)
                return  # the intake already told the member
        except RequestRefused as refusal:
            self._metrics.request_refused(refusal.reason)
            message = str(refusal)
        await interaction.followup.send(message, ephemeral=True)

    async def _cancel(self, interaction: discord.Interaction, job: Job) -> str:
        if interaction.user.id != job.user_id and not is_moderator(interaction.permissions):
            raise RequestRefused(
                f"Only <@{job.user_id}> or a moderator can cancel job `{job.id}`.",
                reason="not_allowed",
            )
        outcome = await self._runner.cancel(job.id, interaction.user.id)
        if outcome == "finished":
            raise RequestRefused(
                f"Job `{job.id}` had already finished; its result is in <#{job.destination_id}>.",
                reason="already_ended",
            )
        if outcome == "ended":
            raise RequestRefused(f"Job `{job.id}` has already ended.", reason="already_ended")
        return f"Job `{job.id}` cancelled."

    async def _again(self, interaction: discord.Interaction, job: Job, action: Action) -> None:
        request = job.request
        if action == "stronger" and request.strength >= STRENGTH_MAX:
            raise RequestRefused(
                f"Job `{job.id}` already ran at the strongest setting.", reason="strength_limit"
            )
        if action == "weaker" and request.strength <= STRENGTH_MIN:
            raise RequestRefused(
                f"Job `{job.id}` already ran at the weakest setting.", reason="strength_limit"
            )
        if await self._jobs.files_deleted(job.id):
            raise RequestRefused(
                f"The pictures of job `{job.id}` have been cleaned up; start over with /stylize.",
                reason="files_deleted",
            )
        options = self._options(job, action)
        settings = await self._settings.get(interaction.guild_id)
        await self._intake.check_member(interaction, settings)

        async def earlier_inputs() -> Inputs:
            return Inputs(
                content=await self._files.read(job.content_path),
                style=await self._files.read(job.style_path),
            )

        await self._intake.accept(
            interaction, earlier_inputs, options, settings, follow_up_in=job.destination_id
        )

    @staticmethod
    def _options(job: Job, action: Action) -> RequestedOptions:
        request = job.request
        if action == "stronger":
            return request.as_options(strength=min(request.strength + STRENGTH_STEP, STRENGTH_MAX))
        if action == "weaker":
            return request.as_options(strength=max(request.strength - STRENGTH_STEP, STRENGTH_MIN))
        return request.as_options(seed=random.randint(0, SEED_MAX))
