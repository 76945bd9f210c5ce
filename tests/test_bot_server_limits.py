"""A server's limits on its members, through the real bot on the fake Discord with the
module's one-worker engine pool: what a member hears when a limit holds them back."""

from __future__ import annotations

import re

import pytest
from bot_stories import private_answer, public_message, queued_job, stylize, wait_for_result
from fake_discord import FakeDiscord

from bot.app import AtelierBot

pytestmark = pytest.mark.asyncio(loop_scope="module")

COOLDOWN = 600


async def test_a_second_stylize_inside_the_cooldown_says_when_to_try_again(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    asked = await fake.slash_command(
        "atelier-admin settings", {"cooldown": COOLDOWN}, user=fake.moderator
    )
    assert (await private_answer(asked)).startswith("Saved.")
    first = await queued_job(await stylize(fake))
    await wait_for_result(fake, fake.thread_of(public_message(fake, fake.channel, first)), first)

    refused = await private_answer(await stylize(fake))
    wait = re.fullmatch(
        rf"This server has a {COOLDOWN} s cooldown between jobs; try again in (\d+) s\.", refused
    )
    assert wait is not None, refused
    assert COOLDOWN - 120 < int(wait[1]) <= COOLDOWN
    history = await bot.jobs.history(int(fake.guild.id), int(fake.member.id), 10)
    assert [job.id for job in history] == [first]

    # The cooldown is each member's own: another member paints meanwhile.
    neighbour = await fake.add_member("cooldown-neighbour")
    theirs = await queued_job(await stylize(fake, user=neighbour))
    await wait_for_result(fake, fake.thread_of(public_message(fake, fake.channel, theirs)), theirs)
