"""A local fake of Discord's REST API, gateway and CDN that the real discord.py client talks to,
as strict as Discord with a bot invited by the README's link.

fake.py is the tests' handle (world, members' actions, what the bot did); server.py the REST
routes; gateway.py the websocket; state.py what is recorded; access.py and permissions.py who may
do what where; messages.py, validation.py and mentions.py the message rules; openapi.py the check
of every request against Discord's API description (spec/, MIT); ratelimits.py the per-route
limits; faults.py injected bad days; refusals.py and plugin.py (a pytest plugin) which refusals a
story meant. It imports discord.py, aiohttp, jsonschema and Pillow, never the bot or the engine.
"""

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
