"""`/stylize`: two attachments in, a queued job (or a specific, private refusal) out."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.guild_settings import GuildSettingsStore
from bot.intake import Intake
from bot.limits import RequestRefused
from bot.metrics import Metrics
from bot.request import SEED_MAX, STRENGTH_MAX, STRENGTH_MIN, RequestedOptions

# Discord-side bounds only keep typos out; the server's and the bot's limits are applied (and
# explained) by bot.limits.
MAX_TYPED_ITERATIONS = 100_000
MAX_TYPED_SIZE = 16_384


class StylizeCog(commands.Cog):
    def __init__(self, intake: Intake, settings: GuildSettingsStore, metrics: Metrics) -> None:
        self._intake = intake
        self._settings = settings
        self._metrics = metrics

    @app_commands.command(name="stylize", description="Paint one picture in the style of another")
    @app_commands.describe(
        content="The picture to repaint",
        style="The picture whose style to borrow (a painting works best)",
        iterations="How long to work on it: more is finer but slower (server default if empty)",
        size="Longest side of the result in pixels",
        strength=f"How strongly the style shows, {STRENGTH_MIN} (light) to {STRENGTH_MAX} (heavy)",
        preserve_colors="Keep the colours of the content picture",
        seed="Same seed and settings give the same picture; random if empty",
    )
    async def stylize(
        self,
        interaction: discord.Interaction,
        content: discord.Attachment,
        style: discord.Attachment,
        iterations: app_commands.Range[int, 1, MAX_TYPED_ITERATIONS] | None = None,
        size: app_commands.Range[int, 1, MAX_TYPED_SIZE] | None = None,
        strength: app_commands.Range[int, STRENGTH_MIN, STRENGTH_MAX] | None = None,
        preserve_colors: bool | None = None,
        seed: app_commands.Range[int, 0, SEED_MAX] | None = None,
    ) -> None:
        # Downloading and checking two images can take longer than Discord's 3 seconds.
        await interaction.response.defer(ephemeral=True, thinking=True)
        options = RequestedOptions(iterations, size, strength, preserve_colors, seed)
        intake = self._intake
        try:
            settings = await self._settings.get(interaction.guild_id)
            await intake.check_member(interaction, settings)
            await intake.accept(
                interaction, lambda: intake.download_inputs(content, style), options, settings
            )
        except RequestRefused as refusal:
            self._metrics.request_refused(refusal.reason)
            await interaction.followup.send(str(refusal), ephemeral=True)
