"""`/atelier settings`, `/atelier queue`, `/atelier help`: the moderators' commands.

Discord hides commands by permission only per top-level command, so the whole `/atelier` group is
shown to members with Manage Server by default (admins can open it to others under Server
Settings → Integrations). `settings` checks the permission itself on every call all the same:
the default is only a display hint that admins can override.
"""

from __future__ import annotations

from collections.abc import Callable

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.config import Limits
from bot.guild_settings import (
    MAX_COOLDOWN_SECONDS,
    MAX_JOBS_PER_MEMBER,
    GuildSettingsStore,
    SettingsError,
    changed_settings,
)
from bot.jobs import JobStore
from bot.limits import effective_limits
from bot.permissions import can_manage_settings

NOT_ALLOWED = "Only members with the **Manage Server** permission can change Atelier's settings."


@app_commands.default_permissions(manage_guild=True)
class AtelierCog(
    commands.GroupCog, group_name="atelier", group_description="Atelier's settings, queue and help"
):
    def __init__(
        self,
        settings: GuildSettingsStore,
        jobs: JobStore,
        limits: Limits,
        job_status: Callable[[str], str],
    ) -> None:
        """`job_status(job_id)` is the line /atelier queue shows for an active job."""
        self._settings = settings
        self._jobs = jobs
        self._limits = limits
        self._job_status = job_status
        super().__init__()

    @app_commands.command(name="settings", description="Show or change this server's limits")
    @app_commands.guild_only()
    @app_commands.describe(
        max_iterations="Most iterations a member may ask for",
        max_size="Largest result a member may ask for (longest side, px)",
        default_iterations="Iterations when a member leaves the option empty",
        default_size="Size when a member leaves the option empty (px)",
        jobs_per_member="Jobs one member may have waiting or running at once",
        cooldown="Seconds a member waits between two jobs",
        allow_channel="Allow /stylize in this channel (once any is allowed, only those are)",
        disallow_channel="Remove a channel from the allowed list",
        reset="Forget this server's settings and use the bot's defaults",
    )
    async def settings(
        self,
        interaction: discord.Interaction,
        max_iterations: app_commands.Range[int, 1, 100_000] | None = None,
        max_size: app_commands.Range[int, 1, 16_384] | None = None,
        default_iterations: app_commands.Range[int, 1, 100_000] | None = None,
        default_size: app_commands.Range[int, 1, 16_384] | None = None,
        jobs_per_member: app_commands.Range[int, 1, MAX_JOBS_PER_MEMBER] | None = None,
        cooldown: app_commands.Range[int, 0, MAX_COOLDOWN_SECONDS] | None = None,
        allow_channel: discord.TextChannel | None = None,
        disallow_channel: discord.TextChannel | None = None,
        reset: bool = False,
    ) -> None:
        # default_member_permissions cannot be set on a subcommand: this check is the real one.
        if interaction.guild_id is None or not can_manage_settings(interaction.permissions):
            await interaction.response.send_message(NOT_ALLOWED, ephemeral=True)
            return
        store, limits, who = self._settings, self._limits, interaction.user.id
        current = await (
            store.reset(interaction.guild_id, by_user_id=who)
            if reset
            else store.get(interaction.guild_id)
        )
        changes: dict[str, object] = {
            name: value
            for name, value in (
                ("max_iterations", max_iterations),
                ("max_size", max_size),
                ("default_iterations", default_iterations),
                ("default_size", default_size),
                ("jobs_per_member", jobs_per_member),
                ("cooldown_seconds", cooldown),
            )
            if value is not None
        }
        channels = set(current.allowed_channels)
        if allow_channel is not None:
            channels.add(allow_channel.id)
        if disallow_channel is not None:
            channels.discard(disallow_channel.id)
        if channels != current.allowed_channels:
            changes["allowed_channels"] = frozenset(channels)
        try:
            updated = changed_settings(current, limits, **changes)
        except SettingsError as error:
            await interaction.response.send_message(f"Not changed: {error}.", ephemeral=True)
            return
        if changes:
            await store.save(updated, by_user_id=who)
        heading = "Saved." if changes or reset else ""
        await interaction.response.send_message(
            f"{heading}\n{render.settings_text(updated, limits)}".strip(), ephemeral=True
        )

    @app_commands.command(name="queue", description="Show the jobs waiting and running here")
    async def queue(self, interaction: discord.Interaction) -> None:
        jobs = await self._jobs.active(interaction.guild_id) if interaction.guild_id else []
        entries = [(job.id, job.user_id, self._job_status(job.id)) for job in jobs]
        await interaction.response.send_message(
            render.queue_listing(entries),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @app_commands.command(name="help", description="How to use Atelier")
    async def help(self, interaction: discord.Interaction) -> None:
        settings = await self._settings.get(interaction.guild_id)
        bounds = effective_limits(settings, self._limits)
        await interaction.response.send_message(
            render.help_text(
                bounds.max_iterations,
                bounds.max_size,
                bounds.default_iterations,
                bounds.default_size,
            ),
            ephemeral=True,
        )
