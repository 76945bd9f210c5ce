"""Clips and the upload limit through the real bot: an MP4 from a member ends as an MP4 (or the
GIF asked for), an animation over the server's upload limit is made smaller and the answer says
what was given up, and one that cannot fit at all ends with a sentence about its size."""

from __future__ import annotations

import pytest
from bot_stories import (
    STYLE,
    public_message,
    queued_job,
    status_message,
    stylize,
    wait_for_result,
)
from fake_discord import Channel, FakeDiscord, Member, Message
from motion_clips import DURATIONS, gif_bytes, panned

from bot.app import AtelierBot
from engine.motion import decode_clip, encode_clip

pytestmark = pytest.mark.asyncio(loop_scope="module")

FRAMES = 4
CLIP = (encode_clip(panned(FRAMES, side=32), DURATIONS[:FRAMES], 0, "mp4").data, "walk.mp4")
# The bot keeps 64 KiB of a server's upload limit for the message around the file, and asks for
# at least 1 KB: a server taking 65 KiB leaves an animation its smallest room.
TIGHT_UPLOAD_LIMIT = 64 * 1024 + 1024


async def member_of_a_small_upload_server(
    fake: FakeDiscord, server: str, member: str
) -> tuple[Member, Channel]:
    """A new member of a new server whose upload limit is TIGHT_UPLOAD_LIMIT, and its channel."""
    guild = await fake.add_guild(server)
    fake.set_upload_limit(TIGHT_UPLOAD_LIMIT, guild)
    painter = await fake.add_member(member, guild=guild)
    return painter, fake.state.channels[guild.channel_ids[0]]


async def painted(fake: FakeDiscord, channel: object, job_id: str) -> Message:
    thread = fake.thread_of(public_message(fake, channel, job_id))
    return await wait_for_result(fake, thread, job_id)


async def test_an_mp4_clip_ends_as_an_mp4_with_its_frames(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    job_id = await queued_job(await stylize(fake, content=CLIP, style=STYLE, size=32))
    (file,) = (await painted(fake, fake.channel, job_id)).attachments
    assert file.filename == f"atelier-{job_id}.mp4"
    clip = decode_clip(file.data)
    assert (len(clip.frames), clip.size) == (FRAMES, (32, 32))


async def test_an_mp4_clip_asked_for_as_a_gif_ends_as_a_gif(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    job_id = await queued_job(await stylize(fake, content=CLIP, size=32, format="gif"))
    (file,) = (await painted(fake, fake.channel, job_id)).attachments
    assert file.filename == f"atelier-{job_id}.gif" and file.data.startswith(b"GIF89a")
    assert len(decode_clip(file.data).frames) == FRAMES


async def test_an_animation_over_the_upload_limit_is_made_smaller_and_the_answer_says_how(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    painter, general = await member_of_a_small_upload_server(fake, "Small Uploads", "gif-maker")
    gif = (gif_bytes(panned(6, side=48), DURATIONS), "big-walk.gif")

    job_id = await queued_job(await stylize(fake, user=painter, channel=general, content=gif))
    result = await painted(fake, general, job_id)
    (file,) = result.attachments
    assert file.filename.endswith(".gif") and file.size <= 1024
    assert "to fit the upload limit: " in result.content, result.content


async def test_an_mp4_that_cannot_fit_the_upload_limit_ends_with_a_sentence_about_its_size(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    painter, general = await member_of_a_small_upload_server(fake, "Tiny Uploads", "clip-maker")

    job_id = await queued_job(await stylize(fake, user=painter, channel=general, content=CLIP))
    thread = fake.thread_of(public_message(fake, general, job_id))
    status = status_message(fake, thread, job_id)
    await fake.wait_for(lambda: "❌" in status.content, timeout=120)
    assert "❌ Too big to post here: the animation is " in status.content, status.content
    assert "over the 1 KB upload limit; try fewer frames, a smaller size or a GIF" in (
        status.content
    )
    assert (await bot.jobs.require(job_id)).state == "failed"
