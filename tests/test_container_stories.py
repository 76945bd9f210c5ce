"""The image admins run, as docker-compose.yml runs it, against the fake Discord.

A real Docker engine runs the image built from this checkout (docker/build-image.sh: the layer
cache makes it quick where CI built it already), started with the settings of the compose file's
bot service (tests/compose_container.py). Skipped where no Docker engine answers; .ci/run starts one.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from compose_container import (
    BotService,
    Container,
    build_image,
    created,
    docker,
    engine_missing,
    one_off,
    volume,
)
from compose_container import env_file as admin_env_file
from engine_images import ASTRONAUT, HUBBLE, png_bytes, small
from fake_discord import Channel, FakeDiscord, Message

pytestmark = pytest.mark.asyncio(loop_scope="module")

SERVICE = BotService.from_compose()
WAIT = 240.0  # a container start loads PyTorch and VGG-19 on 2 shared cores
JOB_ID = re.compile(r"job `([0-9a-f]{16})`")
CONTENT = (png_bytes(small(ASTRONAUT, 40)), "astronaut.png")
STYLE = (png_bytes(small(HUBBLE, 40)), "hubble.png")
LONG_JOB = 40  # iterations: tens of seconds of painting here, time to interrupt it
# What the stories' database summary reads, inside the container, with the image's Python.
SUMMARY = """
import json, sqlite3
db = sqlite3.connect("/data/atelier.sqlite3")
print(json.dumps({
    "jobs": db.execute("SELECT id, state FROM jobs ORDER BY id").fetchall(),
    "settings": db.execute("SELECT * FROM guild_settings ORDER BY guild_id").fetchall(),
    "styles": db.execute("SELECT guild_id, name FROM styles ORDER BY name").fetchall(),
}))
"""


@pytest.fixture(scope="module")
def image() -> str:
    missing = engine_missing()
    if missing is not None:
        pytest.skip(f"container stories need a Docker engine: {missing}; .ci/run starts one")
    print(build_image(SERVICE.image))
    return SERVICE.image


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def env(fake: FakeDiscord, tmp_path: Path) -> Path:
    """The admin's .env: the example with the token (the fake's) and small limits filled in; its
    own health port, as the container shares this machine's network."""
    return admin_env_file(
        tmp_path / ".env",
        {
            **fake.env(),
            "HEALTH_PORT": str(free_port()),
            "ENGINE_DEVICES": "cpu",
            "ENGINE_WORKERS": "1",
            "DEFAULT_SIZE": "32",
            "MAX_SIZE": "48",
            "DEFAULT_ITERATIONS": "3",
            "MAX_ITERATIONS": str(LONG_JOB),
            "STATUS_EDIT_SECONDS": "0.2",
        },
    )


@pytest_asyncio.fixture(loop_scope="module")
async def data(image: str) -> AsyncIterator[str]:
    async with volume() as name:
        yield name


# --- What a member does and sees ------------------------------------------------------------


async def stylize(fake: FakeDiscord, channel: Channel, **options: object) -> str:
    asked = await fake.slash_command(
        "stylize", options, channel=channel, attachments={"content": CONTENT, "style": STYLE}
    )
    reply = await asked.wait_for_reply(timeout=60)
    assert reply.content.startswith("Queued as job"), reply.content
    return JOB_ID.search(reply.content)[1]


async def thread_of_job(fake: FakeDiscord, channel: Channel, job_id: str) -> Channel:
    public = await fake.wait_for(
        lambda: next(
            (m for m in fake.messages_in(channel) if f"job `{job_id}`" in m.content), None
        ),
        timeout=WAIT,
    )
    return await fake.wait_for(lambda: fake.thread_of(public), timeout=WAIT)


def results(fake: FakeDiscord, where: Channel, job_id: str) -> list[Message]:
    return [
        m
        for m in fake.messages_in(where)
        if f"job `{job_id}`" in m.content and "your painting is ready" in m.content
    ]


async def painted(fake: FakeDiscord, channel: Channel, job_id: str) -> tuple[Channel, Message]:
    thread = await thread_of_job(fake, channel, job_id)
    (result,) = await fake.wait_for(lambda: results(fake, thread, job_id), timeout=WAIT)
    return thread, result


async def painting(fake: FakeDiscord, channel: Channel, job_id: str) -> None:
    """Until the job's status in its thread shows the progress bar."""
    thread = await thread_of_job(fake, channel, job_id)
    await fake.wait_for(
        lambda: any(
            f"Job `{job_id}`" in m.content and "🎨" in m.content for m in fake.messages_in(thread)
        ),
        timeout=WAIT,
    )


def assert_answered_once(fake: FakeDiscord, channel: Channel, thread: Channel, job_id: str) -> None:
    statuses = [m for m in fake.messages_in(thread) if f"Job `{job_id}`" in m.content]
    assert len(statuses) == 1 and "✅ Done" in statuses[0].content, statuses
    assert len(results(fake, thread, job_id)) == 1
    assert [t for t in fake.threads if t.parent_id == channel.id and job_id in t.name] == [thread]
    assert results(fake, channel, job_id) == []


async def summary(bot: Container) -> dict[str, list]:
    return json.loads(await bot.exec("python", "-c", SUMMARY))


async def started(bot: Container, fake: FakeDiscord) -> None:
    await bot.start()
    await fake.wait_until_connected(timeout=WAIT)


# --- Stories ----------------------------------------------------------------------------------


async def test_the_compose_service_turns_healthy_and_answers_a_stylize_with_its_png(
    fake: FakeDiscord, data: str, env: Path
) -> None:
    async with created(SERVICE, data, env) as bot:
        await started(bot, fake)
        channel = await fake.add_text_channel("container")
        job_id = await stylize(fake, channel)
        _, result = await painted(fake, channel, job_id)
        (picture,) = result.attachments
        assert picture.data.startswith(b"\x89PNG\r\n\x1a\n")

        state = await bot.wait_for_health("healthy", timeout=WAIT)
        assert state["Health"]["Log"][-1]["Output"].strip() == (
            "200 gateway connected, engine alive: 1 of 1 engine workers ready"
        )
        assert (await bot.exec("id", "-u")).strip() == "10001"
        print(f"healthy after {len(state['Health']['Log'])} probe(s); {job_id} posted its PNG")


async def test_docker_stop_while_a_job_paints_then_start_posts_one_result_in_its_thread(
    fake: FakeDiscord, data: str, env: Path
) -> None:
    async with created(SERVICE, data, env) as bot:
        await started(bot, fake)
        channel = await fake.add_text_channel("container-stop")
        job_id = await stylize(fake, channel, iterations=LONG_JOB)
        await painting(fake, channel, job_id)

        # SIGTERM through tini: the bot parks the job and exits 0 within the grace period.
        assert await bot.stop() == 0
        thread = await thread_of_job(fake, channel, job_id)
        assert results(fake, thread, job_id) == []

        await started(bot, fake)
        await painted(fake, channel, job_id)
        assert_answered_once(fake, channel, thread, job_id)


async def test_a_backup_restored_into_a_new_volume_keeps_jobs_settings_styles_and_resumes_once(
    fake: FakeDiscord, data: str, env: Path, tmp_path: Path
) -> None:
    channel = await fake.add_text_channel("container-backup")
    async with created(SERVICE, data, env) as old:
        await started(old, fake)
        changed = await fake.slash_command(
            "atelier-admin settings", {"max_iterations": LONG_JOB - 1}, user=fake.moderator
        )
        assert (await changed.wait_for_reply(timeout=60)).content.startswith("Saved.")
        saved = await fake.slash_command(
            "atelier-admin styles add",
            {"name": "Deep Field"},
            user=fake.moderator,
            attachments={"image": STYLE},
        )
        assert "Saved style **Deep Field**" in (await saved.wait_for_reply(timeout=60)).content
        done = await stylize(fake, channel)
        await painted(fake, channel, done)
        resumed = await stylize(fake, channel, iterations=LONG_JOB - 1)
        await painting(fake, channel, resumed)

        line = await old.exec("python", "-m", "bot", "backup", "/data/backups/atelier.tar")
        assert line.startswith("backed up to /data/backups/atelier.tar"), line
        backed_up = await summary(old)
        assert await old.stop() == 0
        await docker("cp", f"{old.name}:/data/backups/atelier.tar", str(tmp_path))
    assert results(fake, await thread_of_job(fake, channel, resumed), resumed) == []

    # A new server: a fresh volume, the archive copied in, restored, then the bot started.
    async with volume() as fresh, created(SERVICE, fresh, env) as new:
        await docker("cp", str(tmp_path / "atelier.tar"), f"{new.name}:/data/restore.tar")
        # A backup is readable by its owner alone, and `docker cp` hands the copy to root.
        await one_off(
            SERVICE, fresh, env, "--user=root", "chown", "10001:10001", "/data/restore.tar"
        )
        restored = await one_off(
            SERVICE, fresh, env, "python", "-m", "bot", "restore", "/data/restore.tar"
        )
        assert restored.startswith("restored from /data/restore.tar"), restored
        await started(new, fake)
        after = await summary(new)
        assert after["settings"] == backed_up["settings"] and after["styles"] == backed_up["styles"]
        assert [job_id for job_id, _ in after["jobs"]] == sorted([done, resumed])
        assert dict(after["jobs"])[done] == "done"

        thread, _ = await painted(fake, channel, resumed)
        assert_answered_once(fake, channel, thread, resumed)
        done_thread = await thread_of_job(fake, channel, done)
        assert len(results(fake, done_thread, done)) == 1, "a finished job is not posted again"


async def test_a_read_only_container_with_only_data_and_tmp_writable_still_paints(
    fake: FakeDiscord, data: str, env: Path
) -> None:
    async with created(SERVICE, data, env, "--read-only", "--tmpfs=/tmp") as bot:
        await started(bot, fake)
        channel = await fake.add_text_channel("container-read-only")
        job_id = await stylize(fake, channel)
        _, result = await painted(fake, channel, job_id)
        assert result.attachments[0].data.startswith(b"\x89PNG")
        refused = await bot.exec("sh", "-c", "touch /home/atelier/x 2>&1 || true")
        assert "Read-only file system" in refused


async def test_the_images_size_and_what_takes_the_space(image: str) -> None:
    size = int(await docker("image", "inspect", "--format={{.Size}}", image))
    layers = [
        (int(bytes_), created_by)
        for bytes_, created_by in (
            line.split("\t", 1)
            for line in (
                await docker(
                    "history",
                    "--no-trunc",
                    "--human=false",
                    "--format={{.Size}}\t{{.CreatedBy}}",
                    image,
                )
            ).splitlines()
        )
    ]
    biggest = sorted(layers, reverse=True)[:3]
    packages = await docker(
        "run",
        "--rm",
        "--entrypoint=sh",
        image,
        "-c",
        "du -s /opt/venv/lib/python3*/site-packages/* | sort -rn | head -n 6",
    )
    print(f"{image}: {size / 1e9:.2f} GB")
    for bytes_, created_by in biggest:
        print(f"  layer {bytes_ / 1e9:.2f} GB  {created_by[-70:]}")
    print("  largest installed packages (KiB):\n" + packages)
    # The virtualenv copied from the builder is the image; within it, PyTorch and its CUDA
    # libraries. Nothing else (pip caches, apt lists, the source tree) may grow it unnoticed.
    venv_bytes, venv_layer = biggest[0]
    assert "/opt/venv" in venv_layer and venv_bytes > 0.9 * size, biggest
    top = [line.split("/")[-1] for line in packages.splitlines()[:3]]
    assert {"nvidia", "torch"} <= set(top), packages
    assert size < 7e9, f"{size / 1e9:.2f} GB: the CUDA image grew by more than torch's release"
