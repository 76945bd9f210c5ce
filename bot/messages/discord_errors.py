"""Which failures talking to Discord a retry can fix, and which it cannot."""

from __future__ import annotations

import asyncio

import aiohttp
import discord

# Discord's 5xx and rate limits, and the network between us: a later attempt can succeed.
# (aiohttp's ServerDisconnectedError is neither an HTTPException nor an OSError.)
TRANSIENT_ERRORS = (discord.DiscordServerError, aiohttp.ClientError, asyncio.TimeoutError, OSError)


def is_transient(error: BaseException) -> bool:
    if isinstance(error, discord.HTTPException) and not isinstance(
        error, discord.DiscordServerError
    ):
        return error.status == 429 or error.status >= 500
    return isinstance(error, TRANSIENT_ERRORS)


def is_discord_failure(error: BaseException) -> bool:
    """Any answer or non-answer from Discord, as opposed to a bug on our side."""
    return isinstance(error, discord.HTTPException) or is_transient(error)
