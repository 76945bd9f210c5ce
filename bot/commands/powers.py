"""A member's powers for the moderator checks: their server-wide permissions, never one
channel's overwrites, so Manage Messages granted in one channel does not open every member's
private jobs from there. In DMs nobody is a moderator: a job is its author's alone."""

from __future__ import annotations

import discord


def server_powers(interaction: discord.Interaction) -> discord.Permissions:
    user = interaction.user
    if isinstance(user, discord.Member):
        return user.guild_permissions
    return discord.Permissions.none()
