"""What a worker process is given: no secret of the bot's, and the admin's pixel cap. Real worker
processes, one pool for the module."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from engine_pool import CONTENT, STYLE, TINY, WAIT, child_worker_pids
from PIL import Image

from engine.pool import Done, EnginePool, Failed

pytestmark = pytest.mark.asyncio(loop_scope="module")

TOKEN = "MTIzNDU2Nzg5.not-a-real-token.but-a-secret-all-the-same"
SECRETS = {"DISCORD_TOKEN": TOKEN, "AWS_SECRET_ACCESS_KEY": "also-secret"}
CAP = 50_000_000  # an admin's MAX_INPUT_PIXELS, above the 40 MP default


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pool() -> AsyncIterator[EnginePool]:
    with pytest.MonkeyPatch.context() as env:
        for name, value in SECRETS.items():
            env.setenv(name, value)
        env.setenv("CUDA_VISIBLE_DEVICES", "")  # what torch needs is passed on
        async with EnginePool(devices=["cpu"], workers=1, max_pixels=CAP) as pool:
            yield pool


def environment_of(pid: int) -> dict[str, str]:
    """The environment the process was started with, as the kernel keeps it."""
    entries = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(entry.decode().split("=", 1) for entry in entries if entry)


async def test_a_worker_never_sees_the_bots_discord_token_or_other_secrets(pool):
    (worker,) = child_worker_pids()

    environment = environment_of(worker)

    assert not SECRETS.keys() & environment.keys()
    assert not any(TOKEN in value for value in environment.values())
    assert environment["CUDA_VISIBLE_DEVICES"] == ""
    assert isinstance(
        await asyncio.wait_for((await pool.submit(CONTENT, STYLE, TINY)).result(), WAIT), Done
    )


def flat_png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 160)).save(buffer, format="PNG")
    return buffer.getvalue()


async def test_a_picture_over_40_megapixels_paints_when_the_admin_allows_more(pool):
    big = flat_png(7000, 6000)  # 42 MP

    outcome = await asyncio.wait_for((await pool.submit(big, STYLE, TINY)).result(), WAIT)

    assert isinstance(outcome, Done)


async def test_a_picture_over_the_admins_cap_fails_with_the_numbers(pool):
    huge = flat_png(8000, 7000)  # 56 MP

    outcome = await asyncio.wait_for((await pool.submit(huge, STYLE, TINY)).result(), WAIT)

    assert outcome == Failed(
        "invalid_image",
        "content image: the image is 8000×7000 = 56.0 megapixels; the limit is 50.0",
    )
