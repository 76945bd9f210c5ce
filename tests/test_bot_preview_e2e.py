"""The instant preview end to end: the real bot and its preview lane against the fake Discord,
with a real one-worker engine pool painting the full jobs."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from fake_discord import FakeDiscord, Message
from test_bot_e2e import (
    LIMITS,
    SIDE,
    WAIT,
    bot_config,
    picture,
    picture_size,
    public_message,
    queued_job,
    result_message,
    running_bot,
    status_message,
    stylize,
    wait_for_result,
)

from bot import render
from bot.preview_lane import PreviewLane
from engine.pool import EnginePool
from engine.preview.weights import TRANSFORMER, installed_model_dir

pytestmark = pytest.mark.asyncio(loop_scope="module")

PHOTO_SIDE = 512
ROOMY = replace(LIMITS, max_size=PHOTO_SIDE, max_input_bytes=2_000_000, max_input_pixels=10**6)


def instant_preview_shown(status: Message) -> bool:
    return any(
        render.INSTANT_PREVIEW_CAPTION in revision.content
        and any(f.filename == "preview.png" for f in revision.attachments)
        for revision in status.revisions
    )


async def test_behind_two_jobs_the_preview_shows_within_two_seconds_and_the_png_follows(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    config = bot_config(fake, tmp_path, limits=replace(ROOMY, max_iterations=100_000))
    async with running_bot(fake, pool, config) as bot:
        ahead = []
        for name in ("first", "second"):  # one running, one queued behind it
            member = await fake.add_member(name)
            ahead.append(await queued_job(await stylize(fake, user=member, iterations=100_000)))

        asked = await stylize(
            fake, content=(picture("astronaut.png", PHOTO_SIDE), "photo.png"),
            size=PHOTO_SIDE, iterations=2,
        )  # fmt: skip
        await asked.wait_for_ack()
        acknowledged = asyncio.get_running_loop().time()
        job_id = await queued_job(asked)
        thread = fake.thread_of(public_message(fake, fake.channel, job_id))
        status = await fake.wait_for(lambda: status_message(fake, thread, job_id))
        await fake.wait_for(lambda: instant_preview_shown(status), timeout=WAIT)
        seconds = asyncio.get_running_loop().time() - acknowledged

        assert seconds < 2.0, f"the preview took {seconds:.2f} s after the acknowledgement"
        assert result_message(fake, thread, job_id) is None
        assert pool.running == 1 and (await bot.jobs.require(job_id)).state == "queued"
        for other in ahead:
            await bot.runner.cancel(other, fake.member.id)

        result = await wait_for_result(fake, thread, job_id)
        (png,) = result.attachments
        assert picture_size(png) == (PHOTO_SIDE, PHOTO_SIDE)
        await fake.wait_for(lambda: "✅ Done" in status.content)
        assert status.attachments == [] and render.INSTANT_PREVIEW_CAPTION not in status.content


async def test_quality_preview_answers_with_the_instant_picture_only(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    async with running_bot(fake, pool, bot_config(fake, tmp_path)) as bot:
        job_id = await queued_job(await stylize(fake, size=SIDE, quality="preview"))
        thread = fake.thread_of(public_message(fake, fake.channel, job_id))

        result = await wait_for_result(fake, thread, job_id)
        assert f"{SIDE}×{SIDE} px · instant preview" in result.content
        assert "without quality:preview for the full painting" in result.content
        (png,) = result.attachments
        assert picture_size(png) == (SIDE, SIDE)
        status = status_message(fake, thread, job_id)
        await fake.wait_for(lambda: "✅ Done" in status.content)
        assert "instant preview" in status.content
        assert not any("%" in revision.content for revision in status.revisions)
        job = await bot.jobs.require(job_id)
        assert job.request.quality == "preview" and job.state == "done"


async def test_a_typo_in_quality_is_refused_by_discord_before_the_bot(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    async with running_bot(fake, pool, bot_config(fake, tmp_path)):
        with pytest.raises(ValueError, match="must be one of"):
            await stylize(fake, quality="draft")


async def test_a_damaged_preview_model_never_fails_the_job(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    shutil.copytree(installed_model_dir(), models)
    (models / TRANSFORMER).write_bytes(b"not the model")
    config = bot_config(fake, tmp_path / "data")
    async with running_bot(fake, pool, config, preview_lane=PreviewLane(model_dir=models)):
        job_id = await queued_job(await stylize(fake, size=SIDE, iterations=3))
        thread = fake.thread_of(public_message(fake, fake.channel, job_id))

        result = await wait_for_result(fake, thread, job_id)
        assert result.content.startswith(f"<@{fake.member.id}> your painting is ready")
        assert not instant_preview_shown(status_message(fake, thread, job_id))
