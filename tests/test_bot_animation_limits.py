"""A moderator's limits for animations, apart from stills: most frames, longest length, frame
rate and frame size. A clip over them is scaled down, and the member is told at queue time
what was cut, by whom, and what the clip had."""

from __future__ import annotations

import pytest
from bot_stories import (
    JOB_ID,
    LIMITS,
    STYLE,
    private_answer,
    public_message,
    stylize,
    wait_for_result,
)
from fake_discord import FakeDiscord
from motion_clips import DURATIONS, gif_bytes, panned

from bot.app import AtelierBot
from engine.motion import decode_clip

pytestmark = pytest.mark.asyncio(loop_scope="module")

SIX_FRAMES = (gif_bytes(panned(6, side=48), DURATIONS), "walk.gif")


async def moderator_sets(fake: FakeDiscord, **settings: object) -> str:
    asked = await fake.slash_command("atelier-admin settings", settings, user=fake.moderator)
    return await private_answer(asked)


async def queued_with_notes(fake: FakeDiscord, **options: object) -> tuple[str, str]:
    """The job id and the member's private confirmation."""
    answer = await private_answer(await stylize(fake, content=SIX_FRAMES, style=STYLE, **options))
    assert answer.startswith("Queued as job"), answer
    return JOB_ID.search(answer)[1], answer


async def test_a_moderators_frame_and_size_caps_scale_a_gif_down_and_the_member_is_told(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    saved = await moderator_sets(fake, max_frames=3, max_animation_size=32)
    assert saved.startswith("Saved.") and "Animations: up to **3** frames" in saved, saved
    assert "**32 px**" in saved
    helped = await private_answer(await fake.slash_command("atelier help", {}, user=fake.member))
    assert "up to 3 frames, the first 10 s, 25 frames a second, 32 px here" in helped, helped

    job_id, answer = await queued_with_notes(fake, size=48)
    assert "ℹ️ frames capped at 3 by this server (the GIF has 6)" in answer, answer
    assert "ℹ️ size capped at 32 px for an animation by this server" in answer

    thread = fake.thread_of(public_message(fake, fake.channel, job_id))
    (file,) = (await wait_for_result(fake, thread, job_id)).attachments
    clip = decode_clip(file.data)
    assert len(clip.frames) == 3 and max(clip.size) == 32
    assert clip.durations_ms == DURATIONS[:3]
    assert (await bot.jobs.require(job_id)).request.size == 32


async def test_a_moderators_length_and_rate_caps_are_told_with_what_the_gif_had(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    await moderator_sets(fake, max_clip_seconds=0.25, max_fps=5.0)

    job_id, answer = await queued_with_notes(fake, size=32)
    assert "ℹ️ only the first 0.25 s are painted, as set by this server (the GIF lasts 0.5 s)" in (
        answer
    ), answer
    assert "ℹ️ frame rate capped at 5 a second by this server (the GIF has 12)" in answer

    thread = fake.thread_of(public_message(fake, fake.channel, job_id))
    (file,) = (await wait_for_result(fake, thread, job_id)).attachments
    clip = decode_clip(file.data)
    assert sum(clip.durations_ms) <= 300 and all(d >= 200 for d in clip.durations_ms[:-1])


async def test_an_animation_limit_above_the_bots_ceiling_is_refused_and_nothing_changes(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    answer = await moderator_sets(fake, max_frames=LIMITS.max_frames + 1, max_fps=2.0)
    assert answer == (
        f"Not changed: max frames can be at most {LIMITS.max_frames} on this bot, "
        f"got {LIMITS.max_frames + 1}."
    )
    settings = await bot.guild_settings.get(int(fake.guild.id))
    assert (settings.max_frames, settings.max_fps) == (None, None)


async def test_an_animation_within_every_limit_is_queued_without_a_note(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    _, answer = await queued_with_notes(fake, size=32)
    assert "ℹ️" not in answer, answer
