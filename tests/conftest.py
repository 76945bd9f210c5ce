"""Shared pytest fixtures. Each part keeps to its own clearly marked section."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import pytest_asyncio
from bot_stories import bot_config, running_bot
from fake_discord import FakeDiscord

from bot.app import AtelierBot
from bot.store.database import Database
from engine.pool import EnginePool

# A story fails when its bot made a request the fake Discord refused and the story did not mean.
pytest_plugins = ["fake_discord.plugin"]

# ---------------------------------------------------------------------------------------------
# Fake Discord (tests/fake_discord): a local REST + gateway + CDN the real discord.py talks to.
# ---------------------------------------------------------------------------------------------


@asynccontextmanager
async def started_fake_discord() -> AsyncIterator[FakeDiscord]:
    """A started FakeDiscord with discord.py's REST base and gateway pointed at it.

    Its `env()` gives DISCORD_TOKEN / DISCORD_API_BASE / DISCORD_GATEWAY_URL for the bot.
    """
    async with FakeDiscord() as fake:
        with fake.patched():
            yield fake


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A fake Discord of the test's own."""
    async with started_fake_discord() as fake:
        yield fake


# ---------------------------------------------------------------------------------------------
# The bot's SQLite file, for tests of its stores and lifecycle pieces without a bot.
# ---------------------------------------------------------------------------------------------


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    async with Database(tmp_path / "atelier.sqlite3") as database:
        yield database


# ---------------------------------------------------------------------------------------------
# Bot stories (test_bot_*.py): one fake Discord and one one-worker engine pool per module, so a
# module's bots share one server and one VGG-19 load; each test starts its own bot.
# ---------------------------------------------------------------------------------------------


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fake() -> AsyncIterator[FakeDiscord]:
    """The module's fake Discord, shared by its bot stories."""
    async with started_fake_discord() as fake:
        yield fake


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pool() -> AsyncIterator[EnginePool]:
    async with EnginePool(devices=["cpu"], workers=1, preview_interval=0.1) as pool:
        yield pool


@pytest_asyncio.fixture(loop_scope="module")
async def bot(fake: FakeDiscord, pool: EnginePool, tmp_path: Path) -> AsyncIterator[AtelierBot]:
    """A bot of the test's own, on its own data directory, with the module's fake and pool."""
    async with running_bot(fake, pool, bot_config(fake, tmp_path)) as bot:
        yield bot


@pytest.fixture
def without_nonce_window(fake: FakeDiscord) -> Iterator[None]:
    """Discord's nonce window shut for one story: only the bot's own read-back of the channel
    keeps its posts single (a restart or an outage outlasts the real window)."""
    window, fake.nonce_window = fake.nonce_window, 0
    yield
    fake.nonce_window = window
