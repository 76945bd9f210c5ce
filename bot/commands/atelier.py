"""`/atelier help | queue | history | show`: what every member may ask the bot.

Moderators' commands live under a second top-level command, `/atelier-admin` (commands/admin.py):
Discord hides commands by permission only per top-level command.
"""

from __future__ import annotations

from collections.abc import Callable

import discord
from discord import app_commands
from discord.ext import commands

from bot.commands.powers import server_powers
from bot.config import Limits
from bot.messages import replies
from bot.messages.png_metadata import text_of
from bot.rules.animation import animation_bounds
from bot.rules.limits import effective_limits
from bot.rules.permissions import check_may_act_on
from bot.rules.refusals import RequestRefused
from bot.store.guild_settings import GuildSettingsStore
from bot.store.job_files import JobFiles
from bot.store.job_rows import Job
from bot.store.jobs import JobStore
from bot.store.style_library import StyleLibrary

HISTORY_LENGTH = 10


class AtelierCog(
    commands.GroupCog, group_name="atelier", group_description="Atelier's help, queue and history"
):
    def __init__(
        self,
        settings: GuildSettingsStore,
        jobs: JobStore,
        files: JobFiles,
        styles: StyleLibrary,
        limits: Limits,
        job_status: Callable[[str], str],
        position: Callable[[str], int | None],
    ) -> None:
        """`job_status(job_id)` is the line /atelier queue shows for an active job,
        `position(job_id)` its place in the engine's queue (0: running, None: not there yet)."""
        self._settings = settings
        self._jobs = jobs
        self._files = files
        self._styles = styles
        self._limits = limits
        self._job_status = job_status
        self._position = position
        super().__init__()

    @app_commands.command(name="help", description="How to use Atelier, with this server's limits")
    async def help(self, interaction: discord.Interaction) -> None:
        settings = await self._settings.get(interaction.guild_id)
        bounds = effective_limits(settings, self._limits)
        styles = await self._styles.all(interaction.guild_id) if interaction.guild_id else []
        await interaction.response.send_message(
            replies.help_text(
                bounds, animation_bounds(settings, self._limits), [s.name for s in styles]
            ),
            ephemeral=True,
        )

    @app_commands.command(name="queue", description="Show the jobs waiting and running here")
    async def queue(self, interaction: discord.Interaction) -> None:
        jobs = await self._jobs.active(interaction.guild_id) if interaction.guild_id else []
        jobs.sort(key=self._run_order)
        viewer = interaction.user.id
        entries = [
            (job.id, None if job.private and job.user_id != viewer else job.user_id,
             self._job_status(job.id))
            for job in jobs
        ]  # fmt: skip
        await interaction.response.send_message(
            replies.queue_listing(entries, interaction.user.id),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    def _run_order(self, job: Job) -> tuple[bool, int]:
        """Running jobs, then the engine's queue in the order it will run (members take
        turns), then jobs not handed to the engine yet, oldest first (the sort is stable)."""
        position = self._position(job.id)
        return position is None, position or 0

    @app_commands.command(name="history", description="Your latest jobs, with their results")
    async def history(self, interaction: discord.Interaction) -> None:
        jobs = await self._jobs.history(interaction.guild_id, interaction.user.id, HISTORY_LENGTH)
        dm = await self._dm_channel_id(interaction, jobs)
        lines = [replies.history_line(job, self._link(job, dm)) for job in jobs]
        await interaction.response.send_message(replies.history_listing(lines), ephemeral=True)

    @app_commands.command(name="show", description="A job's settings and its result")
    @app_commands.describe(job="The job id, e.g. 1a2b3c4d (see /atelier history)")
    async def show(
        self, interaction: discord.Interaction, job: app_commands.Range[str, 1, 32]
    ) -> None:
        found = await self._jobs.get(job.strip().strip("`").lower())
        if found is None or found.guild_id != interaction.guild_id:
            await interaction.response.send_message(
                f"There is no job `{job}` on this server.", ephemeral=True
            )
            return
        try:
            check_may_act_on(found, interaction.user.id, server_powers(interaction), "see it")
        except RequestRefused as refusal:
            await interaction.response.send_message(
                str(refusal), ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
            return
        png_text: dict[str, str] = {}
        png = found.result_path is not None and found.result_path.suffix == ".png"
        if png and found.result_path and not await self._jobs.files_deleted(found.id):
            png_text = text_of(await self._files.read(found.result_path))
        dm = await self._dm_channel_id(interaction, [found])
        await interaction.response.send_message(
            replies.show_text(found, png_text, self._link(found, dm)), ephemeral=True
        )

    @show.autocomplete("job")
    async def job_choices(
        self, interaction: discord.Interaction, typed: str
    ) -> list[app_commands.Choice[str]]:
        jobs = await self._jobs.history(interaction.guild_id, interaction.user.id, 25)
        return [
            app_commands.Choice(name=f"{j.id} · {j.state} · seed {j.request.seed}", value=j.id)
            for j in jobs
            if j.id.startswith(typed.strip().lower())
        ]

    @staticmethod
    async def _dm_channel_id(interaction: discord.Interaction, jobs: list[Job]) -> int | None:
        """The member's DM channel with the bot, where their `private` jobs went."""
        if not jobs:
            return None
        try:
            return (await interaction.user.create_dm()).id
        except discord.HTTPException:
            return None

    @staticmethod
    def _link(job: Job, dm_channel_id: int | None) -> str | None:
        if job.result_message_id is None:
            return None
        channel_id = job.result_channel_id
        guild = None if channel_id == dm_channel_id else job.guild_id
        return replies.job_link(guild, channel_id, job.result_message_id)
