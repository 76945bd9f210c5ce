"""The bot's own messages of a job on Discord: finding one an earlier run may have sent, and the
edits that are nice to have (a failure is logged, never raised)."""

from __future__ import annotations

import logging

import discord

from bot.messages import texts
from bot.messages.discord_errors import is_discord_failure
from bot.store.job_rows import Job

log = logging.getLogger(__name__)

HISTORY_SCAN = 100  # messages read back to see whether a message was posted before a crash


class HistoryUnreadable(Exception):
    """The bot may not read the channel's history, where Discord answers with an empty one: a
    message sent without hearing back can then be neither found nor ruled out."""


def may_read_history(client: discord.Client, channel_id: int) -> bool:
    """False where the bot's cache says it lacks Read Message History (DMs always allow it)."""
    channel = client.get_channel(channel_id)
    guild = getattr(channel, "guild", None)
    if guild is None or guild.me is None or not hasattr(channel, "permissions_for"):
        return True  # a DM, or a place the cache does not know: the intake checked it
    return channel.permissions_for(guild.me).read_message_history


async def find_own_message(
    client: discord.Client,
    channel: discord.abc.Messageable,
    marker: str,
    *,
    skip: tuple[int | None, ...] = (),
) -> discord.Message | None:
    """The bot's recent message in `channel` whose text contains `marker`; raises
    HistoryUnreadable rather than trust a history the bot may not read."""
    channel_id = getattr(channel, "id", None)
    if channel_id is not None and not may_read_history(client, channel_id):
        raise HistoryUnreadable(f"I may not read the history of channel {channel_id}")
    me = client.user
    async for message in channel.history(limit=HISTORY_SCAN):
        ours = me is not None and message.author.id == me.id
        if ours and message.id not in skip and marker in message.content:
            return message
    return None


async def edit_quietly(message: discord.PartialMessage, content: str) -> None:
    """An edit that is nice to have: a failure is logged, never raised."""
    try:
        await message.edit(content=content)
    except Exception as exc:
        if not is_discord_failure(exc):
            raise
        log.warning("could not edit message %s: %s", message.id, exc)


async def end_opening_post(client: discord.Client, job: Job, line: str) -> None:
    """The job's public opening post (where there is one) says how the job ended."""
    if job.request_message_id is None:
        return
    channel = client.get_partial_messageable(job.channel_id)
    await edit_quietly(
        channel.get_partial_message(job.request_message_id),
        texts.opening_post_ended(job.user_id, job.id, line),
    )
