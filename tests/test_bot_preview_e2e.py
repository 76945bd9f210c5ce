"""The instant preview end to end: the real bot and its preview lane against the fake Discord,
with a real one-worker engine pool painting the full jobs."""

from __future__ import annotations

import asyncio
import io
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from bot_stories import (
    LIMITS,
    SIDE,
    WAIT,
    bot_config,
    long_jobs_ahead,
    picture,
    picture_size,
    private_answer,
    public_message,
    queued_job,
    result_message,
    running_bot,
    status_message,
    stylize,
    wait_for_result,
)
from fake_discord import Channel, FakeDiscord, Message
from PIL import Image

from bot.app import AtelierBot
from bot.lifecycle.preview_lane import INTRA_OP_THREADS, PreviewLane
from bot.messages import texts
from bot.messages.png_metadata import PREVIEW_QUALITY, text_of
from engine.images import decode_image
from engine.pool import EnginePool
from engine.preview import PreviewModel
from engine.preview.weights import TRANSFORMER, installed_model_dir
from engine.yiq import RGB_TO_YIQ

pytestmark = pytest.mark.asyncio(loop_scope="module")

PHOTO_SIDE = 512
ROOMY = replace(LIMITS, max_size=PHOTO_SIDE, max_input_bytes=2_000_000, max_input_pixels=10**6)


def instant_preview_shown(status: Message) -> bool:
    return any(
        texts.INSTANT_PREVIEW_CAPTION in revision.content
        and any(f.filename.endswith("preview.png") for f in revision.attachments)
        for revision in status.revisions
    )


async def photo_until_its_preview(fake: FakeDiscord) -> tuple[str, Channel, Message, float]:
    """A 512 px photo asked for; its job, thread and status message, and the seconds from the
    acknowledgement until the status message shows the instant preview."""
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
    return job_id, thread, status, asyncio.get_running_loop().time() - acknowledged


async def test_behind_two_jobs_the_preview_shows_within_two_seconds_and_the_png_follows(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    config = bot_config(fake, tmp_path, limits=replace(ROOMY, max_iterations=100_000))
    async with running_bot(fake, pool, config) as bot:
        ahead = await long_jobs_ahead(fake, "first", "second")
        job_id, thread, status, seconds = await photo_until_its_preview(fake)

        assert seconds < 2.0, f"the preview took {seconds:.2f} s after the acknowledgement"
        assert result_message(fake, thread, job_id) is None
        assert pool.running == 1 and (await bot.jobs.require(job_id)).state == "queued"
        for other in ahead:
            await bot.lifecycle.cancel(other, fake.member.id)

        result = await wait_for_result(fake, thread, job_id)
        (png,) = result.attachments
        assert picture_size(png) == (PHOTO_SIDE, PHOTO_SIDE)
        await fake.wait_for(lambda: "✅ Done" in status.content)
        assert status.attachments == [] and texts.INSTANT_PREVIEW_CAPTION not in status.content


async def test_the_first_preview_of_a_lone_job_shows_within_a_second_not_at_the_next_edit(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    # The real throttle: edits of the status message at most every 3 s, as deployed.
    config = bot_config(fake, tmp_path, limits=ROOMY, status_edit_seconds=3.0)
    async with running_bot(fake, pool, config):
        job_id, thread, _, seconds = await photo_until_its_preview(fake)

        assert seconds < 1.0, f"the first preview took {seconds:.2f} s after the acknowledgement"
        await wait_for_result(fake, thread, job_id)


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


def chroma(picture: Image.Image) -> np.ndarray:
    """The YIQ chroma (I and Q) of each pixel, of 255."""
    return np.asarray(picture.convert("RGB"), np.float32) @ RGB_TO_YIQ[1:].T


async def test_a_preview_with_the_contents_colours_keeps_them_and_its_png_says_how_it_was_made(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    async with running_bot(fake, pool, bot_config(fake, tmp_path)) as bot:
        asked = await stylize(
            fake, size=SIDE, quality="preview", preserve_colors=True, strength=3, brush=2.0
        )
        job_id = await queued_job(asked)
        thread = fake.thread_of(public_message(fake, fake.channel, job_id))
        result = await wait_for_result(fake, thread, job_id)

        (png,) = result.attachments
        painted = Image.open(io.BytesIO(png.data))
        job = await bot.jobs.require(job_id)
        content, style = decode_image(job.content_path), [decode_image(job.style_path)]
        # Every setting reached the network: the same picture as painting it directly.
        model, params = PreviewModel(threads=INTRA_OP_THREADS), job.request.style_params()
        assert np.array_equal(
            np.asarray(painted.convert("RGB")),
            np.asarray(model.stylize_with(content, style, params)),
        )
        # The content's colours: off only where light and colour together leave the RGB gamut.
        in_style_colours = model.stylize_with(
            content, style, replace(params, preserve_colors=False)
        )
        kept = np.abs(chroma(painted) - chroma(content)).mean()
        assert kept < np.abs(chroma(in_style_colours) - chroma(content)).mean() / 5 and kept < 3

        chunks = text_of(png.data)
        assert (
            chunks["Quality"] == PREVIEW_QUALITY and "not the full optimisation" in PREVIEW_QUALITY
        )
        assert (chunks["Preserve colors"], chunks["Strength"], chunks["Brush"]) == ("yes", "3", "2")
        assert (chunks["Atelier job"], chunks["Size"], chunks["Iterations"]) == (job_id, "40", "0")
        shown = await private_answer(await fake.slash_command("atelier show", {"job": job_id}))
        assert "Written in the PNG: " in shown and "Quality: preview: one pass" in shown


async def test_the_instant_preview_of_a_full_job_is_painted_with_the_members_settings(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    config = bot_config(fake, tmp_path, limits=replace(LIMITS, max_iterations=100_000))
    async with running_bot(fake, pool, config) as bot:
        asked = await stylize(
            fake, size=SIDE, iterations=100_000, preserve_colors=True, strength=8, brush=0.5
        )  # so many iterations that no snapshot of the engine's comes before the cancel
        job_id = await queued_job(asked)
        thread = fake.thread_of(public_message(fake, fake.channel, job_id))
        status = await fake.wait_for(lambda: status_message(fake, thread, job_id))
        await fake.wait_for(lambda: instant_preview_shown(status), timeout=WAIT)
        await bot.lifecycle.cancel(job_id, fake.member.id)

        (shown,) = next(r.attachments for r in status.revisions if r.attachments)
        job = await bot.jobs.require(job_id)
        content, style = decode_image(job.content_path), [decode_image(job.style_path)]
        model = PreviewModel(threads=INTRA_OP_THREADS)
        direct = model.stylize_with(content, style, job.request.style_params())
        assert np.array_equal(np.asarray(decode_image(shown.data)), np.asarray(direct))


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


async def test_a_spoilered_job_hides_its_previews_as_well_as_its_result(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    job_id = await queued_job(await stylize(fake, spoiler=True, iterations=6))
    request = public_message(fake, fake.channel, job_id)
    thread = fake.thread_of(request)
    status = await fake.wait_for(lambda: status_message(fake, thread, job_id))
    await wait_for_result(fake, thread, job_id)
    assert instant_preview_shown(status)
    shown = [
        f.filename
        for message in [request, *fake.messages_in(thread)]
        for revision in message.revisions
        for f in revision.attachments
    ]
    assert "SPOILER_preview.png" in shown
    assert all(name.startswith("SPOILER_") for name in shown), shown
