"""`python -m bot` runs Atelier; `python -m bot --check` only checks that it could start.

Exit codes: 0 clean stop, 2 bad or missing configuration, 3 Discord rejected the token, 4 no
engine (ENGINE_RAY_ADDRESS set but Ray missing or the cluster unreachable; no worker could
start), 1 crash.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys

import aiohttp
import discord

from bot.config import (
    EXIT_CONFIG,
    EXIT_CRASH,
    EXIT_ENGINE_UNAVAILABLE,
    EXIT_LOGIN_REJECTED,
    Config,
    ConfigError,
    load_config,
)
from bot.log import configure_logging

log = logging.getLogger("bot")


async def serve(config: Config) -> int:
    from bot.client import AtelierBot  # imported late: --check and config errors need none of it
    from engine.pool import EngineUnavailable

    try:
        bot = AtelierBot(config)
    except EngineUnavailable as error:
        log.critical("%s", error)
        return EXIT_ENGINE_UNAVAILABLE
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
    if isinstance(outcome, EngineUnavailable):
        log.critical("%s", outcome)
        return EXIT_ENGINE_UNAVAILABLE
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
    configure_logging(config.log_level, [config.token, os.environ.get("RAY_AUTH_TOKEN", "")])
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(check(config) if args.check else serve(config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
