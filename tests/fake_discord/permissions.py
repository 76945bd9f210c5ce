"""Discord permission bits, and a member's permissions in a channel computed the way Discord does.

Values from Discord's API docs. `INVITE` is the integer of the README's invite link: the bot role
holds exactly that, and @everyone holds no more, so the bot can do nothing the invite does not
grant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
SEND_TTS_MESSAGES = 1 << 12
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38

ALL = (1 << 51) - 1

# https://discord.com/oauth2/authorize?...&permissions=309237763072 (README): View Channels, Send
# Messages, Embed Links, Attach Files, Read Message History, Create Public Threads, Send
# Messages in Threads.
INVITE = 309237763072

THREADS = CREATE_PUBLIC_THREADS | CREATE_PRIVATE_THREADS | SEND_MESSAGES_IN_THREADS

EVERYONE = INVITE
MODERATOR = EVERYONE | MANAGE_GUILD | MANAGE_MESSAGES | MANAGE_THREADS
BOT = INVITE

# Without Send Messages in a text channel, Discord also denies what only sending uses.
SENDING = SEND_TTS_MESSAGES | MENTION_EVERYONE | EMBED_LINKS | ATTACH_FILES

ROLE, MEMBER = 0, 1


@dataclass
class Overwrite:
    """A channel's permission overwrite for one role (type 0) or one member (type 1)."""

    id: str
    type: int
    allow: int = 0
    deny: int = 0


def apply_overwrites(
    base: int,
    overwrites: Iterable[Overwrite],
    *,
    everyone_id: str,
    role_ids: Iterable[str],
    member_id: str,
) -> int:
    """Discord's order: @everyone's overwrite, then all the member's roles' overwrites together
    (denies, then allows), then the member's own overwrite."""
    if base & ADMINISTRATOR:
        return ALL
    overwrites = list(overwrites)
    roles = set(role_ids)
    for overwrite in overwrites:
        if overwrite.type == ROLE and overwrite.id == everyone_id:
            base = (base & ~overwrite.deny) | overwrite.allow
    allow = deny = 0
    for overwrite in overwrites:
        if overwrite.type == ROLE and overwrite.id in roles:
            allow |= overwrite.allow
            deny |= overwrite.deny
    base = (base & ~deny) | allow
    for overwrite in overwrites:
        if overwrite.type == MEMBER and overwrite.id == member_id:
            base = (base & ~overwrite.deny) | overwrite.allow
    return base


def implicit(value: int, *, thread: bool) -> int:
    """What Discord takes away implicitly: nothing without View Channel, and in a text channel
    nothing that needs sending without Send Messages."""
    if value & ADMINISTRATOR:
        return ALL
    if not value & VIEW_CHANNEL:
        return 0
    if not thread and not value & SEND_MESSAGES:
        value &= ~SENDING
    return value
