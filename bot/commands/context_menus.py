"""Right-click a message → Apps → "Stylize: use as content" / "Stylize: use as style".

The first pick is remembered for the member; the second starts the job with both. A style
picked with no content waiting opens a short form to upload the content there and then. A
member who picks only one can also finish with `/stylize` (the other picture or a `preset`).
"""

from __future__ import annotations

from dataclasses import replace

import discord
from discord import app_commands

from bot.admission.inputs import Downloads, Inputs
from bot.admission.intake import Intake
from bot.admission.picks import PICK_SECONDS, PickedImages, Role, image_of
from bot.rules.refusals import RequestRefused
from bot.rules.request import RequestedOptions

USE_AS_CONTENT = "Stylize: use as content"
USE_AS_STYLE = "Stylize: use as style"
NO_IMAGE = "That message has no picture attached; right-click a message with an image."
OTHER: dict[Role, Role] = {"content": "style", "style": "content"}


def _waiting_text(role: Role) -> str:
    other = OTHER[role]
    menu = USE_AS_STYLE if other == "style" else USE_AS_CONTENT
    extra = " or choose a `preset`" if other == "style" else ""
    return (
        f"Got it: that picture is your **{role}** for the next {PICK_SECONDS // 60} minutes. "
        f"Now right-click the {other} picture → Apps → **{menu}**, or run `/stylize` "
        f"with a `{other}`{extra}."
    )


class ContentForm(discord.ui.Modal):
    """The missing content, uploaded in a form right after picking a style."""

    def __init__(self, picks: Picks) -> None:
        super().__init__(title="Stylize: the picture to repaint", timeout=PICK_SECONDS)
        self._picks = picks
        self.upload: discord.ui.FileUpload = discord.ui.FileUpload(
            custom_id="atelier:content", min_values=1, max_values=1
        )
        self.add_item(
            discord.ui.Label(
                text="Content picture",
                description="The photo or picture to paint in the style you picked",
                component=self.upload,
            )
        )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self._picks.finish(interaction, "content", self.upload.values[0])


class Picks:
    """The two context-menu commands; registered on the bot's command tree."""

    def __init__(
        self,
        intake: Intake,
        downloads: Downloads,
        picks: PickedImages,
    ) -> None:
        self._intake = intake
        self._downloads = downloads
        self._picks = picks
        self.commands = [
            app_commands.ContextMenu(name=USE_AS_CONTENT, callback=self.use_as_content),
            app_commands.ContextMenu(name=USE_AS_STYLE, callback=self.use_as_style),
        ]

    async def use_as_content(
        self, interaction: discord.Interaction, message: discord.Message
    ) -> None:
        await self._pick(interaction, message, "content")

    async def use_as_style(
        self, interaction: discord.Interaction, message: discord.Message
    ) -> None:
        await self._pick(interaction, message, "style")

    async def _pick(
        self, interaction: discord.Interaction, message: discord.Message, role: Role
    ) -> None:
        attachment = image_of(message)
        try:
            if attachment is None:
                raise RequestRefused(NO_IMAGE, reason="no_image")
            self._downloads.check_source(role, attachment)
        except RequestRefused as refusal:
            await interaction.response.send_message(str(refusal), ephemeral=True)
            return
        picks, key = self._picks, (interaction.guild_id, interaction.user.id)
        if picks.peek(*key, OTHER[role]) is None:
            picks.remember(*key, role, attachment)
            if role == "style":  # the content is one upload away: ask for it now
                await interaction.response.send_modal(ContentForm(self))
            else:  # the style may be a preset, which a form cannot offer: say how
                await interaction.response.send_message(_waiting_text(role), ephemeral=True)
            return
        await self.finish(interaction, role, attachment)

    async def finish(
        self, interaction: discord.Interaction, role: Role, attachment: discord.Attachment
    ) -> None:
        """Start the job with `attachment` as `role` and the member's pick for the other."""
        picks, key = self._picks, (interaction.guild_id, interaction.user.id)
        other = picks.peek(*key, OTHER[role])
        await interaction.response.defer(ephemeral=True, thinking=True)
        if other is None:
            await interaction.followup.send(
                f"Your {OTHER[role]} pick has expired; pick it again.", ephemeral=True
            )
            return
        chosen = {role: attachment, OTHER[role]: other}

        async def gather() -> Inputs:
            inputs = await self._downloads.inputs(chosen["content"], chosen["style"])
            return replace(inputs, style_names=(chosen["style"].filename,))

        if await self._intake.queue_job(interaction, gather, RequestedOptions()) is not None:
            picks.take(*key, OTHER[role])
            picks.take(*key, role)
