"""What the bot may do where: its permissions in a channel (roles, then the channel's overwrites,
as Discord computes them), and Discord's rules for DMs, archived threads and locked threads.

- A channel the bot cannot view answers 403 50001 Missing Access to everything, and so does
  every channel of a server the bot is not (or no longer) in.
- Without Read Message History, a channel's history is empty and single messages are refused.
- An archived thread takes no edits, reactions or member changes (400 50083) until someone
  unarchives it; sending a message unarchives it, unless it is locked.
- A locked thread takes messages, and unarchiving, only from Manage Threads holders.
- A member who closed their DMs refuses the bot's messages (403 50007).
"""

from __future__ import annotations

from typing import Any

from . import errors
from . import permissions as perm
from .state import DM, Channel, FakeState, Member, User


class Access:
    def __init__(self, state: FakeState, bot: User) -> None:
        self.state = state
        self.bot = bot

    def of(self, member: Member, channel: Channel) -> int:
        """`member`'s permissions in `channel`, a channel or thread of the member's guild."""
        guild = self.state.guilds[member.guild_id]
        parent = self.state.channels.get(channel.parent_id or "")
        return guild.permissions_in(member, channel, parent)

    def bot_permissions(self, channel: Channel) -> int:
        guild = self.state.guild_of(channel)
        if guild is None:
            return perm.EVERYONE
        if self.bot.id not in guild.members:
            return 0
        return self.of(guild.members[self.bot.id], channel)

    def has(self, channel: Channel, needed: int) -> bool:
        return self.bot_permissions(channel) & needed == needed

    def require(self, channel: Channel, needed: int) -> None:
        if not self.has(channel, needed):
            raise errors.missing_permissions()

    def view(self, channel: Channel) -> None:
        if channel.type != DM and not self.has(channel, perm.VIEW_CHANNEL):
            raise errors.missing_access()

    def reads_history(self, channel: Channel) -> bool:
        return channel.type == DM or self.has(channel, perm.READ_MESSAGE_HISTORY)

    def send(self, channel: Channel, body: dict[str, Any], *, with_files: bool) -> None:
        """Raise what Discord answers a bot's new message here; unarchive what it reopens."""
        if channel.type == DM:
            other = next(u for u in channel.recipients if u.id != self.bot.id)
            if not other.accepts_dms:
                raise errors.cannot_message_user()
            return
        needed = perm.SEND_MESSAGES_IN_THREADS if channel.is_thread else perm.SEND_MESSAGES
        self.require(channel, needed | (perm.ATTACH_FILES if with_files else 0))
        if body.get("message_reference") and not self.reads_history(channel):
            raise errors.reply_without_history()
        if channel.is_thread and channel.locked and not self.has(channel, perm.MANAGE_THREADS):
            raise errors.locked_thread()

    def change_messages(self, channel: Channel) -> None:
        """Edits and reactions: an archived thread takes none."""
        if channel.is_thread and channel.archived:
            raise errors.archived_thread()

    def edit_channel(self, channel: Channel, body: dict[str, Any]) -> None:
        if not channel.is_thread:
            self.require(channel, perm.MANAGE_CHANNELS)
            return
        moderator = self.has(channel, perm.MANAGE_THREADS)
        if "locked" in body and bool(body["locked"]) != channel.locked and not moderator:
            raise errors.missing_permissions()
        unarchives = channel.archived and body.get("archived") is False
        if channel.archived and not unarchives:
            raise errors.archived_thread()
        if unarchives and channel.locked and not moderator:
            raise errors.locked_thread()
        owner = channel.owner_id == self.bot.id
        changes = {"name", "archived", "auto_archive_duration"} & set(body)
        if changes and not (moderator or owner):
            raise errors.missing_permissions()
