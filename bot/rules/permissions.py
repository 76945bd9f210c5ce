"""Who may do what beyond their own jobs: the bot's moderator checks, in one place.

Discord's `default_member_permissions` only decides who *sees* a command, and server admins can
change it; these checks run on the bot's side on every call. They read the few flags they need
from a `discord.Permissions` (or anything with the same attributes).
"""

from __future__ import annotations

from typing import Protocol

from bot.rules.refusals import RequestRefused


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


class Owned(Protocol):
    """A job, as far as who may act on it goes."""

    @property
    def id(self) -> str: ...
    @property
    def user_id(self) -> int: ...


def may_act_on(job: Owned, member_id: int, permissions: Powers) -> bool:
    """A job is its author's; moderators may act on anyone's."""
    return member_id == job.user_id or is_moderator(permissions)


def check_may_act_on(job: Owned, member_id: int, permissions: Powers, doing: str) -> None:
    """Raise the one refusal for someone acting on another member's job; `doing` completes
    "… or a moderator can", e.g. "cancel it"."""
    if not may_act_on(job, member_id, permissions):
        raise RequestRefused(
            f"Only the author of job `{job.id}` (<@{job.user_id}>) or a moderator can {doing}.",
            reason="not_author",
        )
