"""What no single member can take from everyone, end to end: the disk (a free-space floor, a
full disk met by a finished picture, follow-ups that share their pictures) and the bot's attention (a rate on commands and buttons).
The real bot against the fake Discord, with the real one-worker pool."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from bot_stories import (
    CONTENT,
    LIMITS,
    WAIT,
    bot_config,
    long_jobs_ahead,
    private_answer,
    public_message,
    queued_job,
    running_bot,
    status_message,
    stylize,
    wait_for_result,
)
from fake_discord import FakeDiscord

from bot.app import AtelierBot
from bot.store.database import Database
from bot.store.jobs import JobStore
from engine.pool import EnginePool

pytestmark = pytest.mark.asyncio(loop_scope="module")

MB = 1024 * 1024


async def test_a_disk_under_the_floor_refuses_new_jobs_with_a_sentence_and_keeps_nothing(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    floor_mb = shutil.disk_usage(tmp_path).free // MB + 1024  # the real disk, a floor above it
    config = bot_config(fake, tmp_path, min_free_disk_mb=floor_mb)
    async with running_bot(fake, pool, config):
        answer = await private_answer(await stylize(fake))
        assert answer.startswith("I'm low on disk space, so I'm not taking new jobs right now")
    assert not config.files_dir.exists() or not any(config.files_dir.iterdir())
    async with Database(config.database_path) as database:
        assert not any((await JobStore(database).counts_by_state()).values())


async def test_a_picture_finished_on_a_full_disk_ends_in_one_clear_failure_not_a_repaint(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    config = bot_config(fake, tmp_path, limits=replace(LIMITS, max_iterations=100_000))
    async with running_bot(fake, pool, config) as bot:
        (ahead,) = await long_jobs_ahead(fake, "long-painter")
        job_id = await queued_job(await stylize(fake))
        # The kernel's own "no space left on device": the result is written through this file.
        os.symlink("/dev/full", config.files_dir / job_id / "result.png.partial")
        ahead_status = status_message(
            fake, fake.thread_of(public_message(fake, fake.channel, ahead)), ahead
        )
        await fake.click(ahead_status, f"atelier:cancel:{ahead}", user=fake.moderator)

        thread = fake.thread_of(public_message(fake, fake.channel, job_id))
        not_kept = (
            "❌ Could not be kept: it was painted, but the bot's disk is full so the picture "
            "could not be saved. Please try again later (the bot's admin has been told)."
        )
        answer = f"<@{fake.member.id}> {not_kept} · job `{job_id}`"
        await fake.wait_for(
            lambda: any(m.content == answer for m in fake.messages_in(thread)), timeout=WAIT
        )
        status = status_message(fake, thread, job_id)
        assert status.content.endswith(not_kept) and not status.attachments
        job = await bot.jobs.require(job_id)
        assert job.state == "failed" and job.attempts == 1  # no repaint
        answers = [m for m in fake.messages_in(thread) if m.content == answer]
        assert len(answers) == 1 and not answers[0].attachments
    assert not (config.files_dir / job_id / "result.png").exists()
    assert not os.path.lexists(config.files_dir / job_id / "result.png.partial")


async def test_a_member_going_too_fast_is_told_when_to_try_again_and_others_are_not(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    config = bot_config(fake, tmp_path, member_actions_per_minute=2)
    async with running_bot(fake, pool, config):
        for _ in range(2):
            asked = await fake.slash_command("atelier queue", user=fake.member)
            assert await private_answer(asked) == "The queue is empty."
        third = await private_answer(await fake.slash_command("atelier queue", user=fake.member))
        assert third.startswith("You're going a bit fast: nothing was done this time. Try again in")
        assert third.endswith(" s.")

        refused = await private_answer(await stylize(fake, user=fake.member))
        assert refused.startswith("You're going a bit fast")
        other = await fake.add_member("patient-painter")
        job_id = await queued_job(await stylize(fake, user=other))

        status = status_message(
            fake, fake.thread_of(public_message(fake, fake.channel, job_id)), job_id
        )
        pressed = await fake.click(status, f"atelier:cancel:{job_id}", user=fake.member)
        assert (await private_answer(pressed)).startswith("You're going a bit fast")


async def test_run_again_shares_its_pictures_with_the_job_it_came_from_and_copies_nothing(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    job_id = await queued_job(await stylize(fake))
    thread = fake.thread_of(public_message(fake, fake.channel, job_id))
    result = await wait_for_result(fake, thread, job_id)
    again_id = await queued_job(
        await fake.click(result, f"atelier:again:{job_id}", user=fake.member)
    )
    first, again = await bot.jobs.require(job_id), await bot.jobs.require(again_id)
    for earlier, shared in ((first.content_path, again.content_path),
                            (first.style_path, again.style_path)):  # fmt: skip
        assert shared != earlier and os.path.samefile(shared, earlier)  # one file, two names
    await wait_for_result(fake, thread, again_id)

    deleted = await fake.click(result, f"atelier:delete:{job_id}", user=fake.member)
    assert (await private_answer(deleted)).startswith(f"Deleted job `{job_id}`")
    assert not bot.files.folder(job_id).exists()
    assert again.content_path.read_bytes() == CONTENT[0]  # still there for the follow-up
    assert os.stat(again.content_path).st_nlink == 1
