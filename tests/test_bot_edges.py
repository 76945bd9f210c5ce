"""At the edges: pictures Atelier does not read, pictures larger than the engine's default cap,
and what the admin's health endpoint says and costs. The real bot against the fake Discord, a
real engine pool, a real SQLite file, and `python -m bot` where the start-up itself matters."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import threading
from pathlib import Path

import aiohttp
import pytest
from bot_process_env import answered, bot_env, start_bot_process
from bot_stories import (
    WAIT,
    bot_config,
    free_port,
    picture_size,
    private_answer,
    public_message,
    queued_job,
    running_bot,
    stylize,
    wait_for_result,
)
from engine_pool import child_worker_pids
from fake_discord import FakeDiscord
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families
from waiting import eventually

from bot.app import AtelierBot
from bot.config import Config
from engine.images import DEFAULT_MAX_PIXELS
from engine.pool import EnginePool

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


def gauges(exposition: str) -> dict[str, float]:
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if not sample.labels
    }


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


async def test_the_health_endpoint_listens_only_on_this_machine_unless_the_admin_opens_it() -> None:
    config = Config.from_env({"DISCORD_TOKEN": "x", "HEALTH_PORT": "8080"})
    assert config.health_host == "127.0.0.1"
    opened = Config.from_env({"DISCORD_TOKEN": "x", "HEALTH_HOST": "0.0.0.0"})
    assert opened.health_host == "0.0.0.0"


async def test_healthz_answers_while_the_database_is_busy(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    port = free_port()
    config = bot_config(fake, tmp_path, health_port=port)
    async with running_bot(fake, pool, config) as bot:
        healthz = f"http://127.0.0.1:{port}/healthz"
        await eventually(lambda: get(healthz), lambda answer: answer[0] == 200, WAIT)
        # The database's one thread is held (a long backup, a slow disk): /healthz and
        # /metrics must not queue behind it, however often they are asked.
        held = threading.Event()
        busy = asyncio.create_task(bot.jobs._db.run(lambda _: held.wait(WAIT)))
        try:
            for _ in range(20):
                status, line = await asyncio.wait_for(get(healthz), 10)
                assert status == 200, line
            status, exposition = await asyncio.wait_for(get(f"{healthz[:-8]}/metrics"), 10)
            assert status == 200 and "atelier_jobs{" in exposition
        finally:
            held.set()
            await busy
        assert line.startswith("gateway connected, engine alive: 1 of 1 engine workers ready")


async def test_while_an_engine_worker_cannot_start_healthz_says_why_and_metrics_count_the_tries(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    others = child_worker_pids()
    healing = EnginePool(devices=["cpu"], workers=1, respawn_backoff=0.1)
    async with healing, running_bot(fake, healing, bot_config(fake, tmp_path, health_port=port)):
        killed = others | child_worker_pids()
        for pid in killed - others:  # the kernel's OOM killer takes the worker…
            os.kill(pid, signal.SIGKILL)
        await eventually(lambda: child_worker_pids() - killed, timeout=WAIT)
        (loading,) = child_worker_pids() - killed
        os.kill(loading, signal.SIGKILL)  # …and its replacement while it loads
        killed.add(loading)

        answer = await eventually(
            lambda: get(f"{base}/metrics"),
            lambda answer: gauges(answer[1]).get("atelier_engine_failed_starts") == 1,
            WAIT,
        )
        assert gauges(answer[1])["atelier_engine_workers_ready"] == 0
        assert gauges(answer[1])["atelier_engine_workers_starting"] == 1
        assert await get(f"{base}/healthz") == (
            503,
            "gateway connected, engine down: 0 of 1 engine workers ready, 1 failed starts in a "
            "row (worker 0 could not start: the worker process exited with code -9)\n",
        )
        # The next one loads: healthy again, with nothing left to explain.
        await eventually(lambda: get(f"{base}/healthz"), lambda answer: answer[0] == 200, WAIT)
        answer = await get(f"{base}/metrics")
        assert gauges(answer[1])["atelier_engine_workers_ready"] == 1


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
