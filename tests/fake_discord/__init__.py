"""A local fake of Discord's REST API, gateway and CDN that the real discord.py client talks to."""

from .fake import FakeDiscord
from .state import (
    Callback,
    Channel,
    Guild,
    Interaction,
    Member,
    Message,
    Revision,
    StoredFile,
    User,
)

__all__ = [
    "Callback",
    "Channel",
    "FakeDiscord",
    "Guild",
    "Interaction",
    "Member",
    "Message",
    "Revision",
    "StoredFile",
    "User",
]
