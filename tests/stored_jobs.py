"""Job rows for tests that use the job store directly (a real SQLite file, no bot)."""

from __future__ import annotations

from pathlib import Path

from bot.rules.request import StyleRequest
from bot.store.job_rows import NewJob


def new_job(job_id: str, user_id: int = 7, guild_id: int | None = 1) -> NewJob:
    return NewJob(
        id=job_id,
        guild_id=guild_id,
        channel_id=100,
        user_id=user_id,
        request=StyleRequest(iterations=4, size=32, strength=5, preserve_colors=True, seed=3),
        notes=("iterations capped at 4 by this server",),
        content_path=Path(f"/data/jobs/{job_id}/content"),
        style_path=Path(f"/data/jobs/{job_id}/style"),
        filesize_limit=10_000_000,
    )
