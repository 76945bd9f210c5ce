"""The fake Discord against the real discord.py client: commands, replies, files, threads, buttons,
reconnects and refused tokens behave the way the bot will see them on Discord."""

from __future__ import annotations

import asyncio
import io

import aiohttp
import discord
import pytest
from discord import app_commands
from fake_discord import FakeDiscord
from fake_discord.permissions import ADD_REACTIONS
from PIL import Image


def png(width: int = 8, height: int = 6) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


class PressMe(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Press me", custom_id="press")
    async def press(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await interaction.response.edit_message(content=f"pressed by {interaction.user}", view=None)


class EchoBot(discord.Client):
    """A minimal bot: /echo answers ephemerally, then posts the image back with a thread."""

    def __init__(self, guild_id: str) -> None:
        super().__init__(intents=discord.Intents.default())
        self.guild = discord.Object(int(guild_id))
        self.tree = app_commands.CommandTree(self)
        self.tree.add_command(
            app_commands.Command(name="echo", description="Echo an image", callback=self.echo),
            guild=self.guild,
        )
        self.tree.add_command(self.settings_group(), guild=self.guild)
        self.tree.add_command(
            app_commands.Command(name="slow", description="Think first", callback=self.slow)
        )
        self.resumes = 0
        self.last_interaction: discord.Interaction | None = None

    async def setup_hook(self) -> None:
        await self.tree.sync(guild=self.guild)
        await self.tree.sync()

    async def slow(self, interaction: discord.Interaction) -> None:
        self.last_interaction = interaction
        await interaction.response.defer(thinking=True)
        where = "dm" if interaction.guild is None else "guild"
        await interaction.followup.send(f"thought about it in a {where}")
        await interaction.followup.send("and one more thing", ephemeral=True)

    async def on_resumed(self) -> None:
        self.resumes += 1

    async def echo(
        self, interaction: discord.Interaction, image: discord.Attachment, scale: float = 1.0
    ) -> None:
        await interaction.response.send_message(
            f"got {image.filename} {image.width}x{image.height}", ephemeral=True
        )
        data = await image.read()
        posted = await interaction.followup.send(
            f"{interaction.user.mention} here it is at {scale}x",
            file=discord.File(io.BytesIO(data), "echo.png"),
            wait=True,
        )
        # A followup's WebhookMessage has no guild in discord.py: go through the channel.
        anchor = interaction.channel.get_partial_message(posted.id)
        thread = await anchor.create_thread(name=f"echo {image.filename}")
        await thread.send("press when done", view=PressMe())

    def settings_group(self) -> app_commands.Group:
        group = app_commands.Group(name="atelier", description="Atelier")
        settings = app_commands.Group(name="settings", description="Settings", parent=group)

        @settings.command(name="set", description="Change a limit")
        async def set_limit(
            interaction: discord.Interaction, max_iterations: int, public: bool
        ) -> None:
            allowed = interaction.permissions.manage_guild
            await interaction.response.defer(ephemeral=True, thinking=True)
            await interaction.edit_original_response(
                content=f"max_iterations={max_iterations} public={public} allowed={allowed}"
            )

        return group


async def test_member_runs_a_command_and_clicks_a_button_in_the_thread(fake_discord: FakeDiscord):
    fake = fake_discord
    bot = EchoBot(fake.guild.id)
    async with fake.running(bot):
        assert fake.command("echo", fake.guild)["options"][0]["type"] == 11

        run = await fake.slash_command(
            "echo", {"scale": 2.5}, user=fake.member, attachments={"image": (png(8, 6), "cat.png")}
        )

        reply = await run.wait_for_reply()
        assert reply.ephemeral and reply.content == "got cat.png 8x6"
        assert run.ack_seconds < 3
        posted = await fake.wait_for(
            lambda: [m for m in fake.messages_in(fake.channel) if m.attachments]
        )
        assert fake.member.mention in posted[0].content and "2.5x" in posted[0].content
        echoed = posted[0].attachments[0]
        assert echoed.filename == "echo.png" and (echoed.width, echoed.height) == (8, 6)
        assert Image.open(io.BytesIO(echoed.data)).size == (8, 6)

        thread = await fake.wait_for(lambda: fake.thread_of(posted[0]))
        assert thread.name == "echo cat.png" and thread.parent_id == fake.channel.id
        prompt = (await fake.wait_for(lambda: fake.messages_in(thread)))[0]
        assert bot.get_channel(int(thread.id)) is not None, "THREAD_CREATE reached the client"

        click = await fake.click(prompt, "press", user=fake.member)
        await click.wait_for_ack()
        assert click.response_type == 7
        assert prompt.content == "pressed by member" and prompt.components == []
        assert len(prompt.edits) == 1

    assert fake.unknown_requests == [] and fake.rejected_requests == []


async def test_subcommand_group_carries_member_permissions(fake_discord: FakeDiscord):
    fake = fake_discord
    async with fake.running(EchoBot(fake.guild.id)):
        by_moderator = await fake.slash_command(
            "atelier settings set", {"max_iterations": 50, "public": True}, user=fake.moderator
        )
        by_member = await fake.slash_command(
            "atelier settings set", {"max_iterations": 50, "public": False}, user=fake.member
        )

        assert (await by_moderator.wait_for_reply()).content.endswith("allowed=True")
        answer = await by_member.wait_for_reply()
        assert answer.content == "max_iterations=50 public=False allowed=False"
        assert by_member.response_type == 5 and answer.ephemeral and not answer.loading


async def test_invocations_discord_would_not_allow_are_refused_in_the_test(
    fake_discord: FakeDiscord,
):
    fake = fake_discord
    async with fake.running(EchoBot(fake.guild.id)):
        with pytest.raises(ValueError, match="required"):
            await fake.slash_command("echo", {"scale": 1.0})
        with pytest.raises(ValueError, match="takes"):
            await fake.slash_command(
                "atelier settings set", {"max_iterations": "50", "public": True}
            )
        with pytest.raises(LookupError, match="not registered"):
            await fake.slash_command("paint")


async def test_gateway_drop_is_resumed_and_missed_interactions_replayed(fake_discord: FakeDiscord):
    fake = fake_discord
    bot = EchoBot(fake.guild.id)
    async with fake.running(bot):
        await fake.disconnect_gateway()
        run = await fake.slash_command("echo", attachments={"image": (png(), "late.png")})

        await fake.wait_until_connected()
        assert (await run.wait_for_reply()).content == "got late.png 8x6"
        first, second = fake.connections[0], fake.connections[-1]
        assert (first.path, first.op) == ("/gateway", "identify")
        assert (second.path, second.op) == ("/gateway/resume", "resume")
        await fake.wait_for(lambda: bot.resumes)
        await fake.wait_for(lambda: fake.threads and fake.messages_in(fake.threads[0]))


@pytest.mark.discord_refusals(status=401)
async def test_a_rejected_token_fails_login(fake_discord: FakeDiscord):
    client = discord.Client(intents=discord.Intents.default())
    with pytest.raises(discord.LoginFailure):
        async with fake_discord.running(client, token="not-the-token"):
            pass
    assert fake_discord.requests[0].status == 401


@pytest.mark.discord_refusals(code=50006)
@pytest.mark.discord_refusals(path="/voice/regions$")
async def test_refusals_the_bot_must_handle(fake_discord: FakeDiscord):
    fake = fake_discord
    fake.set_upload_limit(100)
    async with fake.running(EchoBot(fake.guild.id)) as bot:
        channel = bot.get_channel(int(fake.channel.id))
        with pytest.raises(discord.HTTPException) as too_big:
            await channel.send(file=discord.File(io.BytesIO(png(64, 64)), "big.png"))
        assert (too_big.value.status, too_big.value.code) == (413, 40005)

        message = await channel.send("no threads here")
        await fake.forbid_threads()
        with pytest.raises(discord.Forbidden) as forbidden:
            await message.create_thread(name="nope")
        assert forbidden.value.code == 50013

        with pytest.raises(discord.HTTPException) as empty:
            await channel.send("")
        assert empty.value.code == 50006

        with pytest.raises(discord.NotFound):
            await bot.http.request(discord.http.Route("GET", "/voice/regions"))
        assert [r.path for r in fake.unknown_requests] == ["/api/v10/voice/regions"]


async def test_deferred_answer_is_filled_by_the_first_followup_also_in_dms(
    fake_discord: FakeDiscord,
):
    fake = fake_discord
    bot = EchoBot(fake.guild.id)
    async with fake.running(bot):
        assert fake.command("slow") is not None and fake.command("slow", fake.guild) is None
        for channel, where in ((fake.channel, "guild"), (fake.dm_channel(fake.member), "dm")):
            run = await fake.slash_command("slow", channel=channel)
            await fake.wait_for(lambda run=run: len(run.replies) == 2)
            original, extra = run.replies
            assert run.response_type == 5 and run.original is original
            assert original.content == f"thought about it in a {where}" and not original.loading
            assert extra.ephemeral and not original.ephemeral
            assert fake.messages_in(channel) == [original]


async def test_an_expired_interaction_token_is_refused(fake_discord: FakeDiscord):
    fake = fake_discord
    bot = EchoBot(fake.guild.id)
    async with fake.running(bot):
        run = await fake.slash_command("slow")
        await fake.wait_for(lambda: len(run.replies) == 2)
        fake.expire(run)
        with pytest.raises(discord.HTTPException) as expired:
            await bot.last_interaction.followup.send("fifteen minutes later")
        assert (expired.value.status, expired.value.code) == (401, 50027)


@pytest.mark.discord_refusals(code=10062)
async def test_an_acknowledgement_after_the_deadline_is_refused():
    async with FakeDiscord(ack_deadline=0.0) as strict:
        with strict.patched():
            async with strict.running(EchoBot(strict.guild.id)):
                run = await strict.slash_command("slow")
                refused = await strict.wait_for(lambda: strict.rejected_requests)
    assert not run.acknowledged
    assert (
        refused[0].path.startswith(f"/api/v10/interactions/{run.id}/") and refused[0].status == 404
    )


async def test_gateway_bot_points_back_at_the_fake(fake_discord: FakeDiscord):
    client = discord.Client(intents=discord.Intents.default())
    async with fake_discord.running(client):
        shards, url, _ = await client.http.get_bot_gateway()
    assert (shards, url) == (1, fake_discord.gateway_url)


class Picker(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.select(custom_id="size", options=[discord.SelectOption(label=s) for s in "SML"])
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content=f"size {select.values[0]}", view=None)


async def test_everyday_rest_calls_parse_in_discord_py(fake_discord: FakeDiscord):
    fake = fake_discord
    client = discord.Client(intents=discord.Intents.all(), guild_ready_timeout=0.05)
    async with fake.running(client):
        await client.wait_until_ready()
        guild = client.get_guild(int(fake.guild.id))
        assert guild.chunked and guild.get_member(int(fake.moderator.id)) is not None

        channel = await client.fetch_channel(int(fake.channel.id))
        assert [c.name for c in await guild.fetch_channels()] == ["general"]
        assert (await guild.fetch_member(int(fake.member.id))).name == "member"
        assert (await client.fetch_guild(guild.id)).owner_id == int(fake.guild.owner_id)
        created = asyncio.create_task(client.wait_for("message", timeout=2))
        async with channel.typing():
            sent = await channel.send("choose", view=Picker())
        assert (await created).id == sent.id, "MESSAGE_CREATE reached the client"
        # The invite grants no Add Reactions; a moderator's overwrite does, in this channel.
        await fake.set_permissions(fake.channel, fake.bot_role(), allow=ADD_REACTIONS)
        await sent.add_reaction("👍")
        assert [m.content async for m in channel.history()] == ["choose"]
        assert (await channel.fetch_message(sent.id)).reactions[0].emoji == "👍"

        pick = await fake.select(fake.message(sent.id), "size", ["M"], user=fake.member)
        await fake.wait_for(lambda: fake.message(sent.id).content == "size M")
        assert pick.response_type == 6 and fake.message(sent.id).components == []

        thread = await channel.create_thread(
            name="side room", type=discord.ChannelType.public_thread
        )
        await thread.add_user(guild.get_member(int(fake.member.id)))
        await thread.edit(archived=True)
        assert fake.threads[0].archived and fake.member.id in fake.threads[0].member_ids
        await sent.delete()
        assert fake.messages_in(fake.channel) == []
    assert fake.unknown_requests == [] and fake.rejected_requests == []


async def test_a_bad_day_at_discord_reaches_discord_py_as_it_would_for_real(
    fake_discord: FakeDiscord,
):
    fake = fake_discord
    client = discord.Client(intents=discord.Intents.none())
    async with fake.running(client):
        channel = client.get_partial_messageable(int(fake.channel.id))
        sending = f"/channels/{fake.channel.id}/messages$"

        fake.fail("outage", method="POST", path=sending, times=1)
        with pytest.raises(discord.DiscordServerError) as outage:
            await channel.send("during the outage")
        assert outage.value.status == 503

        # discord.py waits out a 429 by itself and then gets through.
        fake.fail("rate_limited", method="POST", path=sending, times=2, retry_after=0.05)
        assert (await channel.send("after two 429s")).content == "after two 429s"

        fake.fail("drop", method="POST", path=sending, times=1)
        with pytest.raises(aiohttp.ClientError):
            await channel.send("never arrives")

        # The answer is lost but the message exists; the same enforced nonce finds it again.
        fake.fail("drop_after", method="POST", path=sending, times=1)
        with pytest.raises(aiohttp.ClientError):
            await channel.send("arrives unseen", nonce="n-1")
        again = await channel.send("arrives unseen", nonce="n-1")
        assert [m.content for m in fake.messages_in(fake.channel)] == [
            "after two 429s",
            "arrives unseen",
        ]
        assert again.id == int(fake.messages_in(fake.channel)[-1].id)

        outage_everywhere = fake.fail("outage", path=sending, seconds=0.3, everything=True)
        with pytest.raises(discord.DiscordServerError):
            await channel.send("starts the outage")
        with pytest.raises(discord.DiscordServerError):
            await client.fetch_channel(int(fake.channel.id))  # everything is down now
        await asyncio.sleep(0.35)
        assert (await channel.send("back")).content == "back"
        assert outage_everywhere.hits == 2
    assert [r.fault for r in fake.faulted()] == [
        "outage", "rate_limited", "rate_limited", "drop", "drop_after", "outage", "outage",
    ]  # fmt: skip
