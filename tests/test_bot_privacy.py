"""What stays private stays private, end to end: a `private` job's picture is never reused in
public, a channel's overwrite makes nobody a moderator, and the queue keeps a private job's
member to themselves. The real bot against the fake Discord, with the real one-worker pool."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from bot_stories import (
    CONTENT,
    LIMITS,
    STYLE,
    bot_config,
    private_answer,
    queued_job,
    running_bot,
    stylize,
    wait_for_result,
)
from fake_discord import FakeDiscord
from fake_discord import permissions as perm

from bot.app import AtelierBot
from engine.pool import EnginePool

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_a_private_picture_is_never_reused_for_a_public_job(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    private_job = await queued_job(await stylize(fake, private=True))
    await wait_for_result(fake, fake.dm_channel(fake.member), private_job)
    before = len(fake.messages_in(fake.channel))

    public = await fake.slash_command("stylize", attachments={"style": STYLE})
    assert await private_answer(public) == (
        "Your last picture was in a private job, so I won't show it here. Attach a `content` "
        "picture, or add `private:True` to paint it again in your direct messages."
    )
    assert len(fake.messages_in(fake.channel)) == before  # no thumbnail, no thread

    again = await fake.slash_command("stylize", {"private": True}, attachments={"style": STYLE})
    job_id = await queued_job(again)
    assert (await bot.jobs.require(job_id)).content_path.read_bytes() == CONTENT[0]
    await wait_for_result(fake, fake.dm_channel(fake.member), job_id)


async def test_manage_messages_in_one_channel_does_not_open_another_members_private_job(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    job_id = await queued_job(await stylize(fake, private=True))
    curious = await fake.add_member("curious")
    await fake.set_permissions(fake.channel, curious, allow=perm.MANAGE_MESSAGES)

    peek = await fake.slash_command("atelier show", {"job": job_id}, user=curious)
    assert await private_answer(peek) == (
        f"Only the author of job `{job_id}` (<@{fake.member.id}>) or a moderator can see it."
    )
    allowed = await fake.slash_command("atelier show", {"job": job_id}, user=fake.moderator)
    assert f"`{job_id}`" in await private_answer(allowed)
    await wait_for_result(fake, fake.dm_channel(fake.member), job_id)


async def test_the_queue_lists_another_members_private_job_without_saying_whose(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    endless = replace(LIMITS, max_iterations=100_000)
    async with running_bot(fake, pool, bot_config(fake, tmp_path, limits=endless)) as bot:
        secret = await fake.add_member("secret-painter")
        job_id = await queued_job(await stylize(fake, user=secret, private=True, iterations=9999))

        seen = await private_answer(await fake.slash_command("atelier queue", user=fake.member))
        assert seen.splitlines()[0] == "1 job(s), none yours."
        assert seen.splitlines()[1].startswith("1. a private job · ")
        assert str(secret.id) not in seen and job_id not in seen

        own = await private_answer(await fake.slash_command("atelier queue", user=secret))
        assert own.splitlines()[1].startswith(f"1. `{job_id}` · <@{secret.id}> · ")
        await bot.lifecycle.cancel(job_id, secret.id)
