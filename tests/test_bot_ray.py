"""`python -m bot` with ENGINE_RAY_ADDRESS: the real bot, the fake Discord, a real one-node Ray
cluster on this machine (a fake GPU; the actor paints on the CPU). And the one-line exits when
the cluster cannot be used."""

from __future__ import annotations

import asyncio
import re
import signal
import sqlite3
import sys
from pathlib import Path

import pytest
from bot_process_env import bot_env, start_bot_process
from bot_stories import (
    WAIT,
    free_port,
    public_message,
    queued_job,
    status_message,
    stylize,
    wait_for_result,
)
from fake_discord import FakeDiscord
from motion_clips import DURATIONS, gif_bytes, panned
from waiting import eventually

from bot.config import EXIT_ENGINE_UNAVAILABLE
from bot.ops.backend import RAY_MISSING
from engine.motion import decode_clip

DEVICE = re.compile(r"on cpu of \S+ \(([0-9a-f]{8})\)")


@pytest.fixture(scope="module")
def cluster():
    from ray_cluster import ray, ray_cluster  # skips the cluster story where Ray is missing

    with ray_cluster(nodes=1) as cluster:
        ray.init(address=cluster.address, namespace="tests")  # to look at the bot's actors
        yield cluster


def ray_bot_env(fake: FakeDiscord, data_dir: Path, address: str) -> dict[str, str]:
    # The token Ray made for this machine's clusters, where Ray looks for it, as an admin
    # would set RAY_AUTH_TOKEN (the bot's HOME here is a fresh directory).
    token = Path.home() / ".ray" / "auth_token"
    auth = {"RAY_AUTH_TOKEN": token.read_text().strip()} if token.exists() else {}
    return bot_env(
        fake,
        data_dir,
        ENGINE_RAY_ADDRESS=address,
        RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0",  # the cluster is on 127.0.0.1 only
        **auth,
    )


async def test_on_a_ray_cluster_a_still_and_a_gif_are_painted_by_atelier_actors_and_parked_on_sigterm(
    fake_discord: FakeDiscord, cluster, tmp_path: Path
) -> None:
    from ray_cluster import atelier_actors

    fake = fake_discord
    log = tmp_path / "bot.log"
    bot = await start_bot_process(ray_bot_env(fake, tmp_path, cluster.address), log)
    try:
        await fake.wait_until_connected(timeout=WAIT)
        job_id = await queued_job(await stylize(fake, iterations=4))
        thread = fake.thread_of(public_message(fake, fake.channel, job_id))
        result = await wait_for_result(fake, thread, job_id)
        assert result.attachments[0].filename.endswith(".png")
        status = status_message(fake, thread, job_id)
        await fake.wait_for(lambda: "✅ Done" in status.content)
        node = DEVICE.search(status.content)[1]  # the status names the machine that painted it
        actors = atelier_actors()
        assert any(f"-{node}-" in name for name in actors), (status.content, actors)

        gif = (gif_bytes(panned(4, side=32), DURATIONS[:4]), "walk.gif")
        moving = await queued_job(await stylize(fake, content=gif, size=32, iterations=4))
        thread = fake.thread_of(public_message(fake, fake.channel, moving))
        (painted,) = (await wait_for_result(fake, thread, moving)).attachments
        clip = decode_clip(painted.data)
        assert painted.filename.endswith(".gif") and clip.durations_ms == DURATIONS[:4]

        parked = await queued_job(await stylize(fake, iterations=50))
        status = status_message(
            fake, fake.thread_of(public_message(fake, fake.channel, parked)), parked
        )
        await fake.wait_for(lambda: "%" in status.content, timeout=WAIT)
    finally:
        bot.send_signal(signal.SIGTERM)
        exit_code = await asyncio.wait_for(bot.wait(), WAIT)

    assert exit_code == 0, log.read_text()
    database = sqlite3.connect(tmp_path / "data" / "atelier.sqlite3")
    (state,) = database.execute("SELECT state FROM jobs WHERE id = ?", (parked,)).fetchone()
    assert state == "queued"  # back in line for the next start, not failed
    await eventually(lambda: atelier_actors() == [], timeout=WAIT)  # owned by the bot: gone with it


async def test_an_unreachable_ray_cluster_stops_the_bot_with_one_clear_line(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    address = f"127.0.0.1:{free_port()}"
    log = tmp_path / "bot.log"
    bot = await start_bot_process(ray_bot_env(fake_discord, tmp_path, address), log)

    assert await asyncio.wait_for(bot.wait(), WAIT) == EXIT_ENGINE_UNAVAILABLE
    (line,) = [line for line in log.read_text().splitlines() if "CRITICAL" in line]
    assert f"cannot reach the Ray cluster at {address}: " in line
    assert "Traceback" not in log.read_text()


async def test_without_ray_installed_the_bot_says_how_to_install_it(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    env = ray_bot_env(fake_discord, tmp_path, "127.0.0.1:6379")
    hide_ray = (
        "import runpy, sys; sys.modules['ray'] = None; runpy.run_module('bot', run_name='__main__')"
    )
    log = tmp_path / "bot.log"
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-c", hide_ray, cwd=env["HOME"], env=env,
        stdout=log.open("ab"), stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip

    assert await asyncio.wait_for(bot.wait(), WAIT) == EXIT_ENGINE_UNAVAILABLE
    assert RAY_MISSING in log.read_text()
    assert "Traceback" not in log.read_text()
