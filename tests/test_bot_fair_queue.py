"""A fair queue, as members and admins see it: members take turns in the engine's queue, a server
has a cap of its own, and the bot stays in the servers its admin allows. The real bot against
the fake Discord, with the module's one-worker engine pool on CPU."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from bot_stories import (
    LIMITS,
    WAIT,
    bot_config,
    private_answer,
    public_message,
    queued_job,
    running_bot,
    status_message,
    stylize,
    wait_for_result,
)
from fake_discord import Channel, FakeDiscord, Message

from engine.pool import EnginePool

pytestmark = pytest.mark.asyncio(loop_scope="module")

ENDLESS = replace(LIMITS, max_iterations=100_000)


def thread_of(fake: FakeDiscord, job_id: str) -> Channel:
    """The thread of a job queued in #general."""
    return fake.thread_of(public_message(fake, fake.channel, job_id))


def status_of(fake: FakeDiscord, job_id: str) -> Message:
    return status_message(fake, thread_of(fake, job_id), job_id)


def started_at(message: Message) -> float:
    """When a job's status first said it was painting (or had ended)."""
    return next(r.at for r in message.revisions if "🎨 " in r.content or "✅ " in r.content)


async def test_a_member_with_ten_jobs_queued_does_not_hold_back_the_next_member(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    async with running_bot(fake, pool, bot_config(fake, tmp_path, limits=ENDLESS)):
        raised = await fake.slash_command(
            "atelier-admin settings", {"jobs_per_member": 10}, user=fake.moderator
        )
        await private_answer(raised)
        busy, next_member = await fake.add_member("busy-painter"), await fake.add_member("next")
        mine = [await queued_job(await stylize(fake, user=busy, iterations=100_000))]
        await fake.wait_for(lambda: pool.position(mine[0]) == 0, timeout=WAIT)
        for _ in range(9):
            mine.append(await queued_job(await stylize(fake, user=busy)))
            await fake.wait_for(lambda: pool.position(mine[-1]) is not None, timeout=WAIT)
        theirs = await queued_job(await stylize(fake, user=next_member))
        assert "#2 in line" in status_of(fake, theirs).content  # told at once, before the engine
        await fake.wait_for(lambda: pool.position(theirs) == 2, timeout=WAIT)

        queue = await private_answer(await fake.slash_command("atelier queue", user=next_member))
        lines = queue.splitlines()
        assert lines[0] == "You are #3 of 11."
        assert [line.split("`")[1] for line in lines[1:4]] == [mine[0], mine[1], theirs]
        assert "#3 in line" in status_of(fake, mine[2]).content  # one back, for the newcomer

        cancel = await fake.click(status_of(fake, mine[0]), f"atelier:cancel:{mine[0]}", user=busy)
        assert await private_answer(cancel) == f"Job `{mine[0]}` cancelled."
        await wait_for_result(fake, thread_of(fake, mine[2]), mine[2])
        second, third = (started_at(status_of(fake, job)) for job in mine[1:3])
        assert second < started_at(status_of(fake, theirs)) < third


async def test_a_server_with_its_share_of_the_queue_waiting_hears_so_and_another_server_gets_in(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    config = bot_config(fake, tmp_path, limits=ENDLESS, max_queued_per_guild=1)
    async with running_bot(fake, pool, config):
        painter = await fake.add_member("long-painter")
        running = await queued_job(await stylize(fake, user=painter, iterations=100_000))
        await fake.wait_for(lambda: "🎨 " in status_of(fake, running).content, timeout=WAIT)
        waiting = await queued_job(await stylize(fake, user=fake.member))

        refused = await private_answer(await stylize(fake, user=fake.moderator))
        assert refused.startswith("This server's queue is full (1 jobs waiting here"), refused

        other_server = await fake.add_guild("Second Server")
        there = fake.state.channels[other_server.channel_ids[0]]
        visitor = await fake.add_member("visitor", guild=other_server)
        assert (await private_answer(await stylize(fake, user=visitor, channel=there))).startswith(
            "Queued as job"
        )
        cancel = await fake.click(
            status_of(fake, running), f"atelier:cancel:{running}", user=painter
        )
        assert await private_answer(cancel) == f"Job `{running}` cancelled."
        await wait_for_result(fake, thread_of(fake, waiting), waiting)


async def test_a_bot_kept_to_its_own_server_leaves_a_server_it_is_added_to(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    config = bot_config(fake, tmp_path, allowed_guilds=frozenset({int(fake.guild.id)}))
    async with running_bot(fake, pool, config) as bot:
        leaving = fake.fail("stall", method="DELETE", path=r"/users/@me/guilds/")
        stranger = await fake.add_guild("A Stranger's Server")
        there = fake.state.channels[stranger.channel_ids[0]]
        await fake.wait_for(lambda: leaving.hits == 1, timeout=30)
        asked = await fake.slash_command(
            "atelier help", user=stranger.members[stranger.owner_id], channel=there
        )
        assert await private_answer(asked) == (
            "Atelier is not available on this server: its host keeps it to their own communities."
        )
        fake.heal(leaving)

        await fake.wait_for(lambda: not fake.bot_is_in(stranger), timeout=30)
        await fake.wait_for(lambda: bot.get_guild(int(stranger.id)) is None, timeout=30)
        home = await private_answer(await fake.slash_command("atelier help", user=fake.member))
        assert "**/stylize**" in home


async def test_at_start_up_a_bot_kept_to_its_own_server_leaves_the_others_it_is_in(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    added_while_away = await fake.add_guild("Added While The Bot Was Down")
    config = bot_config(fake, tmp_path, allowed_guilds=frozenset({int(fake.guild.id)}))
    async with running_bot(fake, pool, config) as bot:
        await fake.wait_for(lambda: not fake.bot_is_in(added_while_away), timeout=30)
        assert [guild.id for guild in bot.guilds] == [int(fake.guild.id)]
        assert fake.bot_is_in(fake.guild)
