"""Who may do what beyond their own jobs: the bot's moderator checks, in one place.

Discord's `default_member_permissions` only decides who *sees* a command, and server admins can
change it; these checks run on the bot's side on every call.
"""

from __future__ import annotations

import discord


def can_manage_settings(permissions: discord.Permissions) -> bool:
    """`/atelier-admin settings` changes: Manage Server (or Administrator)."""
    return permissions.administrator or permissions.manage_guild


def is_moderator(permissions: discord.Permissions) -> bool:
    """Cancelling someone else's job: Manage Server or Manage Messages (or Administrator)."""
    return can_manage_settings(permissions) or permissions.manage_messages
