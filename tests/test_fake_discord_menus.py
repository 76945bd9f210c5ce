"""The fake Discord's message context menus, autocomplete and modals, against the real discord.py
client: registered, invoked and answered the way Discord does, and refused where Discord
would refuse."""

from __future__ import annotations

import discord
import pytest
from discord import app_commands
from fake_discord import FakeDiscord

FRUITS = ["apple", "apricot", "banana"]


class NameForm(discord.ui.Modal):
    def __init__(self, title: str) -> None:
        super().__init__(title=title)
        self.name = discord.ui.TextInput(label="Your name", custom_id="name", max_length=20)
        self.add_item(self.name)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"hello {self.name.value}", ephemeral=True)


class MenuBot(discord.Client):
    def __init__(self, *, choices: int = 25) -> None:
        super().__init__(intents=discord.Intents.default())
        self.tree = app_commands.CommandTree(self)
        self.choices = choices
        self.tree.add_command(app_commands.ContextMenu(name="Count words", callback=self.count))
        fruit = app_commands.Command(name="fruit", description="Pick a fruit", callback=self.fruit)
        fruit.autocomplete("name")(self.fruit_names)
        self.tree.add_command(fruit)
        self.tree.add_command(
            app_commands.Command(name="greet", description="Ask a name", callback=self.greet)
        )
        self.form_title = "Who are you?"

    async def greet(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(NameForm(self.form_title))

    async def setup_hook(self) -> None:
        await self.tree.sync()

    async def count(self, interaction: discord.Interaction, message: discord.Message) -> None:
        files = ", ".join(a.filename for a in message.attachments)
        await interaction.response.send_message(
            f"{len(message.content.split())} words by {message.author.name}; files: {files}",
            ephemeral=True,
        )

    @app_commands.describe(name="A fruit", count="How many")
    async def fruit(self, interaction: discord.Interaction, name: str, count: int = 1) -> None:
        await interaction.response.send_message(f"{count} × {name}")

    async def fruit_names(
        self, interaction: discord.Interaction, typed: str
    ) -> list[app_commands.Choice[str]]:
        names = [f for f in FRUITS if f.startswith(typed)] * self.choices
        return [app_commands.Choice(name=n, value=n) for n in names[: self.choices]]


async def test_a_message_context_menu_reaches_the_bot_with_the_message_resolved(
    fake_discord: FakeDiscord,
) -> None:
    fake = fake_discord
    async with fake.running(MenuBot()):
        menu = fake.command("Count words")
        assert menu["type"] == 3 and menu["description"] == ""
        posted = await fake.post("three little words", files=[(b"\x89PNG", "a.png")])
        asked = await fake.message_command("Count words", posted, user=fake.moderator)
        answer = await asked.wait_for_reply()
        assert answer.ephemeral and answer.content == "3 words by member; files: a.png"
        assert asked.data["target_id"] == posted.id

        with pytest.raises(LookupError, match="not registered"):
            await fake.message_command("Translate", posted)
        with pytest.raises(LookupError, match="not registered"):
            await fake.slash_command("Count words")  # a context menu is not a slash command


async def test_autocomplete_sends_what_was_typed_and_takes_up_to_25_choices(
    fake_discord: FakeDiscord,
) -> None:
    fake = fake_discord
    async with fake.running(MenuBot(choices=1)):
        typed = await fake.autocomplete("fruit", "name", "ap", {"count": 2})
        callback = await typed.wait_for_ack()
        assert typed.type == 4 and callback.type == 8
        assert callback.data["choices"] == [{"name": "apple", "value": "apple"}]
        focused = next(o for o in typed.data["options"] if o["name"] == "name")
        assert focused == {"name": "name", "type": 3, "value": "ap", "focused": True}
        with pytest.raises(ValueError, match="not registered with autocomplete"):
            await fake.autocomplete("fruit", "count", "1")


@pytest.mark.discord_refusals(code=50035)
async def test_more_than_25_autocomplete_choices_are_refused_as_discord_does(
    fake_discord: FakeDiscord,
) -> None:
    fake = fake_discord
    async with fake.running(MenuBot(choices=26)):
        typed = await fake.autocomplete("fruit", "name", "")
        await fake.wait_for(lambda: fake.rejected_requests)
        assert "/callback" in fake.rejected_requests[-1].path
        assert not typed.acknowledged


@pytest.mark.discord_refusals(code=50035)
async def test_a_context_menu_with_a_description_is_refused_at_sync(
    fake_discord: FakeDiscord,
) -> None:
    fake = fake_discord
    async with fake.running(MenuBot()) as client:
        route = discord.http.Route("PUT", "/applications/{app}/commands", app=client.application_id)
        with pytest.raises(discord.HTTPException) as refused:
            await client.http.request(
                route, json=[{"name": "Count words", "type": 3, "description": "counts"}]
            )
        assert refused.value.code == 50035


@pytest.mark.discord_refusals(code=50035)
async def test_a_modal_is_shown_submitted_by_its_member_and_answered(
    fake_discord: FakeDiscord,
) -> None:
    fake = fake_discord
    async with fake.running(MenuBot()) as client:
        opened = await fake.slash_command("greet")
        await opened.wait_for_ack()
        assert opened.modal["title"] == "Who are you?"
        with pytest.raises(ValueError, match="is required"):
            await fake.submit_modal(opened, {})
        with pytest.raises(ValueError, match="no field"):
            await fake.submit_modal(opened, {"name": "Ada", "age": "36"})
        answer = await (await fake.submit_modal(opened, {"name": "Ada"})).wait_for_reply()
        assert answer.ephemeral and answer.content == "hello Ada"

        client.form_title = "x" * 46  # Discord allows 45 characters
        too_long = await fake.slash_command("greet")
        await fake.wait_for(lambda: fake.rejected_requests)
        assert not too_long.acknowledged
