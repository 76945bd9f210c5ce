"""The fake Discord refuses what Discord refuses a bot invited with the README's link: only the
invite's permissions, channel overwrites in Discord's order, hidden channels, no history without
Read Message History, archived and locked threads, closed DMs, the nonce window and the
interaction token's 15 minutes. Driven through the real discord.py client."""

from __future__ import annotations

import discord
import pytest
from discord import app_commands
from fake_discord import FakeDiscord
from fake_discord.permissions import (
    ATTACH_FILES,
    INVITE,
    MANAGE_THREADS,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
)

FIFTEEN_MINUTES = 15 * 60


class TokenBot(discord.Client):
    """/later answers at once and keeps the interaction for followups later on."""

    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.default())
        self.tree = app_commands.CommandTree(self)
        self.tree.add_command(
            app_commands.Command(name="later", description="Answer later", callback=self.later)
        )
        self.kept: discord.Interaction | None = None

    async def setup_hook(self) -> None:
        await self.tree.sync()

    async def later(self, interaction: discord.Interaction) -> None:
        self.kept = interaction
        await interaction.response.send_message("working on it")


def client() -> discord.Client:
    return discord.Client(intents=discord.Intents.default())


async def test_the_bot_holds_exactly_what_the_invite_link_grants(fake_discord: FakeDiscord):
    fake = fake_discord
    async with fake.running(TokenBot()) as bot:
        run = await fake.slash_command("later")
        await run.wait_for_reply()
        assert int(bot.kept.app_permissions.value) == INVITE == 309237763072
        guild = bot.get_guild(int(fake.guild.id))
        granted = guild.get_channel(int(fake.channel.id)).permissions_for(guild.me)
        assert granted.value == INVITE
        assert not (granted.manage_messages or granted.manage_threads or granted.add_reactions)

        channel = guild.get_channel(int(fake.channel.id))
        theirs = await fake.post("a member's message")
        with fake.expect_refusal(code=50013):
            with pytest.raises(discord.Forbidden):
                await channel.get_partial_message(int(theirs.id)).delete()
            with pytest.raises(discord.Forbidden):
                await channel.create_thread(name="private", type=discord.ChannelType.private_thread)
            with pytest.raises(discord.Forbidden):
                await channel.get_partial_message(int(theirs.id)).add_reaction("👍")


async def test_channel_overwrites_apply_in_discords_order(fake_discord: FakeDiscord):
    fake = fake_discord
    async with fake.running(client()) as bot:
        guild = bot.get_guild(int(fake.guild.id))
        channel = guild.get_channel(int(fake.channel.id))
        # @everyone's overwrite denies sending, the bot's role allows it again: roles win.
        await fake.set_permissions(fake.channel, fake.guild, deny=SEND_MESSAGES)
        await fake.set_permissions(fake.channel, fake.bot_role(), allow=SEND_MESSAGES)
        assert (await channel.send("allowed by my role")).content == "allowed by my role"
        # The bot's own member overwrite comes last and wins over its roles.
        await fake.set_permissions(fake.channel, fake.bot, deny=SEND_MESSAGES)
        with pytest.raises(discord.Forbidden) as refused:
            await channel.send("denied to me alone")
        assert refused.value.code == 50013
        # discord.py computes the same permissions from the overwrites it was sent.
        await fake.wait_for(lambda: len(channel.overwrites) == 3)
        mine = channel.permissions_for(guild.me)
        assert not mine.send_messages and not mine.attach_files, "no sending, no attaching"
        assert mine.value == INVITE & ~SEND_MESSAGES & ~ATTACH_FILES & ~(1 << 14)


async def test_a_channel_the_bot_cannot_view_answers_missing_access(fake_discord: FakeDiscord):
    fake = fake_discord
    async with fake.running(client()) as bot:
        await fake.set_permissions(fake.channel, fake.bot_role(), deny=VIEW_CHANNEL)
        channel = bot.get_partial_messageable(int(fake.channel.id))
        with pytest.raises(discord.Forbidden) as refused:
            await channel.send("hello?")
        assert refused.value.code == 50001
        with pytest.raises(discord.Forbidden):
            await bot.fetch_channel(int(fake.channel.id))


async def test_without_read_message_history_the_history_is_empty(fake_discord: FakeDiscord):
    fake = fake_discord
    async with fake.running(client()) as bot:
        channel = bot.get_partial_messageable(int(fake.channel.id))
        mine = await channel.send("the bot's own post")
        await fake.set_permissions(fake.channel, fake.bot_role(), deny=READ_MESSAGE_HISTORY)

        assert [m async for m in channel.history()] == []
        with pytest.raises(discord.Forbidden):
            await channel.fetch_message(mine.id)
        with pytest.raises(discord.HTTPException) as reply:
            await channel.send("replying", reference=mine)
        assert reply.value.code == 160002
        assert (await channel.send("a plain post still goes")).content


async def test_archived_and_locked_threads_as_discord_treats_them(fake_discord: FakeDiscord):
    fake = fake_discord
    async with fake.running(client()) as bot:
        parent = bot.get_channel(int(fake.channel.id))
        anchor = await parent.send("a thread starts here")
        thread = await anchor.create_thread(name="room")
        inside = await thread.send("first")
        room = fake.threads[0]

        await fake.moderate_thread(room, archived=True)
        with pytest.raises(discord.HTTPException) as archived:
            await inside.edit(content="edited while archived")
        assert archived.value.code == 50083
        await thread.send("a new message reopens it")
        assert not room.archived

        await fake.moderate_thread(room, archived=True, locked=True)
        with pytest.raises(discord.Forbidden) as locked:
            await thread.send("locked out")
        assert locked.value.code == 160005
        with pytest.raises(discord.Forbidden):
            await thread.edit(archived=False)
        assert room.archived and room.locked

        # Manage Threads (here from a moderator's overwrite) reopens and writes in a locked one.
        await fake.set_permissions(fake.channel, fake.bot_role(), allow=MANAGE_THREADS)
        await thread.edit(archived=False)
        assert (await thread.send("moderators may")).content == "moderators may"


async def test_a_member_with_closed_dms_refuses_the_bots_messages(fake_discord: FakeDiscord):
    fake = fake_discord
    async with fake.running(client()) as bot:
        await fake.close_dms(fake.member)
        user = await bot.fetch_user(int(fake.member.id))
        with pytest.raises(discord.Forbidden) as closed:
            await user.send("your picture is ready")
        assert (closed.value.code, closed.value.text) == (
            50007,
            "Cannot send messages to this user",
        )
        assert fake.messages_in(fake.dm_channel(fake.member)) == []


async def test_a_repeated_nonce_is_one_message_only_inside_the_window(fake_discord: FakeDiscord):
    fake = fake_discord
    async with fake.running(client()) as bot:
        channel = bot.get_partial_messageable(int(fake.channel.id))
        first = await channel.send("result", nonce="job-1")
        assert (await channel.send("result", nonce="job-1")).id == first.id
        fake.advance(301)
        assert (await channel.send("result", nonce="job-1")).id != first.id

        fake.nonce_window = 0  # a story where only the bot's own read-back keeps a post single
        await channel.send("again", nonce="job-2")
        await channel.send("again", nonce="job-2")
        assert [m.content for m in fake.messages_in(fake.channel)].count("again") == 2


async def test_an_interaction_token_works_for_fifteen_minutes(fake_discord: FakeDiscord):
    fake = fake_discord
    async with fake.running(TokenBot()) as bot:
        run = await fake.slash_command("later")
        await run.wait_for_reply()
        fake.advance(FIFTEEN_MINUTES - 60)
        await bot.kept.followup.send("still in time")
        await bot.kept.edit_original_response(content="edited in time")

        fake.advance(120)
        with pytest.raises(discord.HTTPException) as late:
            await bot.kept.followup.send("too late")
        assert (late.value.status, late.value.code) == (401, 50027)
        with pytest.raises(discord.NotFound) as gone:
            await bot.kept.edit_original_response(content="too late")
        assert gone.value.code == 10015
        assert run.original.content == "edited in time"
