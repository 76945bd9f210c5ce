"""The environment of a `python -m bot` process pointed at the fake Discord: the stories that
kill and restart the bot and bench/load.py both start it this way."""

from __future__ import annotations

import os
from pathlib import Path

from fake_discord import FakeDiscord

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
