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


async def find_own_message(
    client: discord.Client,
    channel: discord.abc.Messageable,
    marker: str,
    *,
    skip: tuple[int | None, ...] = (),
) -> discord.Message | None:
    """The bot's recent message in `channel` whose text contains `marker`."""
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
