"""The bot end to end: the real discord.py client in AtelierBot against the fake Discord, with a
real one-worker engine pool on CPU painting tiny pictures.

One fake Discord and one pool serve the whole module (a worker loads VGG-19 once); every test
starts its own bot on its own data directory, as a restarted bot would.
"""

from __future__ import annotations

import asyncio
import io
import os
import signal
import sqlite3
from dataclasses import replace
from pathlib import Path

import aiohttp
import discord
import pytest
import yarl
from bot_process_env import admin_command, answered, bot_env, start_bot_process
from bot_stories import (
    JOB_ID,
    LIMITS,
    SIDE,
    WAIT,
    bot_config,
    free_port,
    picture_size,
    private_answer,
    public_message,
    queued_job,
    result_message,
    running_bot,
    showed,
    status_message,
    stylize,
    wait_for_result,
)
from fake_discord import FakeDiscord
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families
from waiting import eventually

from bot.app import AtelierBot
from bot.config import EXIT_LOGIN_REJECTED
from bot.rules.request import StyleRequest
from bot.store.database import Database
from bot.store.job_files import JobFiles
from bot.store.job_rows import NewJob
from bot.store.jobs import JobStore
from engine.pool import EnginePool

pytestmark = pytest.mark.asyncio(loop_scope="module")
# ---------------------------------------------------------------------------------------------
# Stories
# ---------------------------------------------------------------------------------------------


async def test_stylize_paints_in_a_thread_with_live_progress_and_posts_the_png(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    port = free_port()
    config = bot_config(fake, tmp_path, health_port=port, health_host="127.0.0.1")
    async with running_bot(fake, pool, config):
        asked = await stylize(fake, size=SIDE, iterations=6, seed=7)
        await asked.wait_for_ack()
        assert asked.deferred and asked.ack_seconds < 3
        job_id = await queued_job(asked)

        public = public_message(fake, fake.channel, job_id)
        assert public is not None and "queued job" in public.content
        assert sorted(f.filename for f in public.attachments) == ["content.png", "style.png"]
        thread = fake.thread_of(public)
        assert thread is not None and job_id in thread.name

        result = await wait_for_result(fake, thread, job_id)
        assert result.content.startswith(f"<@{fake.member.id}> your painting is ready")
        assert f"{SIDE}×{SIDE} px · 6 iterations" in result.content
        (png,) = result.attachments
        assert png.filename.endswith(".png") and picture_size(png) == (SIDE, SIDE)
        assert {
            "atelier:again:",
            "atelier:stronger:",
            "atelier:weaker:",
            "atelier:upscale:",
            "atelier:variations:",
            "atelier:delete:",
        } == {cid.removesuffix(job_id) for cid in result.custom_ids}

        status = status_message(fake, thread, job_id)
        assert showed(status, lambda text: "%" in text and "scale 1/1" in text)
        assert any(f.filename == "preview.png" for r in status.revisions for f in r.attachments)
        await fake.wait_for(lambda: "✅ Done" in status.content)
        assert status.custom_ids == []  # no Cancel button once it is over
        assert "✅ Done" in fake.message(public.id).content

        refused = await stylize(fake, content=(b"just words", "notes.txt", "text/plain"))
        assert "is not an image" in await private_answer(refused)

        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as health:
                assert health.status == 200
                assert (
                    await health.text()
                    == "gateway connected, engine alive: 1 of 1 engine workers ready\n"
                )
            # Jobs by state are counted in the background every 15 s, as Prometheus scrapes.
            done = ("atelier_jobs", (("state", "done"),))
            samples = await eventually(
                lambda: scraped(http, port), lambda s: s.get(done) == 1, timeout=40
            )
        assert samples[("atelier_jobs_ended_total", (("failure", ""), ("outcome", "done")))] == 1
        assert samples[("atelier_requests_refused_total", (("reason", "not_an_image"),))] == 1
        assert samples[("atelier_engine_seconds_total", (("device", "cpu"),))] > 0
        assert samples[("atelier_job_duration_seconds_count", ())] == 1
        assert samples[("atelier_delivery_retries_total", ())] == 0
        assert samples[("atelier_gateway_connected", ())] == 1
        assert samples[("process_resident_memory_bytes", ())] > 0
        assert samples[("process_cpu_seconds_total", ())] > 0


async def scraped(
    http: aiohttp.ClientSession, port: int
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample /metrics serves, by name and labels."""
    async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
        assert response.content_type == "text/plain"
        text = await response.text()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_with_only_an_api_base_the_bot_asks_it_for_the_gateway(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    socket_class = discord.gateway.DiscordWebSocket
    socket_class.DEFAULT_GATEWAY = yarl.URL("ws://127.0.0.1:9/nothing-listens-here")
    config = bot_config(fake, tmp_path, gateway_url=None)
    try:
        async with running_bot(fake, pool, config):
            assert any(r.path == "/api/v10/gateway/bot" for r in fake.requests)
    finally:
        socket_class.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)


@pytest.mark.parametrize(
    ("content", "answer"),
    [
        ((b"just some words", "notes.txt", "text/plain"), "`notes.txt` is not an image"),
        ((bytes(90_000), "huge.png", "image/png"), "`huge.png` is 90 KB; the limit is 60 KB"),
        ((b"\x89PNG\r\n\x1a\n but not really", "broken.png", "image/png"), "could not be read"),
    ],
    ids=["not-an-image", "too-many-bytes", "unreadable"],
)
async def test_bad_input_gets_a_private_specific_answer_and_nothing_is_queued(
    fake: FakeDiscord, bot: AtelierBot, content: tuple[bytes, str, str], answer: str
) -> None:
    before = len(fake.messages_in(fake.channel))
    asked = await stylize(fake, content=content)
    assert answer in await private_answer(asked)
    assert len(fake.messages_in(fake.channel)) == before
    assert await bot.jobs.counts_by_state() == dict.fromkeys(
        ("queued", "running", "done", "failed", "cancelled"), 0
    )


async def test_a_picture_with_too_many_pixels_is_refused_with_the_limit(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), "white").save(out, format="PNG")
    asked = await stylize(fake, style=(out.getvalue(), "wide.png"))
    answer = await private_answer(asked)
    assert "The style image `wide.png` is 300×200 (60,000 pixels)" in answer
    assert "the limit is 10,000 pixels" in answer
    assert await bot.jobs.active() == []


async def test_settings_are_shown_to_moderators_only_and_refused_to_members_anyway(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    admin = fake.command("atelier-admin") or fake.command("atelier-admin", fake.guild)
    assert int(admin["default_member_permissions"]) == discord.Permissions(manage_guild=True).value
    # A member an admin let into /atelier-admin (Server Settings → Integrations) still cannot
    # change the settings: the bot checks the permission itself.
    asked = await fake.slash_command(
        "atelier-admin settings", {"max_iterations": 1}, user=fake.member
    )
    assert "Only members with the **Manage Server** permission" in await private_answer(asked)
    settings = await bot.guild_settings.get(int(fake.guild.id))
    assert settings.max_iterations is None


async def test_a_reset_asked_with_a_refused_change_leaves_the_settings_as_they_were(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    guild_id = int(fake.guild.id)
    capped = await fake.slash_command(
        "atelier-admin settings", {"max_iterations": 2}, user=fake.moderator
    )
    assert (await private_answer(capped)).startswith("Saved.")
    asked = await fake.slash_command(
        "atelier-admin settings",
        {"reset": True, "max_iterations": 5, "default_iterations": 6},
        user=fake.moderator,
    )
    assert await private_answer(asked) == (
        "Not changed: default iterations (6) cannot be above max iterations (5)."
    )
    assert (await bot.guild_settings.get(guild_id)).max_iterations == 2
    assert len(await bot.guild_settings.audit(guild_id)) == 1  # only the first change


async def test_stylize_works_only_in_the_channels_a_moderator_allowed(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    art = await fake.add_text_channel("art")
    asked = await fake.slash_command(
        "atelier-admin settings", {"allow_channel": art}, user=fake.moderator
    )
    assert f"allowed in: <#{art.id}>" in await private_answer(asked)
    refused = await stylize(fake, channel=fake.channel)
    assert f"not allowed in this channel on this server. Use <#{art.id}>." in (
        await private_answer(refused)
    )
    assert await bot.jobs.active() == []
    allowed = await queued_job(await stylize(fake, channel=art))
    await wait_for_result(fake, fake.thread_of(public_message(fake, art, allowed)), allowed)
    assert [
        job.id for job in await bot.jobs.history(int(fake.guild.id), int(fake.member.id), 9)
    ] == [allowed]


async def test_a_moderators_limit_clamps_a_request_and_the_member_is_told(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    asked = await fake.slash_command(
        "atelier-admin settings", {"max_iterations": 2}, user=fake.moderator
    )
    answer = await private_answer(asked)
    assert answer.startswith("Saved.") and "Max iterations: **2**" in answer
    (change,) = await bot.guild_settings.audit(int(fake.guild.id))
    assert change.user_id == int(fake.moderator.id)
    assert change.changes == {"max_iterations": (None, 2)}

    job_id = await queued_job(await stylize(fake, iterations=5))
    thread = fake.thread_of(public_message(fake, fake.channel, job_id))
    assert "ℹ️ iterations capped at 2 by this server" in status_message(fake, thread, job_id).content
    result = await wait_for_result(fake, thread, job_id)
    assert "· 2 iterations ·" in result.content


async def test_over_the_servers_job_limit_a_member_waits_and_only_the_owner_cancels(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    endless = replace(LIMITS, max_iterations=100_000)
    # A long job edits its status for a while: at a pace Discord's edit limit allows.
    config = bot_config(fake, tmp_path, limits=endless, status_edit_seconds=1.0)
    async with running_bot(fake, pool, config) as bot:
        await private_answer(
            await fake.slash_command(
                "atelier-admin settings", {"jobs_per_member": 1}, user=fake.moderator
            )
        )
        job_id = await queued_job(await stylize(fake, iterations=100_000))
        thread = fake.thread_of(public_message(fake, fake.channel, job_id))
        status = status_message(fake, thread, job_id)
        await fake.wait_for(lambda: "%" in status.content, timeout=WAIT)

        second = await stylize(fake)
        assert "this server allows 1 at once" in await private_answer(second)
        queue = await private_answer(await fake.slash_command("atelier queue"))
        assert queue.startswith(f"You are #1 of 1.\n1. `{job_id}` · <@{fake.member.id}> · 🎨 ")
        assert "%" in queue

        bystander = await fake.add_member("bystander")
        denied = await fake.click(status, f"atelier:cancel:{job_id}", user=bystander)
        assert await private_answer(denied) == (
            f"Only the author of job `{job_id}` (<@{fake.member.id}>) or a moderator can cancel it."
        )
        assert (await bot.jobs.require(job_id)).state == "running"

        cancel = await fake.click(status, f"atelier:cancel:{job_id}", user=fake.member)
        assert await private_answer(cancel) == f"Job `{job_id}` cancelled."
        await fake.wait_for(lambda: f"🚫 Cancelled by <@{fake.member.id}>" in status.content)
        assert (await bot.jobs.require(job_id)).state == "cancelled"
        assert result_message(fake, thread, job_id) is None
        await fake.wait_for(lambda: pool.running == 0)


async def test_without_thread_permission_the_job_carries_on_as_replies_and_fits_the_limit(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    guild = await fake.add_guild("No Threads Here")
    await fake.forbid_threads(guild)
    fake.set_upload_limit(64 * 1024 + 600, guild)
    painter = await fake.add_member("painter", guild=guild)
    general = fake.state.channels[guild.channel_ids[0]]

    job_id = await queued_job(await stylize(fake, user=painter, channel=general))
    public = public_message(fake, general, job_id)
    assert fake.thread_of(public) is None
    assert [t for t in fake.threads if t.parent_id == general.id] == []
    status = status_message(fake, general, job_id)
    assert status.message_reference["message_id"] == public.id

    result = await wait_for_result(fake, general, job_id)
    (file,) = result.attachments
    assert file.filename.endswith(".webp") and file.size <= 600
    assert "over this server's" in result.content
    assert max(picture_size(file)) <= 32


async def test_in_direct_messages_the_job_carries_on_as_replies(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    dm = fake.dm_channel(fake.member)
    job_id = await queued_job(await stylize(fake, channel=dm))
    public = public_message(fake, dm, job_id)
    status = status_message(fake, dm, job_id)
    assert status.message_reference["message_id"] == public.id
    result = await wait_for_result(fake, dm, job_id)
    assert picture_size(result.attachments[0]) == (32, 32)


async def test_a_result_sent_just_before_a_crash_is_not_sent_again_and_buttons_still_work(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    config = bot_config(fake, tmp_path)
    async with running_bot(fake, pool, config):
        job_id = await queued_job(await stylize(fake))
        thread = fake.thread_of(public_message(fake, fake.channel, job_id))
        result = await wait_for_result(fake, thread, job_id)
    # The bot died after Discord took the message but before the database heard of it.
    with sqlite3.connect(config.database_path) as db:
        db.execute("UPDATE jobs SET posted = 0, result_message_id = NULL WHERE id = ?", (job_id,))

    async with running_bot(fake, pool, config) as bot:
        job = await eventually(lambda: bot.jobs.require(job_id), lambda job: job.posted)
        assert job.result_message_id == int(result.id)
        again = await fake.click(result, f"atelier:again:{job_id}")
        new_id = await queued_job(again)
        await wait_for_result(fake, thread, new_id)
    results = [m for m in fake.messages_in(thread) if "your painting is ready" in m.content]
    assert [JOB_ID.search(m.content)[1] for m in results] == [job_id, new_id]


async def test_a_job_the_bot_died_on_three_times_is_given_up_and_the_member_told(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    config = bot_config(fake, tmp_path)
    database = await Database(config.database_path).open()
    jobs = JobStore(database)
    content, style = await JobFiles(config.files_dir).save_inputs("dead0001", b"c", b"s")
    request = StyleRequest(iterations=3, size=32, strength=5, preserve_colors=False, seed=1)
    member, channel = int(fake.member.id), int(fake.channel.id)
    await jobs.create(
        NewJob("dead0001", int(fake.guild.id), channel, member, request, (), content, style, 10**7)
    )
    for _ in range(3):
        await jobs.begin_attempt("dead0001")  # and each time, the bot died
    await database.close()

    async with running_bot(fake, pool, config):
        failure = await fake.wait_for(
            lambda: next(
                (m for m in fake.messages_in(fake.channel) if "job `dead0001`" in m.content), None
            )
        )
    assert failure.content == (
        f"<@{member}> ❌ Failed: it was interrupted 3 times, so I gave up on it · job `dead0001`"
    )


@pytest.mark.usefixtures("without_nonce_window")
async def test_a_backup_taken_while_a_job_runs_restores_into_a_bot_that_posts_it_once(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    long_jobs = replace(LIMITS, max_iterations=100_000)
    live = bot_config(fake, tmp_path / "live", limits=long_jobs)
    archive = tmp_path / "atelier-backup.tar.gz"
    async with running_bot(fake, pool, live) as bot:
        job_id = await queued_job(await stylize(fake, iterations=100))
        thread = fake.thread_of(public_message(fake, fake.channel, job_id))
        status = status_message(fake, thread, job_id)
        await fake.wait_for(lambda: "%" in status.content, timeout=WAIT)
        # The admin's command, in its own process, while the bot writes progress to the database.
        await admin_command("backup", str(archive), data_dir=live.data_dir)
        assert (await bot.jobs.require(job_id)).state == "running"
    # The server is lost before the job finished; its backup goes onto a new one.
    assert result_message(fake, thread, job_id) is None

    restored = bot_config(fake, tmp_path / "new-server", limits=long_jobs)
    output = await admin_command("restore", str(archive), data_dir=restored.data_dir)
    assert "1 jobs, 2 image files" in output

    async with running_bot(fake, pool, restored) as bot:
        result = await wait_for_result(fake, thread, job_id)
        assert "· 100 iterations ·" in result.content
        await eventually(lambda: bot.jobs.require(job_id), lambda job: job.posted)
    results = [m for m in fake.messages_in(thread) if "your painting is ready" in m.content]
    assert results == [result]


# ---------------------------------------------------------------------------------------------
# `python -m bot` as a process: exit codes, SIGKILL mid-job and restart, SIGTERM.
# ---------------------------------------------------------------------------------------------


@pytest.mark.discord_refusals(status=401)
async def test_a_rejected_token_exits_with_a_clear_message(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    process = await start_bot_process(
        bot_env(fake, tmp_path, DISCORD_TOKEN="not-the-right-token"), log
    )
    assert await asyncio.wait_for(process.wait(), 60) == EXIT_LOGIN_REJECTED
    assert "Discord rejected DISCORD_TOKEN" in log.read_text()


@pytest.mark.usefixtures("without_nonce_window")
async def test_a_bot_killed_mid_job_resumes_after_restart_and_posts_once(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    env = bot_env(fake, tmp_path)
    log = tmp_path / "bot.log"
    first = await start_bot_process(env, log)
    try:
        await fake.wait_until_connected(timeout=WAIT)
        job_id = await queued_job(await stylize(fake, iterations=12))
        thread = fake.thread_of(public_message(fake, fake.channel, job_id))
        status = status_message(fake, thread, job_id)
        await fake.wait_for(lambda: "%" in status.content, timeout=WAIT)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        await first.wait()
    assert result_message(fake, thread, job_id) is None

    second = await start_bot_process(env, log)
    try:
        result = await wait_for_result(fake, thread, job_id)
        assert "· 12 iterations ·" in result.content
        await answered(env, job_id)  # nothing more is sent for it after this
    finally:
        second.send_signal(signal.SIGTERM)
        exit_code = await asyncio.wait_for(second.wait(), 60)
    assert exit_code == 0  # SIGTERM is a clean stop
    results = [m for m in fake.messages_in(thread) if "your painting is ready" in m.content]
    assert results == [result]
    assert fake.token not in log.read_text()
