"""Images a member picked from the channel with the context menus, until they use them.

Right-clicking "use as content" on one message and "use as style" on another are two separate
interactions; the first pick waits here (per member, per server) for the second. Kept in memory
only and forgotten after a while: a pick is a moment's intent, not something to restore.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import discord

Role = Literal["content", "style"]
PICK_SECONDS = 15 * 60


@dataclass(frozen=True)
class Pick:
    attachment: discord.Attachment
    at: float


class PickedImages:
    def __init__(
        self, keep_seconds: float = PICK_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._keep = keep_seconds
        self._clock = clock
        self._picks: dict[tuple[int | None, int, Role], Pick] = {}

    def remember(
        self, guild_id: int | None, user_id: int, role: Role, attachment: discord.Attachment
    ) -> None:
        self._forget_old()
        self._picks[(guild_id, user_id, role)] = Pick(attachment, self._clock())

    def peek(self, guild_id: int | None, user_id: int, role: Role) -> discord.Attachment | None:
        self._forget_old()
        pick = self._picks.get((guild_id, user_id, role))
        return pick.attachment if pick else None

    def take(self, guild_id: int | None, user_id: int, role: Role) -> discord.Attachment | None:
        """The member's pick for `role`, which is then forgotten (it has been used)."""
        attachment = self.peek(guild_id, user_id, role)
        self._picks.pop((guild_id, user_id, role), None)
        return attachment

    def _forget_old(self) -> None:
        oldest = self._clock() - self._keep
        for key in [k for k, pick in self._picks.items() if pick.at < oldest]:
            del self._picks[key]


def image_of(message: discord.Message) -> discord.Attachment | None:
    """The first image attached to a message (what a member means by "this picture")."""
    for attachment in message.attachments:
        if (attachment.content_type or "").startswith("image/") or attachment.width:
            return attachment
    return None
