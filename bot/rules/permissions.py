"""Who may do what beyond their own jobs: the bot's moderator checks, in one place.

Discord's `default_member_permissions` only decides who *sees* a command, and server admins can
change it; these checks run on the bot's side on every call. They read the few flags they need
from a `discord.Permissions` (or anything with the same attributes).
"""

from __future__ import annotations

from typing import Protocol


class Powers(Protocol):
    @property
    def administrator(self) -> bool: ...
    @property
    def manage_guild(self) -> bool: ...
    @property
    def manage_messages(self) -> bool: ...


def can_manage_settings(permissions: Powers) -> bool:
    """`/atelier-admin settings` changes: Manage Server (or Administrator)."""
    return permissions.administrator or permissions.manage_guild


def is_moderator(permissions: Powers) -> bool:
    """Acting on someone else's job: Manage Server or Manage Messages (or Administrator)."""
    return can_manage_settings(permissions) or permissions.manage_messages
