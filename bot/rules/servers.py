"""Which Discord servers the bot works in (`ALLOWED_GUILDS`)."""

from __future__ import annotations

NOT_ALLOWED_HERE = (
    "Atelier is not available on this server: its host keeps it to their own communities."
)


def server_allowed(allowed: frozenset[int], guild_id: int | None) -> bool:
    """Empty `allowed`: every server. Direct messages are no server and stay open: only members
    of a server the bot is in can find it to write to it."""
    return not allowed or guild_id is None or guild_id in allowed
