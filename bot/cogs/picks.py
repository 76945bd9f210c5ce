"""Right-click a message → Apps → "Stylize: use as content" / "Stylize: use as style".

The first pick is remembered for the member; the second starts the job with both. A member who
picks only one can finish with `/stylize` (the other picture or a `preset`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.intake import Inputs
from bot.limits import RequestRefused
from bot.picked_images import PICK_SECONDS, Role, image_of
from bot.request import RequestedOptions

if TYPE_CHECKING:
    from bot.client import AtelierBot

USE_AS_CONTENT = "Stylize: use as content"
USE_AS_STYLE = "Stylize: use as style"
NO_IMAGE = "That message has no picture attached; right-click a message with an image."
OTHER: dict[Role, Role] = {"content": "style", "style": "content"}


def _waiting_text(role: Role) -> str:
    other = OTHER[role]
    menu = USE_AS_STYLE if other == "style" else USE_AS_CONTENT
    extra = " or choose a `preset`" if other == "style" else ""
    return (
        f"Got it: that picture is your **{role}** for the next {PICK_SECONDS // 60} minutes. "
        f"Now right-click the {other} picture → Apps → **{menu}**, or run `/stylize` "
        f"with a `{other}`{extra}."
    )


class Picks:
    """The two context-menu commands; registered on the bot's command tree."""

    def __init__(self, bot: AtelierBot) -> None:
        self.bot = bot
        self.commands = [
            app_commands.ContextMenu(name=USE_AS_CONTENT, callback=self.use_as_content),
            app_commands.ContextMenu(name=USE_AS_STYLE, callback=self.use_as_style),
        ]

    async def use_as_content(
        self, interaction: discord.Interaction, message: discord.Message
    ) -> None:
        await self._pick(interaction, message, "content")

    async def use_as_style(
        self, interaction: discord.Interaction, message: discord.Message
    ) -> None:
        await self._pick(interaction, message, "style")

    async def _pick(
        self, interaction: discord.Interaction, message: discord.Message, role: Role
    ) -> None:
        attachment = image_of(message)
        try:
            if attachment is None:
                raise RequestRefused(NO_IMAGE)
            self.bot.intake.check_source(role, attachment)
        except RequestRefused as refusal:
            await interaction.response.send_message(str(refusal), ephemeral=True)
            return
        picks, key = self.bot.picks, (interaction.guild_id, interaction.user.id)
        other = picks.peek(*key, OTHER[role])
        if other is None:
            picks.remember(*key, role, attachment)
            await interaction.response.send_message(_waiting_text(role), ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        chosen = {role: attachment, OTHER[role]: other}

        async def gather() -> Inputs:
            inputs = await self.bot.intake.download_inputs(chosen["content"], chosen["style"])
            return replace(inputs, style_names=(chosen["style"].filename,))

        if await self.bot.starter.start(interaction, gather, RequestedOptions()) is not None:
            picks.take(*key, OTHER[role])
