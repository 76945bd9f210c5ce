"""Choose before you wait: `/stylize quality:variations` answers with a grid of four instant
previews and buttons to paint one of them; the real bot against the fake Discord, with a real
one-worker engine pool painting the full jobs."""

from __future__ import annotations

import asyncio
import io
import os
import signal
from dataclasses import replace
from pathlib import Path

import pytest
from bot_process_env import bot_env, start_bot_process
from bot_stories import (
    LIMITS,
    WAIT,
    bot_config,
    long_jobs_ahead,
    private_answer,
    public_message,
    queued_job,
    result_message,
    running_bot,
    stylize,
    wait_for_result,
)
from fake_discord import FakeDiscord, Message
from PIL import Image

from bot.messages.png_metadata import text_of
from engine.pool import EnginePool

pytestmark = pytest.mark.asyncio(loop_scope="module")

FIVE_BUTTONS = ["paint1", "paint2", "paint3", "paint4", "vary"]
# Variant 3 of the defaults (strength 5, brush 1): stronger by two steps, finer (bot.rules.variants).
VARIANT_3 = {"Strength": "7", "Brush": "0.35"}


def grid_buttons(message: Message, job_id: str) -> list[str]:
    return [c.removesuffix(f":{job_id}").removeprefix("atelier:") for c in message.custom_ids]


async def test_a_grid_behind_two_jobs_comes_within_two_seconds_and_paint_3_paints_variant_3(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    config = bot_config(fake, tmp_path, limits=replace(LIMITS, max_iterations=100_000))
    async with running_bot(fake, pool, config) as bot:
        ahead = await long_jobs_ahead(fake, "grid-first", "grid-second")

        asked = await stylize(fake, quality="variations")
        await asked.wait_for_ack()
        acknowledged = asyncio.get_running_loop().time()
        job_id = await queued_job(asked)
        thread = fake.thread_of(public_message(fake, fake.channel, job_id))
        grid = await wait_for_result(fake, thread, job_id)
        seconds = asyncio.get_running_loop().time() - acknowledged

        assert seconds < 2.0, f"the grid took {seconds:.2f} s after the acknowledgement"
        assert grid_buttons(grid, job_id) == FIVE_BUTTONS
        (png,) = grid.attachments
        written = text_of(png.data)
        assert written["Variant 3"] == "strength 7, brush 0.35"
        assert "**3** strength 7, brush 0.35" in grid.content
        assert pool.running == 1
        for other in ahead:
            await bot.lifecycle.cancel(other, fake.member.id)

        bystander = await fake.add_member("grid-bystander")
        denied = await fake.click(grid, f"atelier:paint1:{job_id}", user=bystander)
        assert f"Only the author of job `{job_id}`" in await private_answer(denied)

        painted_id = await queued_job(await fake.click(grid, f"atelier:paint3:{job_id}"))
        painting = await wait_for_result(fake, thread, painted_id)
        (png,) = painting.attachments
        written = text_of(png.data)
        assert {key: written[key] for key in VARIANT_3} == VARIANT_3
        assert written["Quality"] == "full" and int(written["Iterations"]) > 0
        assert (await bot.jobs.require(painted_id)).request.quality == "full"


async def test_every_picture_offers_variations_spoiled_like_it_and_show_lists_the_cells(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    async with running_bot(fake, pool, bot_config(fake, tmp_path)):
        job_id = await queued_job(await stylize(fake, quality="preview", spoiler=True))
        thread = fake.thread_of(public_message(fake, fake.channel, job_id))
        result = await wait_for_result(fake, thread, job_id)
        assert f"atelier:variations:{job_id}" in result.custom_ids

        grid_id = await queued_job(await fake.click(result, f"atelier:variations:{job_id}"))
        grid = await wait_for_result(fake, thread, grid_id)
        assert grid_buttons(grid, grid_id) == FIVE_BUTTONS
        assert grid.attachments[0].filename.startswith("SPOILER_"), "spoiled like its source"
        shown = await private_answer(await fake.slash_command("atelier show", {"job": grid_id}))
        assert "Variant 1: strength 3, brush 0.35" in shown
        assert "Variant 4: strength 7, brush 2.83" in shown

        vary = await fake.click(grid, f"atelier:vary:{grid_id}")
        reply = await vary.wait_for_reply(timeout=30)
        assert reply.ephemeral and reply.custom_ids == [
            f"atelier:vary{n}:{grid_id}" for n in (1, 2, 3, 4)
        ]


async def test_after_a_kill_and_a_restart_paint_2_still_paints_variant_2(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    env = bot_env(fake, tmp_path)
    log = tmp_path / "bot.log"
    channel = await fake.add_text_channel("grid-killed")
    first = await start_bot_process(env, log)
    try:
        await fake.wait_until_connected(timeout=WAIT)
        job_id = await queued_job(await stylize(fake, channel=channel, quality="variations"))
        thread = fake.thread_of(public_message(fake, channel, job_id))
        grid = await wait_for_result(fake, thread, job_id)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        await first.wait()

    identified = len(fake.gateway.identify_payloads)
    second = await start_bot_process(env, log)
    try:
        await fake.wait_for(lambda: len(fake.gateway.identify_payloads) > identified, timeout=WAIT)
        await fake.wait_until_connected(timeout=WAIT)
        painted_id = await queued_job(await fake.click(grid, f"atelier:paint2:{job_id}"))
        painting = await wait_for_result(fake, thread, painted_id)
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), 60)
    written = text_of(painting.attachments[0].data)
    assert (written["Strength"], written["Brush"]) == ("3", "2.83")
    assert result_message(fake, thread, painted_id) is painting
    with Image.open(io.BytesIO(painting.attachments[0].data)) as picture:
        assert picture.size == (32, 32)
