"""`/stylize`: a content and a style (uploaded, saved in the server's library, picked from the
channel, or the member's last content) in, a queued job (or a specific, private refusal) out."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.admission.inputs import Downloads, Inputs
from bot.admission.intake import Intake
from bot.admission.picks import PickedImages
from bot.ops.metrics import Metrics
from bot.rules.animation import FORMAT_NAMES
from bot.rules.refusals import RequestRefused
from bot.rules.request import (
    BLEND_DEFAULT,
    BLEND_MAX,
    BLEND_MIN,
    BRUSH_MAX,
    BRUSH_MIN,
    SEED_MAX,
    STRENGTH_MAX,
    STRENGTH_MIN,
    OutputFormat,
    Quality,
    RequestedOptions,
)
from bot.store.job_files import JobFiles
from bot.store.jobs import JobStore
from bot.store.style_library import StyleError, StyleLibrary

# Discord-side bounds only keep typos out; the server's and the bot's limits are applied (and
# explained) by bot.rules.limits.
MAX_TYPED_ITERATIONS = 100_000
MAX_TYPED_SIZE = 16_384

NO_CONTENT = (
    "Attach a `content` picture — or right-click a picture in the channel → Apps → "
    "**Stylize: use as content** first."
)
PRIVATE_CONTENT = (
    "Your last picture was in a private job, so I won't show it here. Attach a `content` "
    "picture, or add `private:True` to paint it again in your direct messages."
)
NO_STYLE = (
    "Attach a `style` picture or choose a `preset` — or right-click a picture in the channel → "
    "Apps → **Stylize: use as style**."
)
NO_DM = "I can't open a direct message with you; check your privacy settings."
STYLE_AND_PRESET = "Choose either a `style` picture or a `preset`, not both."
NO_LIBRARY_IN_DMS = "Saved styles belong to a server: use `preset` in a server's channel."
OPTION_HELP = dict(
    content="The picture to repaint (empty: the one you picked, or your last one)",
    style="The picture whose style to borrow (a painting works best)",
    preset="A style saved on this server, instead of uploading one",
    iterations="How long to work on it: more is finer but slower (server default if empty)",
    size="Longest side of the result in pixels",
    strength=f"How strongly the style shows, {STRENGTH_MIN} (light) to {STRENGTH_MAX} (heavy)",
    preserve_colors="Keep the colours of the content picture",
    seed="Same seed and settings give the same picture; random if empty",
    style2="A second style picture to mix in",
    blend=f"How much of style2 to mix in, {BLEND_MIN}..{BLEND_MAX} % (default {BLEND_DEFAULT})",
    brush=f"Size of the brush strokes, {BRUSH_MIN:g} (fine) to {BRUSH_MAX:g} (broad); 1 is normal",
    private="Send the progress and the result to your direct messages only",
    spoiler="Post the result (and the inputs' thumbnails) behind a spoiler",
    quality="full: the painting (default) · preview: a one-pass sketch · "
    "variations: four sketches to pick from",
    format=f"For an animated or video content, the file to answer with: {FORMAT_NAMES} "
    "(default: a GIF for a GIF, an MP4 for a clip)",
)
BLEND_WITHOUT_STYLE2 = "`blend` mixes two styles: add a `style2` picture too, or leave `blend` out."


class StylizeCog(commands.Cog):
    def __init__(
        self,
        intake: Intake,
        downloads: Downloads,
        jobs: JobStore,
        files: JobFiles,
        styles: StyleLibrary,
        picks: PickedImages,
        metrics: Metrics,
    ) -> None:
        self._intake = intake
        self._downloads = downloads
        self._jobs = jobs
        self._files = files
        self._styles = styles
        self._picks = picks
        self._metrics = metrics

    @app_commands.command(name="stylize", description="Paint one picture in the style of another")
    @app_commands.describe(**OPTION_HELP)
    async def stylize(
        self,
        interaction: discord.Interaction,
        content: discord.Attachment | None = None,
        style: discord.Attachment | None = None,
        preset: app_commands.Range[str, 1, 100] | None = None,
        iterations: app_commands.Range[int, 1, MAX_TYPED_ITERATIONS] | None = None,
        size: app_commands.Range[int, 1, MAX_TYPED_SIZE] | None = None,
        strength: app_commands.Range[int, STRENGTH_MIN, STRENGTH_MAX] | None = None,
        preserve_colors: bool | None = None,
        seed: app_commands.Range[int, 0, SEED_MAX] | None = None,
        style2: discord.Attachment | None = None,
        blend: app_commands.Range[int, BLEND_MIN, BLEND_MAX] | None = None,
        brush: app_commands.Range[float, BRUSH_MIN, BRUSH_MAX] | None = None,
        private: bool = False,
        spoiler: bool | None = None,
        quality: Quality | None = None,
        format: OutputFormat | None = None,
    ) -> None:
        # Downloading and checking two images can take longer than Discord's 3 seconds.
        await interaction.response.defer(ephemeral=True, thinking=True)
        if blend is not None and style2 is None:
            self._metrics.request_refused("conflicting_options")
            await interaction.followup.send(BLEND_WITHOUT_STYLE2, ephemeral=True)
            return
        if style2 is not None and blend is None:
            blend = BLEND_DEFAULT
        options = RequestedOptions(
            iterations, size, strength, preserve_colors, seed,
            brush=brush, blend=blend, spoiler=spoiler, quality=quality, private=private,
            output_format=format,
        )  # fmt: skip
        key = (interaction.guild_id, interaction.user.id)

        async def gather() -> Inputs:
            return await self._gather(interaction, content, style, preset, style2, private)

        try:
            follow_up_in = (await interaction.user.create_dm()).id if private else None
        except discord.HTTPException:
            await interaction.followup.send(NO_DM, ephemeral=True)
            return
        job = await self._intake.queue_job(interaction, gather, options, follow_up_in=follow_up_in)
        if job is not None:  # what was picked from the channel has been used
            self._picks.take(*key, "content")
            if style is None and preset is None:
                self._picks.take(*key, "style")

    async def _gather(
        self,
        interaction: discord.Interaction,
        content: discord.Attachment | None,
        style: discord.Attachment | None,
        preset: str | None,
        style2: discord.Attachment | None,
        private: bool,
    ) -> Inputs:
        style_bytes, style_name = await self._style(interaction, style, preset)
        content_bytes = await self._content(interaction, content, private)
        if style2 is None:
            return Inputs(content_bytes, style_bytes, style_names=(style_name,))
        return Inputs(
            content_bytes,
            style_bytes,
            style2=await self._downloads.one("second style", style2),
            style_names=(style_name, style2.filename),
        )

    async def _content(
        self, interaction: discord.Interaction, content: discord.Attachment | None, private: bool
    ) -> bytes:
        picked = content or self._picks.peek(interaction.guild_id, interaction.user.id, "content")
        if picked is not None:
            return await self._downloads.one("content", picked)
        for job in await self._jobs.history(interaction.guild_id, interaction.user.id, 1):
            if job.private and not private:
                raise RequestRefused(PRIVATE_CONTENT, reason="missing_input")
            if not await self._jobs.files_deleted(job.id):
                return await self._files.read(job.content_path)
        raise RequestRefused(NO_CONTENT, reason="missing_input")

    async def _style(
        self,
        interaction: discord.Interaction,
        style: discord.Attachment | None,
        preset: str | None,
    ) -> tuple[bytes, str]:
        """The style's bytes and the name it goes by (the preset's, or the file's)."""
        if style is not None and preset is not None:
            raise RequestRefused(STYLE_AND_PRESET, reason="conflicting_options")
        if preset is not None:
            if interaction.guild_id is None:
                raise RequestRefused(NO_LIBRARY_IN_DMS, reason="unknown_style")
            try:
                saved = await self._styles.require(interaction.guild_id, preset)
            except StyleError as error:
                raise RequestRefused(
                    f"Not queued: {error}. Pick one from the list as you type.",
                    reason="unknown_style",
                ) from None
            return await self._styles.read(saved), saved.name
        picked = style or self._picks.peek(interaction.guild_id, interaction.user.id, "style")
        if picked is None:
            raise RequestRefused(NO_STYLE, reason="missing_input")
        return await self._downloads.one("style", picked), picked.filename

    @stylize.autocomplete("preset")
    async def preset_choices(
        self, interaction: discord.Interaction, typed: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        names = await self._styles.matching(interaction.guild_id, typed)
        return [app_commands.Choice(name=name, value=name) for name in names]
