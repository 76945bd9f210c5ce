"""Each way the engine can fail a job, as the member meets it: the real bot on the fake Discord,
real worker processes painting on CPU, a real SQLite file. Every failure ends in one answer in
the job's thread, a sentence and no trace; the status message stops offering Cancel."""

from __future__ import annotations

import os
import signal
from dataclasses import replace
from pathlib import Path

import pytest
from bot_stories import (
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
from engine_pool import worker_pids
from fake_discord import Channel, FakeDiscord, Message
from waiting import eventually

from engine.pool import EnginePool

pytestmark = pytest.mark.asyncio(loop_scope="module")

ENDLESS = replace(LIMITS, max_iterations=100_000)


def thread_of(fake: FakeDiscord, job_id: str) -> Channel:
    return fake.thread_of(public_message(fake, fake.channel, job_id))


def answers(fake: FakeDiscord, where: Channel, job_id: str) -> list[Message]:
    """The job's answers: what the bot said to the member at the end, a result or a failure."""
    return [
        m
        for m in fake.messages_in(where)
        if m.content.startswith(f"<@{fake.member.id}>") and f"job `{job_id}`" in m.content
    ]


async def the_answer(fake: FakeDiscord, job_id: str) -> Message:
    thread = thread_of(fake, job_id)
    await fake.wait_for(lambda: answers(fake, thread, job_id), timeout=WAIT)
    status = status_message(fake, thread, job_id)
    await fake.wait_for(lambda: status.custom_ids == [], timeout=WAIT)
    (answer,) = answers(fake, thread, job_id)
    return answer


async def painting(fake: FakeDiscord, job_id: str) -> None:
    """Wait until the engine reports progress on the job."""
    status = status_message(fake, thread_of(fake, job_id), job_id)
    await fake.wait_for(lambda: "%" in status.content, timeout=WAIT)


async def test_a_job_over_the_engines_time_limit_is_stopped_and_the_member_told(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    async with (
        EnginePool(devices=["cpu"], workers=1, job_timeout=1.5) as strict,
        running_bot(fake, strict, bot_config(fake, tmp_path, limits=ENDLESS)) as bot,
    ):
        job_id = await queued_job(await stylize(fake, iterations=100_000))
        answer = await the_answer(fake, job_id)
        assert answer.content == (
            f"<@{fake.member.id}> ❌ Took too long and was stopped: the job took over 1.5 s "
            f"and was stopped · job `{job_id}`"
        )
        assert (await bot.jobs.require(job_id)).state == "failed"


async def test_a_painter_that_crashes_mid_job_says_so_and_the_next_job_paints(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    async with running_bot(fake, pool, bot_config(fake, tmp_path, limits=ENDLESS)):
        job_id = await queued_job(await stylize(fake, iterations=100_000))
        await painting(fake, job_id)
        for pid in worker_pids(pool):  # the kernel's OOM killer, a segfault in a native library
            os.kill(pid, signal.SIGKILL)
        answer = await the_answer(fake, job_id)
        assert answer.content == (
            f"<@{fake.member.id}> ❌ The painter crashed: the engine process stopped unexpectedly "
            f"while working on this job; try again · job `{job_id}`"
        )
        assert answer.attachments == []
        after = await queued_job(await stylize(fake))  # the pool starts a new painter
        await wait_for_result(fake, thread_of(fake, after), after)


async def test_a_picture_damaged_on_disk_before_painting_is_answered_as_unreadable(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    async with running_bot(fake, pool, bot_config(fake, tmp_path, limits=ENDLESS)) as bot:
        # Behind a long job, the next one's saved content picture loses its second half (a
        # failing disk, a restore from a torn backup) before a painter reads it.
        ahead = await queued_job(await stylize(fake, iterations=100_000))
        job_id = await queued_job(await stylize(fake))
        content = (await bot.jobs.require(job_id)).content_path
        data = content.read_bytes()
        content.write_bytes(data[: len(data) // 2])
        status = status_message(fake, thread_of(fake, ahead), ahead)
        await fake.click(status, f"atelier:cancel:{ahead}")
        answer = await the_answer(fake, job_id)
    assert answer.content == (
        f"<@{fake.member.id}> ❌ Could not read an input image: content image: the image file "
        f"is damaged or truncated · job `{job_id}`"
    )


async def test_with_the_engine_gone_a_new_job_is_answered_at_once_not_left_waiting(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    gone = EnginePool(devices=["cpu"], workers=1)
    async with gone, running_bot(fake, gone, bot_config(fake, tmp_path)) as bot:
        await gone.close()  # the engine shut down under a running bot
        job_id = await queued_job(await stylize(fake))
        answer = await the_answer(fake, job_id)
        assert answer.content == (
            f"<@{fake.member.id}> ❌ Failed: the engine is shutting down · job `{job_id}`"
        )
        assert (await bot.jobs.require(job_id)).state == "failed"


async def test_a_job_the_engines_full_queue_turns_away_waits_for_room_and_then_paints(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    # An engine with room for one waiting job (shared with other work, or smaller than the
    # bot's own queue cap): the third job meets its full queue and is tried again later.
    async with (
        EnginePool(devices=["cpu"], workers=1, max_queue=1) as small,
        running_bot(fake, small, bot_config(fake, tmp_path, limits=ENDLESS)),
    ):
        ahead, waiting = await long_jobs_ahead(fake, "painter-a", "painter-b")
        await painting(fake, ahead)
        turned_away = await queued_job(await stylize(fake))
        status = status_message(fake, thread_of(fake, turned_away), turned_away)
        await fake.wait_for(lambda: "Waiting for room in the queue" in status.content, WAIT)

        for job_id in (ahead, waiting):
            other = status_message(fake, thread_of(fake, job_id), job_id)
            await fake.click(other, f"atelier:cancel:{job_id}", user=fake.moderator)
        result = await wait_for_result(fake, thread_of(fake, turned_away), turned_away)
        assert result.attachments
        assert answers(fake, thread_of(fake, turned_away), turned_away) == [result]


async def test_a_stylize_while_the_queue_is_full_is_refused_and_taken_once_there_is_room(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    config = bot_config(fake, tmp_path, limits=ENDLESS, engine_max_queue=1)
    async with running_bot(fake, pool, config) as bot:
        (ahead,) = await long_jobs_ahead(fake, "painter-c")
        await painting(fake, ahead)
        (waiting,) = await long_jobs_ahead(fake, "painter-d")
        refused = await stylize(fake)
        assert await private_answer(refused) == (
            "The queue is full (1 jobs waiting); please try again later."
        )
        assert len(await bot.jobs.history(int(fake.guild.id), int(fake.member.id), 10)) == 0

        for job_id in (ahead, waiting):
            other = status_message(fake, thread_of(fake, job_id), job_id)
            await fake.click(other, f"atelier:cancel:{job_id}", user=fake.moderator)
        await eventually(lambda: bot.jobs.require(waiting), lambda job: job.state != "queued")
        again = await queued_job(await stylize(fake))
        await wait_for_result(fake, thread_of(fake, again), again)
