"""`python -m bot` runs Atelier; `python -m bot --check` only checks that it could start.

Exit codes: 0 clean stop, 2 bad or missing configuration, 3 Discord rejected the token, 4 no
engine (ENGINE_RAY_ADDRESS set but Ray missing or the cluster unreachable; no worker could
start), 5 another bot already runs on the same data directory, 1 crash.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
import discord

from bot.config import (
    EXIT_ALREADY_RUNNING,
    EXIT_CONFIG,
    EXIT_CRASH,
    EXIT_ENGINE_UNAVAILABLE,
    EXIT_LOGIN_REJECTED,
    Config,
    ConfigError,
    load_config,
)
from bot.ops.log import configure_logging
from bot.store.instance_lock import AlreadyRunning, data_dir_lock

if TYPE_CHECKING:
    from bot.app import AtelierBot

log = logging.getLogger("bot")


async def serve(config: Config) -> int:
    # Imported late: --check, backup and config errors need none of it.
    from bot.app import AtelierBot
    from bot.ops.backend import engine_service
    from bot.ops.health import HealthPortUnavailable, HealthServer
    from bot.ops.metrics import Metrics
    from bot.store.database import Database
    from engine.pool import EngineUnavailable

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # discord.py's Client.run() only handles Ctrl-C; Docker and systemd send SIGTERM.
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    metrics = Metrics()
    try:
        async with Database(config.database_path) as database, engine_service(config) as pool:
            bot = AtelierBot(config, database=database, pool=pool, metrics=metrics)
            async with HealthServer(bot.snapshot, metrics, config.health_host, config.health_port):
                outcome = await run_until_stopped(bot, config.token, stop)
    except EngineUnavailable as error:  # Ray missing or unreachable, or no worker could start
        log.critical("%s", error)
        return EXIT_ENGINE_UNAVAILABLE
    except HealthPortUnavailable as error:
        log.critical("%s", error)
        return EXIT_CRASH
    if isinstance(outcome, discord.LoginFailure):
        log.error(
            "Discord rejected DISCORD_TOKEN. Copy the bot's token again from the Developer "
            "Portal (Applications → your app → Bot → Reset Token) into .env."
        )
        return EXIT_LOGIN_REJECTED
    if isinstance(outcome, aiohttp.ClientError | OSError) and not stop.is_set():
        log.critical("cannot reach Discord at %s: %s", config.api_base, outcome)
        return EXIT_CRASH
    if isinstance(outcome, Exception) and not stop.is_set():
        log.critical("Atelier stopped on an error", exc_info=outcome)
        return EXIT_CRASH
    return 0


async def run_until_stopped(bot: AtelierBot, token: str, stop: asyncio.Event) -> object:
    """Run the bot until it ends or `stop` is set; then shut it down. Returns how it ended."""
    running = asyncio.create_task(bot.start(token), name="discord")
    stopping = asyncio.create_task(stop.wait(), name="signals")
    await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if stop.is_set():
        log.info("stopping: running jobs are parked and resume at the next start")
    await bot.shutdown()
    running.cancel()  # a signal during start-up: nothing left to wait for
    (outcome,) = await asyncio.gather(running, return_exceptions=True)
    return outcome


async def check(config: Config) -> int:
    from bot.ops.self_check import run_check

    try:
        lines = await run_check(config)
    except Exception as error:
        print(f"atelier --check failed: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_CRASH
    print("\n".join(lines))
    print("ok: Atelier can start")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="load the config, open and migrate the database, load the engine weights, exit",
    )
    commands = parser.add_subparsers(dest="command", metavar="{backup,restore}")
    saving = commands.add_parser(
        "backup", help="copy the database and job images to one file, while the bot runs"
    )
    saving.add_argument("path", type=Path, help="archive to write (.tar, or .tar.gz to compress)")
    loading = commands.add_parser("restore", help="put a backup back into ATELIER_DATA_DIR")
    loading.add_argument("path", type=Path, help="archive written by `backup`")
    loading.add_argument(
        "--replace",
        action="store_true",
        help="replace existing data (kept aside in the data directory as replaced-DATE/)",
    )
    parser.set_defaults(replace=False)
    args = parser.parse_args(argv)
    try:
        config = load_config(require_token=args.command is None)
    except ConfigError as error:
        print(f"atelier: {error}", file=sys.stderr)
        return EXIT_CONFIG
    if args.command is not None:
        return backup_or_restore(config, args.command, args.path, replace=args.replace)
    configure_logging(config.log_level, [config.token, os.environ.get("RAY_AUTH_TOKEN", "")])
    if args.check:
        with contextlib.suppress(KeyboardInterrupt):
            return asyncio.run(check(config))
        return 0
    try:
        with data_dir_lock(config.data_dir), contextlib.suppress(KeyboardInterrupt):
            return asyncio.run(serve(config))
    except AlreadyRunning as error:
        print(f"atelier: {error}", file=sys.stderr)
        return EXIT_ALREADY_RUNNING
    return 0


def backup_or_restore(config: Config, command: str, path: Path, *, replace: bool) -> int:
    from bot.store.backup import BackupError, backup, restore

    try:
        if command == "backup":  # SQLite's online backup: safe beside a running bot
            print(backup(config, path).line("backed up to"))
        else:  # moves the database away: never under a running bot
            with data_dir_lock(config.data_dir):
                print(restore(config, path, replace=replace).line("restored from"))
    except BackupError as error:
        print(f"atelier {command}: {error}", file=sys.stderr)
        return EXIT_CRASH
    except AlreadyRunning as error:
        print(f"atelier {command}: {error}", file=sys.stderr)
        return EXIT_ALREADY_RUNNING
    return 0


if __name__ == "__main__":
    sys.exit(main())
