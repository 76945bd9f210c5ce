"""`python -m bot --check`: can this install start? Config, database, engine weights; no Discord."""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from bot.config import Config
from bot.store.database import Database


def describe_weights(spec: str) -> str:
    """Runs in a child process: the bot process itself never imports torch."""
    from engine.weights import load_weights

    weights = load_weights(spec)
    return f"{weights.source}, {len(weights.state_dict)} tensors"


async def run_check(config: Config) -> list[str]:
    """One line per thing checked; raises on the first one that is broken."""
    async with Database(config.database_path) as database:
        version = await database.version()
    config.files_dir.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
        weights = await asyncio.get_running_loop().run_in_executor(
            child, describe_weights, config.engine_weights
        )
    return [
        f"config: ok (data in {config.data_dir}, Discord API {config.api_base})",
        f"database: {config.database_path} at schema version {version}",
        f"engine weights: {weights}",
    ]
