"""Keeping the bot to the servers its host allows (`ALLOWED_GUILDS`): it leaves any other server
when added there and at every start, and answers a command from one with a sentence (what
arrives before it has left)."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.rules.servers import NOT_ALLOWED_HERE, server_allowed

log = logging.getLogger(__name__)


class ServerGuard(commands.Cog):
    def __init__(self, bot: commands.Bot, allowed: frozenset[int]) -> None:
        self._bot = bot
        self._allowed = allowed

    def allows(self, guild_id: int | None) -> bool:
        return server_allowed(self._allowed, guild_id)

    async def refuse(self, interaction: discord.Interaction) -> bool:
        """True when the interaction may go on; otherwise the member hears why, privately."""
        if self.allows(interaction.guild_id):
            return True
        await interaction.response.send_message(NOT_ALLOWED_HERE, ephemeral=True)
        return False

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        for guild in list(self._bot.guilds):
            await self._leave_unless_allowed(guild)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self._leave_unless_allowed(guild)

    async def _leave_unless_allowed(self, guild: discord.Guild) -> None:
        if self.allows(guild.id):
            return
        log.warning("leaving server %s (%s): it is not in ALLOWED_GUILDS", guild.id, guild.name)
        try:
            await guild.leave()
        except discord.HTTPException as exc:  # tried again at the next start
            log.warning("could not leave server %s: %s", guild.id, exc)
