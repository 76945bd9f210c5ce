"""From `/stylize quality:variations` to the grid on screen, against a real `python -m bot`.

The fake Discord (tests/fake_discord) stands in for Discord; a bench photo × painting pair at
512 px. Prints seconds from the command to its acknowledgement and to the grid message, for a
lone grid and for one sent while `--busy` full jobs hold the engine; `--save` keeps the bot's
own grid PNG.

    python -m bench.variations_command
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)
sys.path.insert(1, str(ROOT / "tests"))

from bot_process_env import bot_process_env  # noqa: E402
from fake_discord import FakeDiscord, Message  # noqa: E402

from bench.pairs import PAIRS  # noqa: E402

READY = "your painting is ready"
SIZE = 512


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pair", choices=list(PAIRS), default="cat-starry_night")
    parser.add_argument("--busy", type=int, default=2, help="full jobs ahead in the second run")
    parser.add_argument("--save", action="store_true", help="write the grid to bench/results")
    return parser.parse_args()


def answer(fake: FakeDiscord, job_id: str) -> Message | None:
    return next(
        (
            m
            for m in fake.state.messages.values()
            if f"job `{job_id}`" in m.content and READY in m.content
        ),
        None,
    )


async def ask(fake: FakeDiscord, pair: str, **options: object) -> tuple[float, float, Message]:
    """Seconds to the acknowledgement and to the answer, and the answer."""
    content, style = PAIRS[pair]
    began = time.monotonic()
    asked = await fake.slash_command(
        "stylize",
        {"size": SIZE, **options},
        attachments={
            "content": (content.read_bytes(), content.name),
            "style": (style.read_bytes(), style.name),
        },
    )
    await asked.wait_for_ack(timeout=30)
    acknowledged = time.monotonic() - began
    reply = await asked.wait_for_reply(timeout=60)
    job_id = reply.content.split("job `")[1][:8]
    message = await fake.wait_for(lambda: answer(fake, job_id), timeout=120)
    return acknowledged, time.monotonic() - began, message


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="atelier-grid-") as tmp:
        async with FakeDiscord() as fake:
            env = bot_process_env(
                fake, Path(tmp), ENGINE_WORKERS="1", MAX_SIZE="1024", MAX_ITERATIONS="100000",
                MAX_INPUT_BYTES="5000000", MAX_INPUT_PIXELS="4000000",
            )  # fmt: skip
            log = (Path(tmp) / "bot.log").open("ab")
            bot = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=tmp, env=env,
                stdout=log, stderr=asyncio.subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
            try:
                await fake.wait_until_connected(timeout=120)
                lone = await ask(fake, args.pair, quality="variations")
                for n in range(args.busy):
                    member = await fake.add_member(f"busy-{n}")
                    content, style = PAIRS[args.pair]
                    await fake.slash_command(
                        "stylize", {"size": 64, "iterations": 100_000}, user=member,
                        attachments={"content": (content.read_bytes(), content.name),
                                     "style": (style.read_bytes(), style.name)},
                    )  # fmt: skip
                busy = await ask(fake, args.pair, quality="variations")
            finally:
                os.killpg(bot.pid, signal.SIGTERM)
                await bot.wait()
                log.close()
    print(f"{args.pair}, {SIZE} px       acknowledgement s  grid s")
    print(f"lone grid                       {lone[0]:8.2f} {lone[1]:7.2f}")
    print(f"grid behind {args.busy} full jobs        {busy[0]:8.2f} {busy[1]:7.2f}")
    if args.save:
        path = ROOT / "bench" / "results" / f"variations_{args.pair}.png"
        path.write_bytes(lone[2].attachments[0].data)
        print(f"the bot's grid: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    asyncio.run(main(arguments()))
