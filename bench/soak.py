"""A chaos soak: simulated members use a real `python -m bot` against the fake Discord for N
minutes while everything that can go wrong does.

Members send /stylize, press Run again under their results and Cancel under their running jobs.
Meanwhile the fake Discord injects outages, 429s, dropped and stalled connections; the soak
`kill -9`s the bot at random moments (`--kills`, at least 3) and restarts it, kills engine
worker processes, sends SIGTERM while a result upload is stalled, and once fills the disk to
the bot's free-space floor (a balloon file) for a while. Then it lets every accepted job end and
prints: jobs accepted, answers posted (must equal accepted), answers posted twice (0), jobs lost
(0), orphan files (0), the bot's peak RSS, bytes on disk per job and the slowest acknowledgement.

    nice python -m bench.soak                 # 10 minutes
    python -m bench.soak --minutes 2 --members 4
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)
sys.path.insert(1, str(ROOT / "tests"))

from bot_process_env import bot_process_env  # noqa: E402
from fake_discord import FakeDiscord, Interaction, Member, Message  # noqa: E402

from bench.load import peak_rss_mb, tiny_png  # noqa: E402

POSTS = r"/channels/\d+/messages$"
ANSWER = re.compile(r"^<@\d+> .*· job `([0-9a-f]{16})`$", re.MULTILINE)
QUEUED = re.compile(r"Queued as job `([0-9a-f]{16})`")
MB = 1024 * 1024
FLOOR_MARGIN_MB = 1024  # the floor sits this far under the free space at the start
ENDED = ("done", "failed", "cancelled")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--members", type=int, default=6)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--kills", type=int, default=3, help="kill -9 of the bot")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--drain", type=float, default=600.0, help="seconds for jobs to end")
    return parser.parse_args()


@dataclass
class Soak:
    fake: FakeDiscord
    tmp: Path
    env: dict[str, str]
    rng: random.Random
    kills: int = 3
    floor_mb: int = 0
    bot: asyncio.subprocess.Process | None = None
    peak_rss: float = 0.0
    told: dict[str, int] = field(default_factory=dict)  # "Queued as job" answers: job → member
    interactions: list[Interaction] = field(default_factory=list)
    refusals: Counter[str] = field(default_factory=Counter)
    chaos: Counter[str] = field(default_factory=Counter)
    up: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def data_dir(self) -> Path:
        return Path(self.env["ATELIER_DATA_DIR"])

    async def start_bot(self) -> None:
        log = (self.tmp / "bot.log").open("ab")
        self.bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=self.tmp, env=self.env, stdout=log,
            stderr=asyncio.subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        await self.fake.wait_until_connected(timeout=180)
        self.up.set()

    async def stop_bot(self, sig: signal.Signals) -> None:
        assert self.bot is not None
        self.up.clear()
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            self.peak_rss = max(self.peak_rss, peak_rss_mb(self.bot.pid))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.bot.pid, sig) if sig == signal.SIGKILL else self.bot.send_signal(sig)
        await asyncio.wait_for(self.bot.wait(), 120)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.bot.pid, signal.SIGKILL)  # workers a SIGKILL left behind

    def sample_rss(self) -> None:
        if self.bot is not None and self.up.is_set():
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                self.peak_rss = max(self.peak_rss, peak_rss_mb(self.bot.pid))

    def workers(self) -> list[int]:
        """The bot's engine worker processes (its children)."""
        assert self.bot is not None
        children = Path(f"/proc/{self.bot.pid}/task/{self.bot.pid}/children")
        with contextlib.suppress(OSError):
            return [int(pid) for pid in children.read_text().split()]
        return []


async def act(soak: Soak, member: Member, n: int) -> None:
    """One thing a member does; what the bot answers is recorded."""
    fake, roll = soak.fake, soak.rng.random()
    mine = [
        m for m in fake.state.messages.values() if not m.deleted and str(member.id) in m.content
    ]
    results = [m for m in mine if "your painting is ready" in m.content]

    def ours(message: Message) -> bool:
        cancel = _cancel_id(message)
        return not message.deleted and soak.told.get(cancel[-16:]) == int(member.id)

    if roll < 0.2 and results:
        message = soak.rng.choice(results)
        job_id = ANSWER.search(message.content)[1]
        asked = await fake.click(message, f"atelier:again:{job_id}", user=member)
    elif roll < 0.3 and (running := [m for m in fake.state.messages.values() if ours(m)]):
        message = soak.rng.choice(running)
        asked = await fake.click(message, _cancel_id(message), user=member)
    else:
        asked = await fake.slash_command(
            "stylize", user=member, attachments={
                "content": (tiny_png(n), f"content-{n}.png"),
                "style": (tiny_png(10_000 + n), f"style-{n}.png"),
            },
        )  # fmt: skip
    soak.interactions.append(asked)
    with contextlib.suppress(AssertionError):  # the fake's "timed out": no answer in time
        reply = await asked.wait_for_reply(timeout=60)
        if found := QUEUED.search(reply.content):
            soak.told[found[1]] = int(member.id)
        else:
            soak.refusals[reply.content.split(":")[0][:60]] += 1


def _cancel_id(message: Message) -> str:
    return next((c for c in message.custom_ids if c.startswith("atelier:cancel:")), "")


async def member(soak: Soak, who: Member, until: float) -> None:
    n = int(who.id) % 1000 * 1000
    while time.monotonic() < until:
        await asyncio.sleep(soak.rng.uniform(1.0, 6.0))
        await soak.up.wait()
        n += 1
        with contextlib.suppress(RuntimeError, LookupError):  # the bot died just now
            await act(soak, who, n)


async def chaos(soak: Soak, started: float, until: float) -> None:
    """The events, spread over the run in a random order, one at a time."""
    events = ["kill -9"] * soak.kills + ["kill a worker"] * 2 + ["SIGTERM while uploading"]
    events += ["outage", "429s", "dropped connections", "stalled connection", "disk at floor"]
    soak.rng.shuffle(events)
    gap = (until - started) / (len(events) + 1)
    for n, event in enumerate(events, start=1):
        await asyncio.sleep(
            max(0.0, started + n * gap * soak.rng.uniform(0.8, 1.2) - time.monotonic())
        )
        soak.sample_rss()
        await EVENTS[event](soak)
        soak.chaos[event] += 1


async def kill_bot(soak: Soak) -> None:
    await soak.stop_bot(signal.SIGKILL)
    await soak.start_bot()


async def kill_worker(soak: Soak) -> None:
    for pid in soak.workers()[:1]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


async def sigterm_while_uploading(soak: Soak) -> None:
    """An upgrade: SIGTERM while Discord holds the next message post."""
    stall = soak.fake.fail("stall", method="POST", path=POSTS, times=1)
    with contextlib.suppress(AssertionError):
        await soak.fake.wait_for(lambda: stall.hits == 1, timeout=120)
    await soak.stop_bot(signal.SIGTERM)
    soak.fake.heal(stall)
    await soak.start_bot()


async def for_a_while(soak: Soak, *fault: object, **how: object) -> None:
    injected = soak.fake.fail(*fault, **how)  # type: ignore[arg-type]
    await asyncio.sleep(15)
    soak.fake.heal(injected)


async def disk_at_floor(soak: Soak) -> None:
    """A balloon file takes the disk just under the bot's floor for 30 s, then goes."""
    free = shutil.disk_usage(soak.data_dir).free
    balloon = soak.tmp / "balloon"
    size = free - (soak.floor_mb - 64) * MB
    with open(balloon, "wb") as f:
        os.posix_fallocate(f.fileno(), 0, max(size, 0))
    await asyncio.sleep(30)
    balloon.unlink()


EVENTS = {
    "kill -9": kill_bot,
    "kill a worker": kill_worker,
    "SIGTERM while uploading": sigterm_while_uploading,
    "outage": lambda soak: for_a_while(soak, "outage", everything=True, seconds=5),
    "429s": lambda soak: for_a_while(soak, "rate_limited", path=POSTS, times=5, retry_after=2),
    "dropped connections": lambda soak: for_a_while(soak, "drop", method="POST", times=3),
    "stalled connection": lambda soak: for_a_while(soak, "stall", method="PATCH", times=1),
    "disk at floor": disk_at_floor,
}


@dataclass(frozen=True)
class Outcome:
    accepted: int
    posted: int
    twice: int
    lost: list[str]
    orphans: int
    bytes_per_job: float


def outcome(soak: Soak) -> Outcome:
    """What the job store and the fake's messages say once every job has ended."""
    with contextlib.closing(sqlite3.connect(soak.data_dir / "atelier.sqlite3")) as db:
        rows = dict(db.execute("SELECT id, state FROM jobs").fetchall())
    answers = Counter(
        found[1]
        for m in soak.fake.state.messages.values()
        if not m.deleted and (found := ANSWER.search(m.content)) and m.content.startswith("<@")
    )
    cancelled = {job_id for job_id, state in rows.items() if state == "cancelled"}
    posted = {job_id for job_id in rows if answers[job_id] or job_id in cancelled}
    lost = sorted((set(rows) | set(soak.told)) - posted)
    files = soak.data_dir / "jobs"
    folders = [f for f in files.iterdir()] if files.exists() else []
    orphans = sum(1 for f in folders if f.name not in rows)
    orphans += sum(1 for f in files.rglob("*.partial")) if files.exists() else 0
    used = sum(f.stat().st_size for f in files.rglob("*") if f.is_file()) if files.exists() else 0
    return Outcome(
        accepted=len(rows),
        posted=len(posted),
        twice=sum(1 for n in answers.values() if n > 1),
        lost=lost,
        orphans=orphans,
        bytes_per_job=used / max(len(rows), 1),
    )


def all_ended(soak: Soak) -> bool:
    with contextlib.closing(sqlite3.connect(soak.data_dir / "atelier.sqlite3")) as db:
        (open_jobs,) = db.execute(
            "SELECT COUNT(*) FROM jobs WHERE state NOT IN (?, ?, ?) OR posted = 0", ENDED
        ).fetchone()
    return open_jobs == 0


async def run(args: argparse.Namespace) -> tuple[Soak, Outcome]:
    with tempfile.TemporaryDirectory(prefix="atelier-soak-") as tmp:
        tmp_path = Path(tmp)
        floor_mb = shutil.disk_usage(tmp_path).free // MB - FLOOR_MARGIN_MB
        async with FakeDiscord() as fake:
            env = bot_process_env(
                fake, tmp_path, ENGINE_WORKERS=str(args.workers), DEFAULT_SIZE="16",
                DEFAULT_ITERATIONS="2", STATUS_EDIT_SECONDS="1", MIN_FREE_DISK_MB=str(floor_mb),
            )  # fmt: skip
            soak = Soak(fake, tmp_path, env, random.Random(args.seed), args.kills, floor_mb)
            members = [await fake.add_member(f"soak-{n}") for n in range(args.members)]
            await soak.start_bot()
            started = time.monotonic()
            until = started + args.minutes * 60
            try:
                await asyncio.gather(
                    chaos(soak, started, until), *(member(soak, m, until) for m in members)
                )
                fake.heal()
                await soak.up.wait()
                deadline = time.monotonic() + args.drain
                while not all_ended(soak) and time.monotonic() < deadline:
                    soak.sample_rss()
                    await asyncio.sleep(2)
                await asyncio.sleep(3)  # room for a late second answer
                soak.sample_rss()
                return soak, outcome(soak)
            finally:
                await soak.stop_bot(signal.SIGTERM)


def report(args: argparse.Namespace, soak: Soak, result: Outcome) -> None:
    acks = [i.ack_seconds for i in soak.interactions if i.ack_seconds is not None]
    unanswered = sum(1 for i in soak.interactions if i.ack_seconds is None)
    print(
        f"soak                       {args.minutes:g} min, {args.members} members, seed {args.seed}"
    )
    print(f"chaos                      {dict(soak.chaos)}")
    print(f"interactions               {len(soak.interactions)} ({unanswered} never acknowledged)")
    print(f"refusals                   {dict(soak.refusals.most_common(6))}")
    print(f"jobs accepted              {result.accepted}")
    print(f"answers posted             {result.posted} (must equal accepted)")
    print(f"answers posted twice       {result.twice}")
    print(f"jobs lost                  {len(result.lost)} {result.lost[:5]}")
    print(f"orphan files               {result.orphans}")
    print(f"bot peak RSS               {soak.peak_rss:.0f} MB (largest of its incarnations)")
    print(f"bytes on disk per job      {result.bytes_per_job / 1024:.1f} KiB")
    print(f"slowest acknowledgement    {max(acks, default=float('nan')):.3f} s")
    if result.posted != result.accepted or result.twice or result.lost or result.orphans:
        raise SystemExit("FAILED: an answer was lost or doubled, or files were left behind")


if __name__ == "__main__":
    arguments_given = arguments()
    if arguments_given.kills < 3:
        raise SystemExit("--kills must be at least 3")
    report(arguments_given, *asyncio.run(run(arguments_given)))
