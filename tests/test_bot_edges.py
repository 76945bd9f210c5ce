"""At the edges: pictures Atelier does not read, pictures larger than the engine's default cap,
and what the admin's health endpoint says and costs. The real bot against the fake Discord, a
real engine pool, a real SQLite file, and `python -m bot` where the start-up itself matters."""

from __future__ import annotations

import asyncio
import io
import signal
from pathlib import Path

import pytest
from bot_process_env import answered, bot_env, start_bot_process
from bot_stories import (
    WAIT,
    picture_size,
    private_answer,
    public_message,
    queued_job,
    stylize,
    wait_for_result,
)
from fake_discord import FakeDiscord
from PIL import Image

from bot.app import AtelierBot
from engine.images import DEFAULT_MAX_PIXELS

pytestmark = pytest.mark.asyncio(loop_scope="module")


def icon() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), "purple").save(out, format="ICO")
    return out.getvalue()


async def test_an_icon_sent_as_content_is_refused_with_a_sentence_naming_its_format(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    asked = await stylize(fake, content=(icon(), "face.ico", "image/x-icon"))
    assert await private_answer(asked) == (
        "The content image `face.ico` could not be read: this file is in the ICO format; "
        "Atelier reads PNG, JPEG, WebP or GIF pictures."
    )
    assert await bot.jobs.reservations() == [] and await bot.jobs.active() == []


async def test_a_picture_over_40_megapixels_is_painted_when_the_admin_allows_it(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    width, height = 8000, 6000  # 48 MP, over the engine's default cap
    assert width * height > DEFAULT_MAX_PIXELS
    out = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(out, format="PNG")
    env = bot_env(
        fake, tmp_path, MAX_INPUT_PIXELS="60000000", MAX_INPUT_BYTES=str(len(out.getvalue()) + 1)
    )
    channel = await fake.add_text_channel("big-pictures")
    bot = await start_bot_process(env, tmp_path / "bot.log")
    try:
        await fake.wait_until_connected(timeout=WAIT)
        asked = await stylize(
            fake, channel=channel, content=(out.getvalue(), "wall.png"), iterations=2
        )
        job_id = await queued_job(asked)
        public = public_message(fake, channel, job_id)
        assert sorted(f.filename for f in public.attachments) == ["content.png", "style.png"]
        result = await wait_for_result(fake, fake.thread_of(public), job_id)
        assert picture_size(result.attachments[0]) == (32, 24)
        await answered(env, job_id)
    finally:
        bot.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(bot.wait(), 60) == 0
