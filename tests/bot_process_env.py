"""`python -m bot` as a process pointed at the fake Discord: the stories that kill and restart
the bot, the admin's commands beside it, and bench/load.py all start it this way."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import sys
from pathlib import Path

from fake_discord import FakeDiscord
from waiting import eventually

REPO = Path(__file__).resolve().parents[1]


def bot_process_env(fake: FakeDiscord, data_dir: Path, **settings: str) -> dict[str, str]:
    """Only what the bot needs, nothing of this machine's own variables; `settings` (e.g.
    DEFAULT_SIZE="16") come last and win."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(data_dir),
        "PYTHONPATH": str(REPO),
        **fake.env(),
        "ATELIER_DATA_DIR": str(data_dir / "data"),
        "HEALTH_PORT": "0",
        "ENGINE_DEVICES": "cpu",
        **settings,
    }


def bot_env(fake: FakeDiscord, data_dir: Path, **extra: str) -> dict[str, str]:
    return bot_process_env(
        fake,
        data_dir,
        ENGINE_WORKERS="1",
        DEFAULT_SIZE="32",
        MAX_SIZE="48",
        DEFAULT_ITERATIONS="3",
        MAX_ITERATIONS="50",
        STATUS_EDIT_SECONDS="0.05",
        **extra,
    )


async def start_bot_process(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=env["HOME"],
        env=env,
        stdout=log.open("ab"),
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,  # its engine workers share its process group: one kill for all
    )


async def admin_command(*args: str, data_dir: Path) -> str:
    """`python -m bot ARGS` as an admin runs it beside the bot; its output, after exit code 0."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO),
             "ATELIER_DATA_DIR": str(data_dir)},
        cwd=data_dir.parent, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output = (await process.communicate())[0].decode()
    assert process.returncode == 0, output
    return output


async def answered(env: dict[str, str], job_id: str, timeout: float = 60) -> None:
    """Until the bot process has recorded the job's answer as posted: from then on it sends
    nothing more for that job, so a story may stop it and count what Discord got."""
    database = Path(env["ATELIER_DATA_DIR"]) / "atelier.sqlite3"

    def posted() -> bool:
        with contextlib.closing(sqlite3.connect(database)) as db:
            row = db.execute("SELECT posted FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return bool(row and row[0])

    await eventually(posted, timeout=timeout)
