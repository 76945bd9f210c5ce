"""What the buttons under a job do: Cancel; Run again / Stronger / Weaker / Upscale ×2 /
Variations, and under a grid Paint 1–4 and Vary, as new jobs; Delete. All but Cancel are for the
job's author and moderators only."""

from __future__ import annotations

import logging
import random
from dataclasses import replace

import discord

from bot.admission.inputs import Inputs
from bot.admission.intake import Intake
from bot.config import Limits
from bot.lifecycle.supervisor import Supervisor
from bot.messages import texts
from bot.messages.buttons import PAINT, VARY, Action, vary_view
from bot.ops.metrics import Metrics
from bot.rules.limits import effective_limits
from bot.rules.permissions import is_moderator
from bot.rules.refusals import RequestRefused
from bot.rules.request import SEED_MAX, STRENGTH_MAX, STRENGTH_MIN, STRENGTH_STEP, RequestedOptions
from bot.rules.variants import variants_around
from bot.store.guild_settings import GuildSettingsStore
from bot.store.job_files import JobFiles
from bot.store.jobs import ACTIVE_STATES, Job, JobStore

log = logging.getLogger(__name__)

UPSCALE_FACTOR = 2


class JobActions:
    def __init__(
        self,
        client: discord.Client,
        jobs: JobStore,
        files: JobFiles,
        settings: GuildSettingsStore,
        limits: Limits,
        intake: Intake,
        lifecycle: Supervisor,
        metrics: Metrics,
    ) -> None:
        self._client = client
        self._jobs = jobs
        self._files = files
        self._settings = settings
        self._limits = limits
        self._intake = intake
        self._lifecycle = lifecycle
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
                self._check_author(interaction, job)
                if action == "delete":
                    message = await self._delete(job, interaction.user.id)
                elif action == "vary":
                    await interaction.followup.send(
                        texts.VARY_WHICH, view=vary_view(job.id), ephemeral=True
                    )
                    return
                else:
                    await self._again(interaction, job, action)
                    return  # the intake already told the member
        except RequestRefused as refusal:
            self._metrics.request_refused(refusal.reason)
            message = str(refusal)
        await interaction.followup.send(
            message, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )

    @staticmethod
    def _check_author(interaction: discord.Interaction, job: Job) -> None:
        if interaction.user.id != job.user_id and not is_moderator(interaction.permissions):
            raise RequestRefused(
                f"Only the author of job `{job.id}` (<@{job.user_id}>) or a moderator can do this.",
                reason="not_author",
            )

    async def _cancel(self, interaction: discord.Interaction, job: Job) -> str:
        if interaction.user.id != job.user_id and not is_moderator(interaction.permissions):
            raise RequestRefused(
                f"Only <@{job.user_id}> or a moderator can cancel job `{job.id}`.",
                reason="not_allowed",
            )
        outcome = await self._lifecycle.cancel(job.id, interaction.user.id)
        if outcome == "finished":
            raise RequestRefused(
                f"Job `{job.id}` had already finished; its result is in <#{job.result_channel_id}>.",
                reason="already_ended",
            )
        if outcome == "ended":
            raise RequestRefused(f"Job `{job.id}` has already ended.", reason="already_ended")
        return f"Job `{job.id}` cancelled."

    async def _delete(self, job: Job, by_user_id: int) -> str:
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
        if action == "upscale":
            await self._check_upscale(interaction, job)

        async def gather() -> Inputs:
            # Upscale repaints at twice the size starting from the result, so the painting
            # keeps its strokes and gains detail, while the content stays the original photo:
            # the content loss pulls toward it, not toward the stylised result.
            init = None
            if action == "upscale":
                if job.result_path is None:
                    raise RequestRefused(
                        f"Job `{job.id}` has no result to upscale.", reason="upscale_limit"
                    )
                init = await self._files.read(job.result_path)
            return Inputs(
                content=await self._files.read(job.content_path),
                style=await self._files.read(job.style_path),
                style2=await self._files.read(job.style2_path) if job.style2_path else None,
                style_names=job.style_names,
                init=init,
            )

        options = replace(self._options(job, action), spoiler=job.spoiler)
        await self._intake.queue_job(interaction, gather, options, follow_up_in=job.destination_id)

    async def _check_upscale(self, interaction: discord.Interaction, job: Job) -> None:
        if job.state != "done":
            raise RequestRefused(
                f"Job `{job.id}` has no result to upscale.", reason="upscale_limit"
            )
        settings = await self._settings.get(interaction.guild_id)
        largest = effective_limits(settings, self._limits).max_size
        wanted = job.request.size * UPSCALE_FACTOR
        if wanted > largest:
            raise RequestRefused(
                f"Upscaling job `{job.id}` would make it {wanted} px; the largest allowed "
                f"here is {largest} px.",
                reason="upscale_limit",
            )

    @staticmethod
    def _options(job: Job, action: Action) -> RequestedOptions:
        request = job.request
        if action == "stronger":
            return request.as_options(strength=min(request.strength + STRENGTH_STEP, STRENGTH_MAX))
        if action == "weaker":
            return request.as_options(strength=max(request.strength - STRENGTH_STEP, STRENGTH_MIN))
        if action == "upscale":
            return request.as_options(size=request.size * UPSCALE_FACTOR)
        if action == "variations":
            return request.as_options(quality="variations")
        if action in PAINT:
            return variants_around(request)[PAINT[action] - 1].request.as_options()
        if action in VARY:
            return variants_around(request)[VARY[action] - 1].request.as_options(
                quality="variations"
            )
        return request.as_options(seed=random.randint(0, SEED_MAX))
