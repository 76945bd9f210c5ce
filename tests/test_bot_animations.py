"""Moving pictures through the real bot: an animated GIF as content against the fake Discord,
painted by the real one-worker pool at a few iterations and 32 px, ends as an animated answer."""

from __future__ import annotations

import io
import re

import pytest
from bot_stories import (
    STYLE,
    public_message,
    queued_job,
    showed,
    status_message,
    stylize,
    wait_for_result,
)
from fake_discord import FakeDiscord, Message
from motion_clips import DURATIONS, gif_bytes, panned
from PIL import Image

from bot.app import AtelierBot

pytestmark = pytest.mark.asyncio(loop_scope="module")

FRAMES = 4
SOURCE_TIMING = DURATIONS[:FRAMES]
GIF = (gif_bytes(panned(FRAMES, side=32), SOURCE_TIMING), "walk.gif")


async def painted(fake: FakeDiscord, job_id: str) -> Message:
    thread = fake.thread_of(public_message(fake, fake.channel, job_id))
    return await wait_for_result(fake, thread, job_id)


def frames_and_timing(data: bytes) -> tuple[int, list[int], int | None]:
    with Image.open(io.BytesIO(data)) as image:
        durations = []
        for index in range(image.n_frames):
            image.seek(index)
            durations.append(image.info["duration"])
        return image.n_frames, durations, image.info.get("loop")


async def test_a_four_frame_gif_ends_as_an_animated_gif_with_four_frames_and_its_timing(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    job_id = await queued_job(await stylize(fake, content=GIF, style=STYLE, size=32))
    result = await painted(fake, job_id)
    (attachment,) = result.attachments
    assert attachment.filename == f"atelier-{job_id}.gif"
    assert frames_and_timing(attachment.data) == (FRAMES, SOURCE_TIMING, 0)


async def test_the_status_of_an_animation_counts_its_frames_with_an_eta(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    job_id = await queued_job(await stylize(fake, content=GIF, style=STYLE, size=32))
    await painted(fake, job_id)
    thread = fake.thread_of(public_message(fake, fake.channel, job_id))
    status = status_message(fake, thread, job_id)
    counting = re.compile(rf"frame [1-{FRAMES}] of {FRAMES} · done <t:\d+:R>")
    assert showed(status, lambda text: counting.search(text) is not None)
    finished = re.compile(rf"Frame [1-{FRAMES}] of {FRAMES}, finished")
    assert showed(status, lambda text: finished.search(text) is not None)
