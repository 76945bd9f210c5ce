"""`/atelier-admin settings | styles …`: the moderators' commands.

Discord hides commands by permission only per top-level command, so these live apart from the
members' `/atelier`, shown by default only to members with Manage Server (admins can open them to
others under Server Settings → Integrations). Every call checks the permission itself all the
same: the default is only a display hint that admins can override.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.admission.inputs import Downloads
from bot.commands.powers import server_powers
from bot.config import Limits
from bot.messages import replies
from bot.rules.permissions import can_manage_settings
from bot.rules.refusals import RequestRefused
from bot.rules.settings import (
    MAX_COOLDOWN_SECONDS,
    MAX_GRIDS_PER_HOUR,
    MAX_JOBS_PER_MEMBER,
    GuildSettings,
    SettingsError,
    changed_settings,
)
from bot.store.guild_settings import GuildSettingsStore
from bot.store.style_library import MAX_NAME_LENGTH, StyleError, StyleLibrary

NOT_ALLOWED = "Only members with the **Manage Server** permission can change Atelier's settings."
NOT_ALLOWED_STYLES = "Only members with the **Manage Server** permission can change saved styles."


SETTING_HELP = dict(
    max_iterations="Most iterations a member may ask for",
    max_size="Largest result a member may ask for (longest side, px)",
    default_iterations="Iterations when a member leaves the option empty",
    default_size="Size when a member leaves the option empty (px)",
    jobs_per_member="Jobs one member may have waiting or running at once",
    cooldown="Seconds a member waits between two jobs",
    grids_per_hour="Variations grids one member may ask for per hour (0 turns grids off)",
    max_frames="Most frames of an animated or video content that are painted",
    max_clip_seconds="Longest part of an animation or clip that is painted (seconds)",
    max_fps="Highest frame rate an animation is painted at (frames a second)",
    max_animation_size="Largest frames an animation is painted at (longest side, px)",
    allow_channel="Allow /stylize in this channel (once any is allowed, only those are)",
    disallow_channel="Remove a channel from the allowed list",
    spoiler_by_default="Post results behind a spoiler unless the member says otherwise",
    input_thumbnails="Show thumbnails of the inputs (channels marked NSFW always do)",
    reset="Forget this server's settings and use the bot's defaults",
)


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class AdminCog(
    commands.GroupCog,
    group_name="atelier-admin",
    group_description="Atelier's settings and saved styles (moderators)",
):
    styles = app_commands.Group(name="styles", description="This server's saved styles")

    def __init__(
        self,
        settings: GuildSettingsStore,
        limits: Limits,
        downloads: Downloads,
        styles: StyleLibrary,
    ) -> None:
        self._settings = settings
        self._limits = limits
        self._downloads = downloads
        self._styles = styles
        super().__init__()

    @app_commands.command(name="settings", description="Show or change this server's limits")
    @app_commands.describe(**SETTING_HELP)
    async def settings(
        self,
        interaction: discord.Interaction,
        max_iterations: app_commands.Range[int, 1, 100_000] | None = None,
        max_size: app_commands.Range[int, 1, 16_384] | None = None,
        default_iterations: app_commands.Range[int, 1, 100_000] | None = None,
        default_size: app_commands.Range[int, 1, 16_384] | None = None,
        jobs_per_member: app_commands.Range[int, 1, MAX_JOBS_PER_MEMBER] | None = None,
        cooldown: app_commands.Range[int, 0, MAX_COOLDOWN_SECONDS] | None = None,
        grids_per_hour: app_commands.Range[int, 0, MAX_GRIDS_PER_HOUR] | None = None,
        allow_channel: discord.TextChannel | None = None,
        disallow_channel: discord.TextChannel | None = None,
        spoiler_by_default: bool | None = None,
        input_thumbnails: bool | None = None,
        max_frames: app_commands.Range[int, 1, 10_000] | None = None,
        max_clip_seconds: app_commands.Range[float, 0.1, 3600.0] | None = None,
        max_fps: app_commands.Range[float, 0.1, 240.0] | None = None,
        max_animation_size: app_commands.Range[int, 1, 16_384] | None = None,
        reset: bool = False,
    ) -> None:
        await self._change_settings(
            interaction, reset, allow_channel, disallow_channel,
            max_iterations=max_iterations, max_size=max_size,
            default_iterations=default_iterations, default_size=default_size,
            jobs_per_member=jobs_per_member, cooldown_seconds=cooldown,
            grids_per_hour=grids_per_hour,
            spoiler_by_default=spoiler_by_default, input_thumbnails=input_thumbnails,
            max_frames=max_frames, max_clip_seconds=max_clip_seconds, max_fps=max_fps,
            max_animation_size=max_animation_size,
        )  # fmt: skip

    async def _change_settings(
        self,
        interaction: discord.Interaction,
        reset: bool,
        allow_channel: discord.TextChannel | None,
        disallow_channel: discord.TextChannel | None,
        **values: object,
    ) -> None:
        # default_member_permissions cannot be set on a subcommand: this check is the real one.
        if interaction.guild_id is None or not can_manage_settings(server_powers(interaction)):
            await interaction.response.send_message(NOT_ALLOWED, ephemeral=True)
            return
        store, limits, who = self._settings, self._limits, interaction.user.id
        # Checked against what the settings will be, but written only once every change passed,
        # so a refused change never leaves a half-applied reset behind.
        current = (
            GuildSettings(guild_id=interaction.guild_id)
            if reset
            else await store.get(interaction.guild_id)
        )
        changes = requested_changes(current, allow_channel, disallow_channel, **values)
        try:
            updated = changed_settings(current, limits, **changes)
        except SettingsError as error:
            await interaction.response.send_message(f"Not changed: {error}.", ephemeral=True)
            return
        if reset:
            await store.reset(interaction.guild_id, by_user_id=who)
        if changes:
            await store.save(updated, by_user_id=who)
        heading = "Saved." if changes or reset else ""
        await interaction.response.send_message(
            f"{heading}\n{replies.settings_text(updated, limits)}".strip(), ephemeral=True
        )

    async def _may_edit_styles(self, interaction: discord.Interaction) -> bool:
        # default_member_permissions cannot be set on a subcommand: this check is the real one.
        if interaction.guild_id is not None and can_manage_settings(server_powers(interaction)):
            return True
        await interaction.response.send_message(NOT_ALLOWED_STYLES, ephemeral=True)
        return False

    @styles.command(name="add", description="Save a picture as a style members can pick by name")
    @app_commands.describe(name="What members will pick it by", image="The style picture")
    async def styles_add(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, MAX_NAME_LENGTH],
        image: discord.Attachment,
    ) -> None:
        if not await self._may_edit_styles(interaction):
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            data = await self._downloads.one("style", image)
            style = await self._styles.add(
                interaction.guild_id or 0, name, data, interaction.user.id
            )
        except (RequestRefused, StyleError) as error:
            await interaction.followup.send(f"Not saved: {error}", ephemeral=True)
            return
        await interaction.followup.send(
            f"Saved style **{style.name}**: members can now use `/stylize preset:{style.name}`.",
            ephemeral=True,
        )

    @styles.command(name="rename", description="Give a saved style another name")
    @app_commands.describe(name="The style's name now", new_name="Its new name")
    async def styles_rename(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, 100],
        new_name: app_commands.Range[str, 1, MAX_NAME_LENGTH],
    ) -> None:
        if not await self._may_edit_styles(interaction):
            return
        try:
            style = await self._styles.rename(interaction.guild_id or 0, name, new_name)
        except StyleError as error:
            await interaction.response.send_message(f"Not renamed: {error}.", ephemeral=True)
            return
        await interaction.response.send_message(
            f"Renamed **{name}** to **{style.name}**.", ephemeral=True
        )

    @styles.command(name="remove", description="Delete a saved style and its picture")
    @app_commands.describe(name="The style to delete")
    async def styles_remove(
        self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 100]
    ) -> None:
        if not await self._may_edit_styles(interaction):
            return
        try:
            style = await self._styles.remove(interaction.guild_id or 0, name)
        except StyleError as error:
            await interaction.response.send_message(f"Not removed: {error}.", ephemeral=True)
            return
        await interaction.response.send_message(f"Removed style **{style.name}**.", ephemeral=True)

    @styles.command(name="list", description="The styles saved on this server")
    async def styles_list(self, interaction: discord.Interaction) -> None:
        styles = await self._styles.all(interaction.guild_id or 0)
        await interaction.response.send_message(
            replies.styles_listing([(s.name, s.added_by) for s in styles]),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @styles_rename.autocomplete("name")
    @styles_remove.autocomplete("name")
    async def style_choices(
        self, interaction: discord.Interaction, typed: str
    ) -> list[app_commands.Choice[str]]:
        names = await self._styles.matching(interaction.guild_id or 0, typed)
        return [app_commands.Choice(name=name, value=name) for name in names]


def requested_changes(
    current: GuildSettings,
    allow_channel: discord.TextChannel | None,
    disallow_channel: discord.TextChannel | None,
    **values: object,
) -> dict[str, object]:
    """The settings a moderator gave (None: left as it is), and the allowed channels if they
    change."""
    changes = {name: value for name, value in values.items() if value is not None}
    channels = set(current.allowed_channels)
    if allow_channel is not None:
        channels.add(allow_channel.id)
    if disallow_channel is not None:
        channels.discard(disallow_channel.id)
    if channels != current.allowed_channels:
        changes["allowed_channels"] = frozenset(channels)
    return changes
