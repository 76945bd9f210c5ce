"""A rush at the door: N members send /stylize within one second to a real `python -m bot`.

The bot runs as its own process against the fake Discord (tests/fake_discord) with tiny
pictures, so what is measured is the bot, not the painting: the slowest acknowledgement (Discord
drops an interaction not acknowledged within 3 s), the time until the last result, results
posted more than once (must be 0), and the bot process's peak RSS (VmHWM; the engine's worker
processes are separate and not counted). `--drops` also drops that many result posts' answers
on the way back, to load the exactly-once path.

    python bench/load.py                 # 30 members, 2 workers
    python bench/load.py --members 60 --drops 5
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)
sys.path.insert(1, str(ROOT / "tests"))

from bot_process_env import bot_process_env  # noqa: E402
from fake_discord import FakeDiscord, Interaction  # noqa: E402
from PIL import Image  # noqa: E402

RESULT = "your painting is ready"
ACK_LIMIT = 3.0


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=30)
    parser.add_argument("--within", type=float, default=1.0, help="seconds the rush is spread over")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--drops", type=int, default=0, help="result posts whose answer is lost")
    parser.add_argument("--timeout", type=float, default=300.0)
    return parser.parse_args()


def tiny_png(seed: int) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (24, 24), tuple(rng.randrange(256) for _ in range(3)))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bot_env(fake: FakeDiscord, data_dir: Path, workers: int) -> dict[str, str]:
    return bot_process_env(
        fake,
        data_dir,
        ENGINE_WORKERS=str(workers),
        DEFAULT_SIZE="16",
        DEFAULT_ITERATIONS="2",
        STATUS_EDIT_SECONDS="1",
    )


async def rush(args: argparse.Namespace, fake: FakeDiscord) -> list[Interaction]:
    members = [await fake.add_member(f"painter-{n}") for n in range(args.members)]

    async def one(n: int) -> Interaction:
        await asyncio.sleep(args.within * n / args.members)
        return await fake.slash_command(
            "stylize",
            user=members[n],
            attachments={
                "content": (tiny_png(n), f"content-{n}.png"),
                "style": (tiny_png(10_000 + n), f"style-{n}.png"),
            },
        )

    return await asyncio.gather(*(one(n) for n in range(args.members)))


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="atelier-load-") as tmp:
        data_dir = Path(tmp)
        async with FakeDiscord() as fake:
            if args.drops:
                fake.fail(
                    "drop_after", method="POST", path=r"/channels/\d+/messages$",
                    skip=2 * args.members, times=args.drops,
                )  # fmt: skip
            log = (data_dir / "bot.log").open("ab")
            bot = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=tmp, env=bot_env(fake, data_dir, args.workers),
                stdout=log, stderr=asyncio.subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
            try:
                await fake.wait_until_connected(timeout=120)
                began = time.monotonic()
                asked = await rush(args, fake)
                await fake.wait_for(lambda: all(i.acknowledged for i in asked), timeout=30)
                answers = [await i.wait_for_reply(timeout=60) for i in asked]
                queued = [a for a in answers if a.content.startswith("Queued as job")]

                def results() -> Counter[str]:
                    return Counter(
                        m.content.split("job `")[1].split("`")[0]
                        for m in fake.state.messages.values()
                        if RESULT in m.content and not m.deleted
                    )

                await fake.wait_for(lambda: len(results()) >= len(queued), timeout=args.timeout)
                last_result = time.monotonic() - began
                await asyncio.sleep(2.0)  # room for a late duplicate
                posted = results()
                rss = peak_rss_mb(bot.pid)
                dropped = len(fake.faulted("drop_after"))
            finally:
                os.killpg(bot.pid, signal.SIGTERM)
                await bot.wait()
                log.close()
    acks = [i.ack_seconds or float("inf") for i in asked]
    print(f"members                      {args.members} within {args.within:.1f} s")
    print(f"queued / refused             {len(queued)} / {len(answers) - len(queued)}")
    print(f"slowest acknowledgement      {max(acks):.3f} s (limit {ACK_LIMIT:.0f} s)")
    print(f"median acknowledgement       {sorted(acks)[len(acks) // 2]:.3f} s")
    print(f"time until the last result   {last_result:.1f} s ({args.workers} workers)")
    print(f"results posted               {sum(posted.values())} for {len(posted)} jobs")
    print(f"results posted twice         {sum(1 for n in posted.values() if n > 1)}")
    print(f"posts whose answer was lost  {dropped} (each found again, not resent)")
    print(f"bot peak RSS                 {rss:.0f} MB (the bot process; workers not counted)")
    if max(acks) >= ACK_LIMIT or any(n > 1 for n in posted.values()):
        raise SystemExit("FAILED: an acknowledgement was too slow or a result was posted twice")


if __name__ == "__main__":
    asyncio.run(main(arguments()))
