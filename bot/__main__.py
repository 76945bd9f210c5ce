"""`python -m bot` runs Atelier; `python -m bot --check` only checks that it could start.

Exit codes: 0 clean stop, 2 bad or missing configuration, 3 Discord rejected the token,
4 another bot already runs on the same data directory, 1 crash.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

import aiohttp
import discord

from bot.config import (
    EXIT_CONFIG,
    EXIT_CRASH,
    EXIT_LOGIN_REJECTED,
    Config,
    ConfigError,
    load_config,
)
from bot.instance_lock import EXIT_ALREADY_RUNNING, AlreadyRunning, data_dir_lock
from bot.log import configure_logging

log = logging.getLogger("bot")


async def serve(config: Config) -> int:
    from bot.client import AtelierBot  # imported late: --check and config errors need none of it

    bot = AtelierBot(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # discord.py's Client.run() only handles Ctrl-C; Docker and systemd send SIGTERM.
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    running = asyncio.create_task(bot.start(config.token), name="discord")
    stopping = asyncio.create_task(stop.wait(), name="signals")
    await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if stop.is_set():
        log.info("stopping: running jobs are parked and resume at the next start")
    await bot.shutdown()
    running.cancel()  # a signal during start-up: nothing left to wait for
    (outcome,) = await asyncio.gather(running, return_exceptions=True)
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


async def check(config: Config) -> int:
    from bot.check import run_check

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
    args = parser.parse_args(argv)
    try:
        config = load_config()
    except ConfigError as error:
        print(f"atelier: {error}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(config.log_level, [config.token])
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


if __name__ == "__main__":
    sys.exit(main())
