"""Nothing lost: every accepted job ends with exactly one answer, whatever Discord, the disk or
the bot itself does meanwhile. The real bot against the fake Discord with injected faults, and
`python -m bot` processes killed with SIGKILL at chosen points of a job's life.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from bot_process_env import answered, bot_env, start_bot_process
from bot_stories import (
    JOB_ID,
    WAIT,
    bot_config,
    private_answer,
    public_message,
    queued_job,
    result_message,
    running_bot,
    status_message,
    stylize,
    wait_for_result,
)
from engine_images import png
from fake_discord import Channel, FakeDiscord, Message
from fake_discord.fake import NONCE_WINDOW
from fake_discord.permissions import (
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
)
from waiting import eventually

from bot.config import EXIT_ALREADY_RUNNING
from bot.lifecycle.retry import RetryPolicy
from engine.pool import EnginePool

pytestmark = pytest.mark.asyncio(loop_scope="module")

# Retry fast, so a short outage is noticed as soon as it ends.
QUICK = RetryPolicy(first_delay=0.2, max_delay=1.0)
# One honest outage of the length the issue names; shorten it locally with the variable.
OUTAGE_SECONDS = float(os.environ.get("ATELIER_TEST_OUTAGE_SECONDS", "30"))
POSTS = r"/channels/\d+/messages$"  # sending a message anywhere
EDITS = r"/channels/\d+/messages/\d+$"  # editing one


@pytest.fixture(autouse=True)
def healthy_discord(fake: FakeDiscord):
    yield
    fake.heal()


def results_in(fake: FakeDiscord, where: Channel, job_id: str) -> list[Message]:
    return [
        m
        for m in fake.messages_in(where)
        if f"job `{job_id}`" in m.content and "your painting is ready" in m.content
    ]


# ---------------------------------------------------------------------------------------------
# Discord on a bad day
# ---------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("without_nonce_window")
async def test_an_outage_while_the_result_is_posted_ends_in_one_result_without_a_restart(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    # The third message the job sends (after the public request and the status) is its result:
    # that is when Discord goes down, REST and all, for OUTAGE_SECONDS.
    outage = fake.fail(
        "outage", method="POST", path=POSTS, skip=2, seconds=OUTAGE_SECONDS, everything=True
    )
    async with running_bot(fake, pool, bot_config(fake, tmp_path), retry=QUICK) as bot:
        job_id = await queued_job(await stylize(fake, iterations=6))
        thread = fake.thread_of(public_message(fake, fake.channel, job_id))
        await fake.wait_for(lambda: outage.started, timeout=WAIT)
        assert result_message(fake, thread, job_id) is None

        result = await wait_for_result(fake, thread, job_id)
        assert time.monotonic() - outage.started >= OUTAGE_SECONDS
        assert outage.hits >= 3, "the bot kept trying through the outage"
        job = await eventually(lambda: bot.jobs.require(job_id), lambda job: job.posted)
        assert job.result_message_id == int(result.id)
        assert job.delivery_note == "thread"
    assert results_in(fake, thread, job_id) == [result]  # the bot is stopped: nothing more comes


@pytest.mark.usefixtures("without_nonce_window")
async def test_dropped_connections_on_the_result_post_still_post_it_once(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    # First the connection drops before Discord sees the post; then Discord takes the post but
    # the answer is lost on the way back, so the bot cannot know it got through.
    seen = len(fake.requests)
    fake.fail("drop", method="POST", path=POSTS, skip=2, times=1)
    fake.fail("drop_after", method="POST", path=POSTS, skip=2, times=1)
    async with running_bot(fake, pool, bot_config(fake, tmp_path), retry=QUICK) as bot:
        job_id = await queued_job(await stylize(fake))
        thread = fake.thread_of(public_message(fake, fake.channel, job_id))
        result = await wait_for_result(fake, thread, job_id)
        await eventually(lambda: bot.jobs.require(job_id), lambda job: job.posted)
    assert results_in(fake, thread, job_id) == [result]  # the bot is stopped: nothing more comes
    assert [r.fault for r in fake.requests[seen:] if r.fault] == ["drop", "drop_after"]


async def test_429s_on_progress_edits_slow_the_status_but_the_job_finishes(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    seen = len(fake.requests)
    fake.fail("rate_limited", method="PATCH", path=EDITS, times=8, retry_after=0.2)
    async with running_bot(fake, pool, bot_config(fake, tmp_path)):
        job_id = await queued_job(await stylize(fake, iterations=6))
        thread = fake.thread_of(public_message(fake, fake.channel, job_id))
        await wait_for_result(fake, thread, job_id)
        status = status_message(fake, thread, job_id)
        await fake.wait_for(lambda: "✅ Done" in status.content, timeout=WAIT)
    assert [r.fault for r in fake.requests[seen:] if r.fault] == ["rate_limited"] * 8


async def test_an_outage_longer_than_the_jobs_useful_life_is_given_up_and_recorded(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    fake.fail("outage", method="POST", path=POSTS, skip=2, seconds=20, everything=True)
    brief = RetryPolicy(max_age=1.0, first_delay=0.2, max_delay=0.5)
    async with running_bot(fake, pool, bot_config(fake, tmp_path), retry=brief) as bot:
        job_id = await queued_job(await stylize(fake))
        job = await eventually(lambda: bot.jobs.require(job_id), lambda job: job.posted, WAIT)
        assert (job.state, job.delivery_note) == ("done", "gave up: Discord kept failing")
        assert job.result_message_id is None


async def test_when_the_thread_is_closed_to_the_bot_the_result_goes_to_the_channel(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    async with running_bot(fake, pool, bot_config(fake, tmp_path)) as bot:
        job_id = await queued_job(await stylize(fake, iterations=6))
        thread = fake.thread_of(public_message(fake, fake.channel, job_id))
        await fake.moderate_thread(thread, locked=True)  # the bot may no longer post there
        result = await wait_for_result(fake, fake.channel, job_id)
        assert result.content.startswith("(I could not post in the job's thread any more.) <@")
        assert results_in(fake, thread, job_id) == []
        job = await eventually(lambda: bot.jobs.require(job_id), lambda job: job.posted)
        assert (job.delivery_note, job.delivered_to) == ("parent channel", int(fake.channel.id))

        # Delete finds the result where it really went, not in the thread.
        deleted = await fake.click(result, f"atelier:delete:{job_id}", user=fake.member)
        assert await private_answer(deleted) == (
            f"Deleted job `{job_id}`: its result message and its pictures are gone."
        )
        assert fake.message(result.id).deleted


async def test_a_result_whose_answer_was_lost_is_not_sent_twice_while_history_is_hidden(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    # Discord takes the result but the answer is lost; a moderator has meanwhile taken Read
    # Message History from the bot, so the channel's history reads empty. Long past Discord's
    # nonce memory, only the history can say whether the result is already there.
    fake.nonce_window = 0
    channel = await fake.add_text_channel("history-hidden")
    lost = fake.fail("drop_after", method="POST", path=POSTS, skip=2, times=1)
    config = bot_config(fake, tmp_path)
    try:
        async with running_bot(fake, pool, config, retry=QUICK, supervise_seconds=0.2) as bot:
            job_id = await queued_job(await stylize(fake, channel=channel, iterations=6))
            thread = fake.thread_of(public_message(fake, channel, job_id))
            status = status_message(fake, thread, job_id)
            await fake.set_permissions(channel, fake.bot_role(), deny=READ_MESSAGE_HISTORY)
            await fake.wait_for(lambda: lost.hits == 1, timeout=WAIT)

            def final_edits() -> int:
                return sum(
                    r.method == "PATCH" and r.path.endswith(f"/messages/{status.id}")
                    and "✅ Done" in str(r.body)
                    for r in fake.requests
                )  # fmt: skip

            # Tried again and again, yet nothing sent twice while the history is hidden.
            await fake.wait_for(lambda: final_edits() >= 3, timeout=WAIT)
            [result] = results_in(fake, thread, job_id)
            assert not (await bot.jobs.require(job_id)).posted
            await fake.set_permissions(channel, fake.bot_role())
            job = await eventually(lambda: bot.jobs.require(job_id), lambda job: job.posted, WAIT)
            assert (job.result_message_id, job.delivery_note) == (int(result.id), "thread")
        assert results_in(fake, thread, job_id) == [result]
        assert results_in(fake, channel, job_id) == []
    finally:
        fake.nonce_window = NONCE_WINDOW


@pytest.mark.discord_refusals(code=160005)  # the locked thread refuses the result
async def test_run_again_under_a_result_that_fell_back_to_the_channel_answers_there(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    channel = await fake.add_text_channel("fallback")
    async with running_bot(fake, pool, bot_config(fake, tmp_path)) as bot:
        job_id = await queued_job(await stylize(fake, channel=channel))
        thread = fake.thread_of(public_message(fake, channel, job_id))
        thread.locked = True  # the thread is gone for the bot: the result falls back
        result = await wait_for_result(fake, channel, job_id)

        again = await fake.click(result, f"atelier:again:{job_id}", user=fake.member)
        answer = await private_answer(again)
        assert answer.endswith(f"follow along in <#{channel.id}>."), answer
        new_id = JOB_ID.search(answer)[1]
        await wait_for_result(fake, channel, new_id)
        job = await eventually(lambda: bot.jobs.require(new_id), lambda job: job.posted, WAIT)
        assert (job.delivery_note, job.result_channel_id) == ("channel", int(channel.id))
    assert results_in(fake, thread, new_id) == []


async def test_a_result_lost_from_disk_is_answered_as_a_failure_not_retried_for_an_hour(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    # Delivery's first step after the job ends is to edit the request message in the channel:
    # held there, the finished picture can be taken away before delivery reads it.
    held = fake.fail("stall", method="PATCH", path=rf"/channels/{fake.channel.id}/messages/\d+$")
    async with running_bot(fake, pool, bot_config(fake, tmp_path), retry=QUICK) as bot:
        job_id = await queued_job(await stylize(fake, iterations=6))
        await fake.wait_for(lambda: held.started, timeout=WAIT)
        job = await bot.jobs.require(job_id)
        job.result_path.unlink()
        fake.heal(held)

        thread = fake.thread_of(public_message(fake, fake.channel, job_id))

        def answers() -> list[Message]:
            return [
                m
                for m in fake.messages_in(thread)
                if f"job `{job_id}`" in m.content and "could not be read back" in m.content
            ]

        await fake.wait_for(answers, timeout=WAIT)
        job = await eventually(lambda: bot.jobs.require(job_id), lambda job: job.posted)
        assert job.delivery_note == "thread"
        [answer] = answers()
        assert not answer.attachments and result_message(fake, thread, job_id) is None


async def test_when_thread_and_channel_are_closed_to_the_bot_the_result_comes_by_dm(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    guild = await fake.add_guild("Strict Moderators")
    painter = await fake.add_member("painter", guild=guild)
    general = fake.state.channels[guild.channel_ids[0]]
    async with running_bot(fake, pool, bot_config(fake, tmp_path)) as bot:
        job_id = await queued_job(await stylize(fake, user=painter, channel=general, iterations=6))
        thread = fake.thread_of(public_message(fake, general, job_id))
        await fake.moderate_thread(thread, locked=True)
        # and the bot may no longer talk in #general
        await fake.set_permissions(general, fake.bot_role(guild), deny=SEND_MESSAGES)
        await fake.set_permissions(general, guild, deny=SEND_MESSAGES)
        dm = fake.dm_channel(painter)
        result = await wait_for_result(fake, dm, job_id)
        assert result.content.startswith("(I could not post where you asked any more")
        job = await eventually(lambda: bot.jobs.require(job_id), lambda job: job.posted)
        assert (job.delivery_note, job.delivered_to) == ("direct message", int(dm.id))


# ---------------------------------------------------------------------------------------------
# Races and refusals at the door
# ---------------------------------------------------------------------------------------------


async def test_two_stylize_at_once_with_a_limit_of_one_make_one_job_and_one_refusal(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    async with running_bot(fake, pool, bot_config(fake, tmp_path)) as bot:
        await private_answer(
            await fake.slash_command(
                "atelier-admin settings", {"jobs_per_member": 1}, user=fake.moderator
            )
        )
        first, second = await asyncio.gather(stylize(fake), stylize(fake))
        answers = sorted([await private_answer(first), await private_answer(second)])
        assert answers[0].startswith("Queued as job"), answers
        assert "this server allows 1 at once" in answers[1], answers
        jobs = [*await bot.jobs.active(), *await bot.jobs.reservations()]
        await wait_for_result(
            fake, fake.thread_of(public_message(fake, fake.channel, jobs[0].id)), jobs[0].id
        )


async def test_a_job_id_drawn_twice_is_drawn_again_and_the_member_hears_queued(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    async with running_bot(fake, pool, bot_config(fake, tmp_path)) as bot:
        taken = await queued_job(await stylize(fake))
        assert len(taken) == 16  # 64 random bits
        draws = iter([taken, "00c0ffee00c0ffee"])
        bot.intake.new_id = lambda: next(draws)
        job_id = await queued_job(await stylize(fake))
        assert job_id == "00c0ffee00c0ffee"
        await wait_for_result(
            fake, fake.thread_of(public_message(fake, fake.channel, job_id)), job_id
        )
        assert (await bot.jobs.require(taken)).user_id == int(fake.member.id)


async def test_a_permission_lost_while_the_job_is_set_up_leaves_no_ghost_job(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    # The public message and its thread go out; then Discord refuses the status message.
    fake.fail("forbidden", method="POST", path=POSTS, skip=1, times=1)
    async with running_bot(fake, pool, bot_config(fake, tmp_path)) as bot:
        answer = await private_answer(await stylize(fake))
        assert answer.startswith("I could not post in this channel, so the job was not started.")
        assert await bot.jobs.active() == [] and await bot.jobs.to_resume() == []
        request = [m for m in fake.messages_in(fake.channel) if m.attachments][-1]
        assert "❌" in request.content and "did not start" in request.content
        job_id = JOB_ID.search(request.content)[1]
        assert list((tmp_path / "jobs").glob("*")) == []
    assert result_message(fake, fake.thread_of(request), job_id) is None  # nor after it stopped


async def test_without_read_message_history_the_member_hears_which_permission_is_missing(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    channel = await fake.add_text_channel("no-history")
    await fake.set_permissions(channel, fake.bot_role(), deny=READ_MESSAGE_HISTORY)
    async with running_bot(fake, pool, bot_config(fake, tmp_path)) as bot:
        answer = await private_answer(await stylize(fake, channel=channel))
        assert answer == (
            "I can't post results in this channel: I need the Read Message History permission "
            "here. Ask a moderator, or use another channel."
        )
        assert fake.messages_in(channel) == []
        assert await bot.jobs.reservations() == [] and await bot.jobs.active() == []


async def test_a_twelve_to_one_panorama_is_refused_with_a_sentence_about_its_shape(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    async with running_bot(fake, pool, bot_config(fake, tmp_path)) as bot:
        before = len(fake.messages_in(fake.channel))
        asked = await stylize(fake, content=(png(336, 28), "panorama.png"))
        answer = await private_answer(asked)
        assert answer.startswith("The content image is 336×28, too long and thin")
        assert "needs at least 16 px" in answer and "Crop it to at most about 2:1" in answer
        assert len(fake.messages_in(fake.channel)) == before
        assert await bot.jobs.counts_by_state() == dict.fromkeys(
            ("queued", "running", "done", "failed", "cancelled"), 0
        )
        assert list((tmp_path / "jobs").glob("*")) == []


async def test_a_full_disk_while_saving_inputs_is_refused_and_leaves_nothing_behind(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    jobs_dir = tmp_path / "jobs"
    jobs_dir.mkdir()
    # A real, tiny filesystem: one page, smaller than the two pictures.
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", str(jobs_dir)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        async with running_bot(fake, pool, bot_config(fake, tmp_path)) as bot:
            before = len(fake.messages_in(fake.channel))
            answer = await private_answer(await stylize(fake))
            assert answer.startswith("I'm out of disk space for new pictures, so the job was not")
            assert len(fake.messages_in(fake.channel)) == before
            assert await bot.jobs.counts_by_state() == dict.fromkeys(
                ("queued", "running", "done", "failed", "cancelled"), 0
            )
            assert await bot.jobs.reservations() == []
            assert list(jobs_dir.iterdir()) == []
    finally:
        subprocess.run(["umount", str(jobs_dir)], check=True)


async def test_without_send_messages_in_threads_no_empty_thread_is_left_behind(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    guild = await fake.add_guild("Threads But No Talking")
    await fake.forbid_threads(guild, SEND_MESSAGES_IN_THREADS)  # may open threads, not write
    painter = await fake.add_member("painter", guild=guild)
    general = fake.state.channels[guild.channel_ids[0]]
    async with running_bot(fake, pool, bot_config(fake, tmp_path)):
        job_id = await queued_job(await stylize(fake, user=painter, channel=general))
        await wait_for_result(fake, general, job_id)
    assert [t for t in fake.threads if t.parent_id == general.id] == []
    assert fake.thread_of(public_message(fake, general, job_id)) is None


async def test_a_cancel_asked_after_the_result_is_posted_finds_the_job_finished(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    async with running_bot(fake, pool, bot_config(fake, tmp_path)) as bot:
        job_id = await queued_job(await stylize(fake))
        thread = fake.thread_of(public_message(fake, fake.channel, job_id))
        await wait_for_result(fake, thread, job_id)
        # A Cancel press that was on its way while the last iteration ran:
        assert await bot.lifecycle.cancel(job_id, int(fake.member.id)) == "finished"
        assert (await bot.jobs.require(job_id)).state == "done"
        assert len(results_in(fake, thread, job_id)) == 1


@pytest.mark.usefixtures("without_nonce_window")
async def test_a_row_no_task_drives_is_picked_up_without_a_restart(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    config = bot_config(fake, tmp_path)
    async with running_bot(fake, pool, config, supervise_seconds=0.5) as bot:
        job_id = await queued_job(await stylize(fake))
        thread = fake.thread_of(public_message(fake, fake.channel, job_id))
        await wait_for_result(fake, thread, job_id)
        await eventually(lambda: bot.jobs.require(job_id), lambda job: job.posted)
        # As if a disk-full error had killed the job's task right after the row said "running":
        with sqlite3.connect(config.database_path) as db:
            db.execute(
                "UPDATE jobs SET state = 'running', posted = 0, posting_started_at = NULL, "
                "result_message_id = NULL, finished_at = NULL WHERE id = ?",
                (job_id,),
            )
        job = await eventually(lambda: bot.jobs.require(job_id), lambda job: job.posted, WAIT)
        assert job.state == "done"
    # Painted again, but the one result already in the thread was found, not posted twice.
    assert len(results_in(fake, thread, job_id)) == 1


async def test_job_folders_no_job_knows_are_swept_at_startup(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    orphan = tmp_path / "jobs" / "0rphan00"
    orphan.mkdir(parents=True)
    (orphan / "content.partial").write_bytes(b"half a picture")
    async with running_bot(fake, pool, bot_config(fake, tmp_path)):
        assert not orphan.exists()


# ---------------------------------------------------------------------------------------------
# `python -m bot` killed with SIGKILL at three points of one job's life; a second bot.
# ---------------------------------------------------------------------------------------------


async def kill(process: asyncio.subprocess.Process) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    await process.wait()


@pytest.mark.usefixtures("without_nonce_window")
@pytest.mark.parametrize(
    ("point", "posts_before"),
    [("after the row is written", 0), ("after the thread exists", 1), ("during the post", 2)],
)
async def test_a_bot_killed_at_any_point_of_a_job_answers_once_in_the_right_thread(
    fake: FakeDiscord, tmp_path: Path, point: str, posts_before: int
) -> None:
    env = bot_env(fake, tmp_path)
    log = tmp_path / "bot.log"
    channel = await fake.add_text_channel(f"killed-{posts_before}")
    first = await start_bot_process(env, log)
    # The bot's next message after `posts_before` others hangs in Discord until the bot is dead;
    # then Discord completes it, as it may for a request that was already on its way.
    stall = fake.fail("stall", method="POST", path=POSTS, skip=posts_before, times=1)
    try:
        await fake.wait_until_connected(timeout=WAIT)
        await stylize(fake, channel=channel, iterations=6)
        await fake.wait_for(lambda: stall.hits == 1, timeout=WAIT)
    finally:
        await kill(first)
    fake.heal(stall)

    second = await start_bot_process(env, log)
    try:
        public = await fake.wait_for(
            lambda: next((m for m in fake.messages_in(channel) if m.attachments), None),
            timeout=WAIT,
        )
        job_id = JOB_ID.search(public.content)[1]
        thread = await fake.wait_for(lambda: fake.thread_of(public), timeout=WAIT)
        result = await wait_for_result(fake, thread, job_id)
        await answered(env, job_id)  # nothing more is sent for it after this
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), 60)
    requests = [m for m in fake.messages_in(channel) if f"job `{job_id}`" in m.content]
    assert requests == [public], point
    assert [t for t in fake.threads if t.parent_id == channel.id] == [thread], point
    statuses = [m for m in fake.messages_in(thread) if f"Job `{job_id}`" in m.content]
    assert len(statuses) == 1 and "✅ Done" in statuses[0].content, point
    assert results_in(fake, thread, job_id) == [result], point


async def test_an_upgrade_while_the_result_uploads_posts_it_once_in_its_thread_after_restart(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    # `docker compose up -d` sends SIGTERM while the result's upload hangs in Discord.
    env = bot_env(fake, tmp_path)
    log = tmp_path / "bot.log"
    channel = await fake.add_text_channel("upgraded")
    first = await start_bot_process(env, log)
    stall = fake.fail("stall", method="POST", path=POSTS, skip=2, times=1)
    try:
        await fake.wait_until_connected(timeout=WAIT)
        job_id = await queued_job(await stylize(fake, channel=channel))
        await fake.wait_for(lambda: stall.hits == 1, timeout=WAIT)
    finally:
        first.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(first.wait(), 60) == 0
    # The first bot cancelled the post instead of falling back to the channel or a DM.
    assert stored(env, job_id, "state, posted, delivery_note") == ("done", 0, None)
    thread = fake.thread_of(public_message(fake, channel, job_id))
    fake.heal(stall)  # Discord completes the post it was holding, as it may
    result = await wait_for_result(fake, thread, job_id)

    second = await start_bot_process(env, log)
    try:
        await answered(env, job_id)  # nothing more is sent for it after this
    finally:
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), 60) == 0
    assert stored(env, job_id, "result_message_id, delivery_note") == (int(result.id), "thread")
    assert results_in(fake, thread, job_id) == [result]
    assert results_in(fake, channel, job_id) == []
    assert results_in(fake, fake.dm_channel(fake.member), job_id) == []


def stored(env: dict[str, str], job_id: str, columns: str) -> tuple[object, ...]:
    """Columns of a job's row, read from the bot process' database."""
    database = Path(env["ATELIER_DATA_DIR"]) / "atelier.sqlite3"
    with contextlib.closing(sqlite3.connect(database)) as db:
        return db.execute(f"SELECT {columns} FROM jobs WHERE id = ?", (job_id,)).fetchone()


async def test_a_job_that_kills_the_bot_before_painting_ends_as_one_failure_not_a_crash_loop(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    # Each start dies while working on the job's pictures, before the engine has them (as a
    # picture that crashes the thumbnailing would): after three, the job is given up.
    env = bot_env(fake, tmp_path)
    log = tmp_path / "bot.log"
    channel = await fake.add_text_channel("poison")
    dropped = fake.fail("drop", method="POST", path=rf"/channels/{channel.id}/messages$")
    for start in range(1, 4):
        bot = await start_bot_process(env, log)
        try:
            await fake.wait_until_connected(timeout=WAIT)
            if start == 1:
                await stylize(fake, channel=channel)
            await fake.wait_for(lambda n=start: dropped.hits >= n, timeout=WAIT)
        finally:
            await kill(bot)
    fake.heal(dropped)

    last = await start_bot_process(env, log)
    try:
        failure = await fake.wait_for(
            lambda: next((m for m in fake.messages_in(channel) if "job `" in m.content), None),
            timeout=WAIT,
        )
        job_id = JOB_ID.search(failure.content)[1]
        await answered(env, job_id)
    finally:
        last.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(last.wait(), 60) == 0
    assert failure.content == (
        f"<@{fake.member.id}> ❌ Failed: it was interrupted 3 times, so I gave up on it "
        f"· job `{job_id}`"
    )
    assert [m for m in fake.messages_in(channel) if f"job `{job_id}`" in m.content] == [failure]
    assert stored(env, job_id, "state, attempts") == ("failed", 3)


async def test_a_second_bot_on_the_same_data_directory_refuses_to_start(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    env = bot_env(fake, tmp_path)
    first = await start_bot_process(env, tmp_path / "first.log")
    try:
        await fake.wait_until_connected(timeout=WAIT)
        second_log = tmp_path / "second.log"
        second = await start_bot_process(env, second_log)
        assert await asyncio.wait_for(second.wait(), 60) == EXIT_ALREADY_RUNNING
        (line,) = second_log.read_text().splitlines()
        assert line.startswith(f"atelier: another Atelier (pid {first.pid}) is already running")
        assert first.returncode is None
    finally:
        first.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(first.wait(), 60) == 0
