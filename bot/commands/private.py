"""Answering a member privately from any command or button, whatever it answered already."""

from __future__ import annotations

import logging

import discord

log = logging.getLogger(__name__)

INTERNAL_ERROR = "Something went wrong on my side; the error was logged. Please try again."


async def tell_privately(interaction: discord.Interaction, text: str) -> None:
    """`text` to the member only; a failure to say it is logged, never raised."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(
                text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
        else:
            await interaction.response.send_message(
                text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
    except discord.HTTPException:
        log.warning("could not tell the member either")
