"""The one path from a deferred interaction to a queued job, shared by `/stylize`, the context
menus and the buttons: check the member, gather the pictures, hand them to the intake; any
refusal becomes one private sentence."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord

from bot.guild_settings import GuildSettingsStore
from bot.intake import Inputs, Intake
from bot.jobs import Job
from bot.limits import RequestRefused
from bot.metrics import Metrics
from bot.request import RequestedOptions


class JobStarter:
    def __init__(self, intake: Intake, settings: GuildSettingsStore, metrics: Metrics) -> None:
        self._intake = intake
        self._settings = settings
        self._metrics = metrics

    async def start(
        self,
        interaction: discord.Interaction,
        gather: Callable[[], Awaitable[Inputs]],
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
            await self._intake.check_member(interaction, settings)
            # The intake admits the job (quota, cooldown, queue cap, atomically) before it
            # gathers the pictures, so nothing is copied for a request it refuses.
            return await self._intake.accept(
                interaction, gather, options, settings, follow_up_in=follow_up_in
            )
        except RequestRefused as refusal:
            self._metrics.request_refused(refusal.reason)
            await interaction.followup.send(str(refusal), ephemeral=True)
            return None
