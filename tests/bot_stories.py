"""What the bot stories share: a bot on the fake Discord and the one-worker pool, and what a
member does and sees there.

The module-scoped `fake` (one fake Discord) and `pool` (one engine pool) and the per-test `bot`
come from conftest.py; a story that needs its own configuration opens `running_bot` itself.
"""

from __future__ import annotations

import asyncio
import io
import re
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from engine_images import png_bytes
from fake_discord import Channel, FakeDiscord, Interaction, Member, Message, StoredFile
from PIL import Image

from bot.app import AtelierBot
from bot.config import Config, Limits
from bot.ops.health import HealthServer
from bot.ops.metrics import Metrics
from bot.store.database import Database
from engine.pool import EnginePool

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "engine" / "examples"
SIDE = 40
JOB_ID = re.compile(r"job `([0-9a-f]{16})`")
WAIT = 120.0  # for the engine: the machine is shared and a job may wait behind another test's
LIMITS = Limits(
    default_iterations=3,
    default_size=32,
    max_iterations=6,
    max_size=48,
    max_input_bytes=60_000,
    max_input_pixels=100 * 100,
)


def picture(name: str, side: int = SIDE) -> bytes:
    return png_bytes(Image.open(EXAMPLES / name).convert("RGB").resize((side, side)))


CONTENT = (picture("astronaut.png"), "astronaut.png")
STYLE = (picture("hubble_deep_field.jpg"), "hubble.png")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# Bots
# ---------------------------------------------------------------------------------------------


def bot_config(fake: FakeDiscord, data_dir: Path, **changes: object) -> Config:
    config = Config(
        token=fake.token,
        data_dir=data_dir,
        limits=LIMITS,
        health_port=0,
        api_base=fake.api_base,
        gateway_url=fake.gateway_url,
        status_edit_seconds=0.05,
    )
    return replace(config, **changes)


@asynccontextmanager
async def running_bot(
    fake: FakeDiscord, pool: EnginePool, config: Config, **options: Any
) -> AsyncIterator[AtelierBot]:
    metrics = Metrics()
    async with Database(config.database_path) as database:
        bot = AtelierBot(config, database=database, pool=pool, metrics=metrics, **options)
        async with HealthServer(bot.snapshot, metrics, config.health_host, config.health_port):
            task = asyncio.create_task(bot.start(config.token))
            try:
                await fake.wait_until_connected(timeout=30)
                await asyncio.wait_for(bot.wait_until_ready(), 30)
                yield bot
            finally:
                await bot.shutdown()
                await task


# ---------------------------------------------------------------------------------------------
# What a member does and sees
# ---------------------------------------------------------------------------------------------


async def stylize(
    fake: FakeDiscord,
    *,
    user: Member | None = None,
    channel: Channel | None = None,
    content: tuple[bytes, str] | tuple[bytes, str, str] | StoredFile = CONTENT,
    style: tuple[bytes, str] | tuple[bytes, str, str] | StoredFile = STYLE,
    **options: object,
) -> Interaction:
    return await fake.slash_command(
        "stylize",
        options,
        user=user or fake.member,
        channel=channel,
        attachments={"content": content, "style": style},
    )


async def long_jobs_ahead(fake: FakeDiscord, *names: str) -> list[str]:
    """A job of 100 000 iterations from each new member `names`: with one worker, the first
    runs and the others wait; the test cancels them when done."""
    jobs = []
    for name in names:
        member = await fake.add_member(name)
        jobs.append(await queued_job(await stylize(fake, user=member, iterations=100_000)))
    return jobs


async def private_answer(interaction: Interaction, timeout: float = 30) -> str:
    reply = await interaction.wait_for_reply(timeout=timeout)
    assert reply.ephemeral, reply.content
    return reply.content


async def queued_job(interaction: Interaction) -> str:
    answer = await private_answer(interaction)
    assert answer.startswith("Queued as job"), answer
    return JOB_ID.search(answer)[1]


def public_message(fake: FakeDiscord, channel: Channel, job_id: str) -> Message | None:
    return next(
        (m for m in fake.messages_in(channel) if f"job `{job_id}`" in m.content and m.attachments),
        None,
    )


def status_message(fake: FakeDiscord, where: Channel, job_id: str) -> Message:
    return next(m for m in fake.messages_in(where) if f"Job `{job_id}`" in m.content)


def result_message(fake: FakeDiscord, where: Channel, job_id: str) -> Message | None:
    return next(
        (
            m
            for m in fake.messages_in(where)
            if f"job `{job_id}`" in m.content and "your painting is ready" in m.content
        ),
        None,
    )


async def wait_for_result(fake: FakeDiscord, where: Channel, job_id: str) -> Message:
    return await fake.wait_for(lambda: result_message(fake, where, job_id), timeout=WAIT)


def picture_size(file: StoredFile) -> tuple[int, int]:
    with Image.open(io.BytesIO(file.data)) as image:
        image.load()
        return image.size


def showed(message: Message, test: Callable[[str], bool]) -> bool:
    return any(test(revision.content) for revision in message.revisions)
