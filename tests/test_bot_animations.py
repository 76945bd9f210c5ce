"""Moving pictures through the real bot: an animated GIF as content against the fake Discord,
painted by the real one-worker pool at a few iterations and 32 px, ends as an animated answer."""

from __future__ import annotations

import asyncio
import io
import os
import re
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from bot_process_env import answered, bot_env, start_bot_process
from bot_stories import (
    LIMITS,
    STYLE,
    WAIT,
    bot_config,
    private_answer,
    public_message,
    queued_job,
    running_bot,
    showed,
    status_message,
    stylize,
    wait_for_result,
)
from engine_pool import worker_pids
from fake_discord import FakeDiscord, Message
from motion_clips import DURATIONS, gif_bytes, panned
from PIL import Image
from waiting import eventually

from bot.app import AtelierBot
from engine.pool import EnginePool

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
            image.load()  # WebP says a frame's duration once it is decoded
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
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    # A long first frame and later frames of 13 iterations, so the story sees the job midway.
    config = bot_config(fake, tmp_path, limits=replace(LIMITS, max_iterations=200))
    six_frames = (gif_bytes(panned(6, side=32), DURATIONS), "six.gif")
    async with running_bot(fake, pool, config) as bot:
        job_id = await queued_job(await stylize(fake, content=six_frames, iterations=200))
        thread = fake.thread_of(public_message(fake, fake.channel, job_id))
        status = status_message(fake, thread, job_id)
        frames = bot.files.folder(job_id) / "frames"
        # The second frame on disk means the first one's preview has been sent; the worker is
        # held there, so the status edits (five per five seconds) catch up before the job ends.
        await eventually(lambda: len(list(frames.glob("frame-*.png"))) >= 2, timeout=WAIT)
        with held(worker_pids(pool)):
            counting = re.compile(r"frame [1-6] of 6 · done <t:\d+:R>")
            finished = re.compile(r"Frame [1-6] of 6, finished")
            await eventually(
                lambda: showed(
                    status, lambda text: counting.search(text) and finished.search(text)
                ),
                timeout=WAIT,
            )
        await painted(fake, job_id)


@contextmanager
def held(pids: set[int]) -> Iterator[None]:
    """The processes `pids` stopped (SIGSTOP) for the block, as a stalled device would be."""
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)


@pytest.mark.usefixtures("without_nonce_window")
async def test_an_animation_whose_bot_is_killed_carries_on_from_the_next_frame(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    env = bot_env(fake, tmp_path)
    log = tmp_path / "bot.log"
    channel = await fake.add_text_channel("killed-animation")
    long_gif = (gif_bytes(panned(6, side=32), DURATIONS), "long-walk.gif")
    first = await start_bot_process(env, log)
    try:
        await fake.wait_until_connected(timeout=WAIT)
        job_id = await queued_job(
            await stylize(fake, channel=channel, content=long_gif, style=STYLE, iterations=40)
        )
        kept = await eventually(lambda: finished_frames(tmp_path, job_id, at_least=2), timeout=WAIT)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        await first.wait()
    kept = finished_frames(tmp_path, job_id, at_least=len(kept))
    before = {path: path.stat().st_mtime_ns for path in kept}
    killed_at = time.time_ns()
    thread = fake.thread_of(public_message(fake, channel, job_id))

    second = await start_bot_process(env, log)
    try:
        result = await wait_for_result(fake, thread, job_id)
        await answered(env, job_id)
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), 60)
    assert frames_and_timing(result.attachments[0].data) == (6, DURATIONS, 0)
    assert {path: path.stat().st_mtime_ns for path in before} == before  # not painted again
    painted_after = {p for p in finished_frames(tmp_path, job_id, at_least=6)}
    assert {p for p in painted_after if p.stat().st_mtime_ns > killed_at} == painted_after - set(
        kept
    )


def finished_frames(tmp_path: Path, job_id: str, *, at_least: int) -> list[Path]:
    """The frames of the job kept on disk, once there are `at_least` of them (else [])."""
    found = sorted(tmp_path.rglob(f"{job_id}/frames/frame-*.png"))
    return found if len(found) >= at_least else []


async def test_stronger_under_an_animation_keeps_its_format_and_show_and_history_say_so(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    job_id = await queued_job(await stylize(fake, content=GIF, size=32, format="webp"))
    result = await painted(fake, job_id)
    assert result.attachments[0].filename == f"atelier-{job_id}.webp"
    assert frames_and_timing(result.attachments[0].data)[:2] == (FRAMES, SOURCE_TIMING)
    assert f"atelier:upscale:{job_id}" not in result.custom_ids  # it starts from a still

    stronger_id = await queued_job(
        await fake.click(result, f"atelier:stronger:{job_id}", user=fake.member)
    )
    thread = fake.thread_of(public_message(fake, fake.channel, job_id))
    stronger = await wait_for_result(fake, thread, stronger_id)
    assert stronger.attachments[0].filename == f"atelier-{stronger_id}.webp"
    assert frames_and_timing(stronger.attachments[0].data)[:2] == (FRAMES, SOURCE_TIMING)
    assert (await bot.jobs.require(stronger_id)).request.strength == 7

    shown = await private_answer(await fake.slash_command("atelier show", {"job": stronger_id}))
    assert "🎞️ Animation: up to 48 frames" in shown and "answered as WEBP" in shown
    history = await private_answer(await fake.slash_command("atelier history"))
    assert f"`{stronger_id}`" in history and "🎞️ animation" in history

    deleted = await fake.click(result, f"atelier:delete:{job_id}", user=fake.member)
    assert await private_answer(deleted) == (
        f"Deleted job `{job_id}`: its result message and its pictures are gone."
    )
    assert fake.message(result.id).deleted and not bot.files.folder(job_id).exists()


async def test_an_instant_preview_of_a_four_frame_gif_is_a_four_frame_gif_with_its_timing(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    job_id = await queued_job(await stylize(fake, content=GIF, quality="preview", size=32))
    result = await painted(fake, job_id)
    (attachment,) = result.attachments
    assert attachment.filename == f"atelier-{job_id}.gif"
    assert frames_and_timing(attachment.data) == (FRAMES, SOURCE_TIMING, 0)
    assert f"atelier:again:{job_id}" in result.custom_ids
    assert f"atelier:variations:{job_id}" not in result.custom_ids  # it starts from a still
    assert (await bot.jobs.require(job_id)).device == "CPU"  # the lane, not the engine

    again_id = await queued_job(await fake.click(result, f"atelier:again:{job_id}"))
    thread = fake.thread_of(public_message(fake, fake.channel, job_id))
    again = await wait_for_result(fake, thread, again_id)
    assert frames_and_timing(again.attachments[0].data)[:2] == (FRAMES, SOURCE_TIMING)
    assert (await bot.jobs.require(again_id)).request.quality == "preview"


async def test_variations_of_an_animation_are_refused_with_a_sentence(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    answer = await private_answer(await stylize(fake, content=GIF, quality="variations"))
    assert answer.startswith("An animated or video content is painted frame by frame"), answer
    assert "Variations and Upscale ×2 are for still pictures" in answer
