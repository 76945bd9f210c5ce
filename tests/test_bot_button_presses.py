"""The buttons under a job pressed in Discord, end to end: the real bot on the fake Discord, the
module's one-worker engine pool painting tiny pictures, a real SQLite file. What each press
paints, where it stops, who may press it, and the answer to a press that came too late."""

from __future__ import annotations

from dataclasses import replace

import pytest
from bot_stories import (
    WAIT,
    private_answer,
    public_message,
    queued_job,
    status_message,
    stylize,
    wait_for_result,
)
from fake_discord import Channel, FakeDiscord, Message
from waiting import eventually

from bot.app import AtelierBot
from bot.rules.request import STRENGTH_MAX, STRENGTH_MIN, STRENGTH_STEP

pytestmark = pytest.mark.asyncio(loop_scope="module")


def thread_of(fake: FakeDiscord, job_id: str) -> Channel:
    return fake.thread_of(public_message(fake, fake.channel, job_id))


async def painted(fake: FakeDiscord, job_id: str, thread: Channel | None = None) -> Message:
    return await wait_for_result(fake, thread or thread_of(fake, job_id), job_id)


async def press(fake: FakeDiscord, result: Message, action: str, job_id: str, **who: object) -> str:
    """Press `action` under a result; the new job it queued."""
    return await queued_job(await fake.click(result, f"atelier:{action}:{job_id}", **who))


async def test_stronger_and_weaker_paint_a_step_either_way_and_say_so_at_the_ends(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    first = await queued_job(await stylize(fake, strength=STRENGTH_MAX - 1, seed=4))
    thread = thread_of(fake, first)
    result = await painted(fake, first)

    strongest = await press(fake, result, "stronger", first)
    weaker = await press(fake, result, "weaker", first)
    strongest_result = await painted(fake, strongest, thread)
    weaker_result = await painted(fake, weaker, thread)
    asked = (await bot.jobs.require(first)).request
    for job_id, strength in ((strongest, STRENGTH_MAX), (weaker, asked.strength - STRENGTH_STEP)):
        job = await bot.jobs.require(job_id)
        assert (job.state, job.request) == ("done", replace(asked, strength=strength))
    assert f"strength {STRENGTH_MAX}" in status_message(fake, thread, strongest).content
    assert strongest_result.attachments[0].data != weaker_result.attachments[0].data

    at_the_top = await fake.click(strongest_result, f"atelier:stronger:{strongest}")
    assert await private_answer(at_the_top) == (
        f"Job `{strongest}` already ran at the strongest setting."
    )
    assert len(await bot.jobs.history(int(fake.guild.id), int(fake.member.id), 10)) == 3


async def test_weaker_at_the_weakest_says_so_and_queues_nothing(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    weakest = await queued_job(await stylize(fake, strength=STRENGTH_MIN))
    result = await painted(fake, weakest)
    refused = await fake.click(result, f"atelier:weaker:{weakest}")
    assert await private_answer(refused) == (f"Job `{weakest}` already ran at the weakest setting.")
    assert len(await bot.jobs.history(int(fake.guild.id), int(fake.member.id), 10)) == 1


async def test_run_again_paints_the_same_request_with_a_new_seed(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    first = await queued_job(await stylize(fake, seed=12345))
    result = await painted(fake, first)
    again = await press(fake, result, "again", first)
    again_result = await painted(fake, again, thread_of(fake, first))

    before, after = (await bot.jobs.require(first)).request, (await bot.jobs.require(again)).request
    assert after.seed != before.seed == 12345
    assert replace(after, seed=before.seed) == before
    assert f"seed {after.seed}" in status_message(fake, thread_of(fake, first), again).content
    assert again_result.attachments[0].data != result.attachments[0].data


async def test_a_moderator_repaints_and_then_deletes_a_members_job(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    job_id = await queued_job(await stylize(fake))
    thread = thread_of(fake, job_id)
    result = await painted(fake, job_id)

    stronger = await press(fake, result, "stronger", job_id, user=fake.moderator)
    await painted(fake, stronger, thread)
    assert (await bot.jobs.require(stronger)).user_id == int(fake.moderator.id)

    deleted = await fake.click(result, f"atelier:delete:{job_id}", user=fake.moderator)
    assert await private_answer(deleted) == (
        f"Deleted job `{job_id}`: its result message and its pictures are gone."
    )
    assert fake.message(result.id).deleted
    assert status_message(fake, thread, job_id).content.endswith(
        f"🗑️ Deleted by <@{fake.moderator.id}>"
    )
    assert not bot.files.folder(job_id).exists()
    assert bot.files.folder(stronger).exists()  # the moderator's own job keeps its pictures


async def test_a_cancel_pressed_as_the_painting_finishes_says_it_already_finished_and_where(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    job_id = await queued_job(await stylize(fake, iterations=6, size=48))
    thread = thread_of(fake, job_id)
    status = status_message(fake, thread, job_id)
    # The status edits hang in Discord (a slow link): the member still sees Cancel and presses
    # it just as the painting is done.
    edits = fake.fail("stall", method="PATCH", path=rf"/channels/{thread.id}/messages/{status.id}$")
    await eventually(lambda: bot.jobs.require(job_id), lambda job: job.state == "done", WAIT)
    assert status.custom_ids == [f"atelier:cancel:{job_id}"]

    late = await fake.click(status, f"atelier:cancel:{job_id}")
    assert await private_answer(late) == (
        f"Job `{job_id}` had already finished; its result is in <#{thread.id}>."
    )
    fake.heal(edits)
    await painted(fake, job_id)
    await fake.wait_for(lambda: status.custom_ids == [])
    results = [m for m in fake.messages_in(thread) if "your painting is ready" in m.content]
    assert len(results) == 1
