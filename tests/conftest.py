"""Shared pytest fixtures. Each part keeps to its own clearly marked section."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fake_discord import FakeDiscord

# ---------------------------------------------------------------------------------------------
# Fake Discord (tests/fake_discord): a local REST + gateway + CDN the real discord.py talks to.
# ---------------------------------------------------------------------------------------------


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A started FakeDiscord with discord.py's REST base and gateway pointed at it.

    Its `env()` gives DISCORD_TOKEN / DISCORD_API_BASE / DISCORD_GATEWAY_URL for the bot.
    """
    async with FakeDiscord() as fake:
        with fake.patched():
            yield fake
