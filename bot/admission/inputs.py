"""A job's pictures: fetched from Discord's CDN and checked before anything is saved.

The bot only fetches attachment URLs on Discord's CDN (or the configured API's host): a member
cannot make it fetch a URL of their choosing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import discord

from bot.config import Limits
from bot.rules.images import check_attachment, check_image_bytes, check_shape, content_size
from bot.rules.refusals import RequestRefused
from bot.store.job_files import Kept
from engine.images import probe_image
from engine.params import StyleParams

DISCORD_CDN_HOSTS = frozenset({"cdn.discordapp.com", "media.discordapp.net"})


@dataclass(frozen=True)
class Inputs:
    content: bytes
    style: bytes
    style2: bytes | None = None  # a second style to mix in
    style_names: tuple[str, ...] = ()  # preset or file names, written into the result
    # Where the painting starts (Upscale ×2: an earlier result, already checked when it was made).
    init: bytes | None = None
    # For a follow-up: the earlier job's files these bytes came from, shared instead of copied.
    kept: Kept = field(default_factory=dict)

    def check_shapes(self, params: StyleParams) -> None:
        # All already passed the pixel cap (now, or when their first job was accepted), which
        # is also this process' cap (`engine.images.set_pixel_cap`).
        for label, data in (
            ("content", self.content),
            ("style", self.style),
            ("second style", self.style2),
        ):
            if data is not None:
                size = content_size(data) if label == "content" else probe_image(data)
                check_shape(label, size, params)


class Downloads:
    """Checked downloads of members' attachments."""

    def __init__(self, limits: Limits, api_base: str) -> None:
        self._limits = limits
        self._hosts = DISCORD_CDN_HOSTS | {urlsplit(api_base).hostname or ""}

    async def inputs(self, content: discord.Attachment, style: discord.Attachment) -> Inputs:
        """Check what Discord says about both attachments, then fetch and check their pixels."""
        for label, attachment in (("content", content), ("style", style)):
            self.check_source(label, attachment)
        return Inputs(
            content=await self._fetch("content", content), style=await self._fetch("style", style)
        )

    async def one(self, label: str, attachment: discord.Attachment) -> bytes:
        """One checked image (e.g. the content when the style comes from the library)."""
        self.check_source(label, attachment)
        return await self._fetch(label, attachment)

    def check_source(self, label: str, attachment: discord.Attachment) -> None:
        check_attachment(
            label, attachment.filename, attachment.content_type, attachment.size, self._limits
        )
        if urlsplit(attachment.url).hostname not in self._hosts:
            raise RequestRefused(
                f"The {label} image must be uploaded to Discord, not linked.",
                reason="linked_image",
            )

    async def _fetch(self, label: str, attachment: discord.Attachment) -> bytes:
        try:
            data = await attachment.read()
        except (discord.HTTPException, OSError):
            raise RequestRefused(
                f"I could not download the {label} image from Discord; please try again.",
                reason="download_failed",
            ) from None
        await asyncio.to_thread(check_image_bytes, label, attachment.filename, data, self._limits)
        return data
