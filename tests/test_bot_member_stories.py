"""What a member can do besides `/stylize` with two uploads, end to end: the real discord.py
client in AtelierBot against the fake Discord, with a real one-worker engine pool on CPU
painting tiny pictures (a few iterations at 16..32 px)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from bot_stories import (
    CONTENT,
    LIMITS,
    STYLE,
    WAIT,
    bot_config,
    picture,
    picture_size,
    private_answer,
    public_message,
    queued_job,
    running_bot,
    status_message,
    stylize,
    wait_for_result,
)
from fake_discord import Channel, FakeDiscord, Message

from bot.app import AtelierBot
from bot.messages.png_metadata import text_of
from engine.pool import EnginePool

pytestmark = pytest.mark.asyncio(loop_scope="module")

AUTOCOMPLETE_RESULT = 8


def public_message_of(fake: FakeDiscord, job_id: str) -> Message:
    """The public message of a job queued in #general, whatever it shows now."""
    return next(m for m in fake.messages_in(fake.channel) if f"job `{job_id}`" in m.content)


def thread_of(fake: FakeDiscord, job_id: str) -> Channel:
    """The thread of a job queued in #general."""
    return fake.thread_of(public_message(fake, fake.channel, job_id))


async def painted(fake: FakeDiscord, job_id: str) -> Message:
    """The result of a job queued in #general: it is posted in the job's thread."""
    return await wait_for_result(fake, thread_of(fake, job_id), job_id)


async def test_a_member_reads_the_help_and_sees_their_place_in_the_queue(
    fake: FakeDiscord, pool: EnginePool, tmp_path: Path
) -> None:
    endless = replace(LIMITS, max_iterations=100_000)
    async with running_bot(fake, pool, bot_config(fake, tmp_path, limits=endless)):
        member_commands = fake.command("atelier")
        assert member_commands["default_member_permissions"] is None  # visible to everyone
        asked = await fake.slash_command("atelier help", user=fake.member)
        help_text = await private_answer(asked)
        assert "**/stylize**" in help_text and "at most 100000 here" in help_text
        assert "at most 48 here" in help_text and "`preset`" in help_text

        empty = await fake.slash_command("atelier queue")
        assert await private_answer(empty) == "The queue is empty."
        other = await fake.add_member("other-painter")
        first = await queued_job(await stylize(fake, user=other, iterations=100_000))
        status = status_message(fake, thread_of(fake, first), first)
        await fake.wait_for(lambda: "%" in status.content, timeout=WAIT)
        mine = await queued_job(await stylize(fake, user=fake.member))

        queue = await private_answer(await fake.slash_command("atelier queue", user=fake.member))
        lines = queue.splitlines()
        assert lines[0] == "You are #2 of 2."
        assert lines[1].startswith(f"1. `{first}` · <@{other.id}> · 🎨 ")
        assert lines[2].startswith(f"2. `{mine}` · <@{fake.member.id}> · ⏳ Queued")
        cancel = await fake.click(status, f"atelier:cancel:{first}", user=fake.moderator)
        assert await private_answer(cancel) == f"Job `{first}` cancelled."
        await painted(fake, mine)


async def test_history_lists_a_members_own_jobs_with_links_and_not_anyone_elses(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    neighbour = await fake.add_member("neighbour")
    theirs = await queued_job(await stylize(fake, user=neighbour))
    mine = await queued_job(await stylize(fake, user=fake.member, seed=11))
    result = await painted(fake, mine)
    await painted(fake, theirs)

    history = await private_answer(await fake.slash_command("atelier history"))
    assert history.startswith("**Your latest jobs**")
    assert f"`{mine}`" in history and f"`{theirs}`" not in history
    link = f"https://discord.com/channels/{fake.guild.id}/{result.channel_id}/{result.id}"
    assert f"[result]({link})" in history and "seed 11" in history

    alone = await fake.add_member("newcomer")
    empty = await private_answer(await fake.slash_command("atelier history", user=alone))
    assert empty.startswith("You have no jobs on this server yet")


async def test_use_as_content_then_use_as_style_on_two_messages_paints_one_result(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    photo = await fake.post("my cat", files=[CONTENT], user=fake.member)
    painting = await fake.post("look at this", files=[STYLE], user=fake.moderator)

    first = await fake.message_command("Stylize: use as content", photo)
    waiting = await private_answer(first)
    assert "that picture is your **content**" in waiting and "use as style" in waiting

    second = await fake.message_command("Stylize: use as style", painting)
    job_id = await queued_job(second)
    result = await painted(fake, job_id)
    assert picture_size(result.attachments[0]) == (32, 32)
    job = await bot.jobs.require(job_id)
    assert job.content_path.read_bytes() == CONTENT[0]
    assert job.style_path.read_bytes() == STYLE[0]

    # The picks were used up: a second "use as style" asks for a content again, in a form.
    again = await fake.message_command("Stylize: use as style", painting)
    await again.wait_for_ack()
    assert again.modal["title"] == "Stylize: the picture to repaint"
    # The member closes the form; /stylize with only the missing content finishes it.
    other_photo = (picture("astronaut.png", 30), "selfie.png")
    finished = await fake.slash_command("stylize", attachments={"content": other_photo})
    second_id = await queued_job(finished)
    await painted(fake, second_id)
    second_job = await bot.jobs.require(second_id)
    assert second_job.style_path.read_bytes() == STYLE[0]
    assert second_job.style_names == ("hubble.png",)

    words = await fake.post("no picture here", user=fake.member)
    nothing = await fake.message_command("Stylize: use as content", words)
    assert await private_answer(nothing) == (
        "That message has no picture attached; right-click a message with an image."
    )


async def test_use_as_style_alone_opens_a_form_for_the_content_and_paints(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    painting = await fake.post("a painting", files=[STYLE], user=fake.moderator)
    picked = await fake.message_command("Stylize: use as style", painting)
    await picked.wait_for_ack()
    with pytest.raises(ValueError, match=r"takes 1\.\.1 files"):
        await fake.submit_modal(picked, {})
    with pytest.raises(LookupError, match="only the member"):
        await fake.submit_modal(picked, {"atelier:content": [CONTENT]}, user=fake.moderator)

    submitted = await fake.submit_modal(picked, {"atelier:content": [CONTENT]})
    job_id = await queued_job(submitted)
    await painted(fake, job_id)
    job = await bot.jobs.require(job_id)
    assert job.content_path.read_bytes() == CONTENT[0]
    assert job.style_path.read_bytes() == STYLE[0]

    unreadable = await fake.message_command("Stylize: use as style", painting)
    await unreadable.wait_for_ack()
    refused = await fake.submit_modal(
        unreadable, {"atelier:content": [(b"not a picture", "notes.txt", "text/plain")]}
    )
    assert "`notes.txt` is not an image" in await private_answer(refused)


async def test_stylize_without_content_reuses_the_members_last_picture(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    newcomer = await fake.add_member("first-timer")
    refused = await fake.slash_command("stylize", user=newcomer, attachments={"style": STYLE})
    assert "Attach a `content` picture" in await private_answer(refused)

    first = await queued_job(await stylize(fake, user=newcomer))
    await painted(fake, first)
    second = await queued_job(
        await fake.slash_command("stylize", user=newcomer, attachments={"style": STYLE})
    )
    await painted(fake, second)
    job = await bot.jobs.require(second)
    assert job.content_path.read_bytes() == CONTENT[0]


async def test_a_preset_a_moderator_saved_is_chosen_by_autocomplete_and_paints(
    fake: FakeDiscord, bot: AtelierBot, tmp_path: Path
) -> None:
    denied = await fake.slash_command(
        "atelier-admin styles add",
        {"name": "Deep Field"},
        user=fake.member,
        attachments={"image": STYLE},
    )
    assert "Only members with the **Manage Server** permission" in await private_answer(denied)

    added = await fake.slash_command(
        "atelier-admin styles add",
        {"name": "Deep  Field"},
        user=fake.moderator,
        attachments={"image": STYLE},
    )
    assert "Saved style **Deep Field**" in await private_answer(added)
    not_a_picture = await fake.slash_command(
        "atelier-admin styles add",
        {"name": "Notes"},
        user=fake.moderator,
        attachments={"image": (b"just words", "notes.txt", "text/plain")},
    )
    assert (await private_answer(not_a_picture)).startswith(
        "Not saved: The style image `notes.txt` is not an image"
    )
    taken = await fake.slash_command(
        "atelier-admin styles add",
        {"name": "deep field"},
        user=fake.moderator,
        attachments={"image": STYLE},
    )
    assert "already a style called “deep field”" in await private_answer(taken)
    (saved,) = (tmp_path / "styles" / fake.guild.id).iterdir()
    assert saved.read_bytes() == STYLE[0]  # beside the database, inside the data directory

    typed = await fake.autocomplete("stylize", "preset", "dee")
    callback = await typed.wait_for_ack()
    assert callback.type == AUTOCOMPLETE_RESULT
    assert callback.data["choices"] == [{"name": "Deep Field", "value": "Deep Field"}]

    job_id = await queued_job(
        await fake.slash_command(
            "stylize", {"preset": "Deep Field"}, attachments={"content": CONTENT}
        )
    )
    result = await painted(fake, job_id)
    assert (await bot.jobs.require(job_id)).style_path.read_bytes() == STYLE[0]
    assert text_of(result.attachments[0].data)["Style"] == "Deep Field"

    renamed = await fake.slash_command(
        "atelier-admin styles rename",
        {"name": "deep field", "new_name": "Hubble"},
        user=fake.moderator,
    )
    assert await private_answer(renamed) == "Renamed **deep field** to **Hubble**."
    unknown = await fake.slash_command(
        "stylize", {"preset": "Deep Field"}, attachments={"content": CONTENT}
    )
    assert "this server has no style called “Deep Field”" in await private_answer(unknown)
    both = await stylize(fake, preset="Hubble")
    assert "either a `style` picture or a `preset`, not both" in await private_answer(both)

    removed = await fake.slash_command(
        "atelier-admin styles remove", {"name": "Hubble"}, user=fake.moderator
    )
    assert await private_answer(removed) == "Removed style **Hubble**."
    assert list((tmp_path / "styles" / fake.guild.id).iterdir()) == []


async def test_only_the_author_or_a_moderator_may_run_again_and_delete_removes_everything(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    job_id = await queued_job(await stylize(fake))
    result = await painted(fake, job_id)

    bystander = await fake.add_member("bystander-2")
    for action in ("again", "stronger", "weaker", "upscale", "variations", "delete"):
        denied = await fake.click(result, f"atelier:{action}:{job_id}", user=bystander)
        assert f"Only the author of job `{job_id}` (<@{fake.member.id}>) or a moderator" in (
            await private_answer(denied)
        )
    assert len(await bot.jobs.history(int(fake.guild.id), int(fake.member.id), 10)) == 1

    folder = bot.files.folder(job_id)
    assert (folder / "result.png").exists()
    deleted = await fake.click(result, f"atelier:delete:{job_id}", user=fake.member)
    assert await private_answer(deleted) == (
        f"Deleted job `{job_id}`: its result message and its pictures are gone."
    )
    assert fake.message(result.id).deleted
    request = public_message_of(fake, job_id)
    assert request.attachments == [] and request.embeds == []
    assert request.content.endswith(f"🗑️ Deleted by <@{fake.member.id}>")
    status = status_message(fake, fake.thread_of(request), job_id)
    assert status.attachments == [] and status.custom_ids == []
    assert status.content.endswith(f"🗑️ Deleted by <@{fake.member.id}>")
    assert not folder.exists()
    assert await bot.jobs.files_deleted(job_id)


async def test_upscale_repaints_the_result_at_twice_the_size(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    job_id = await queued_job(await stylize(fake, size=24, iterations=2))
    result = await painted(fake, job_id)
    assert picture_size(result.attachments[0]) == (24, 24)

    upscale = await fake.click(result, f"atelier:upscale:{job_id}", user=fake.moderator)
    bigger_id = await queued_job(upscale)
    thread = fake.thread_of(public_message(fake, fake.channel, job_id))
    bigger = await wait_for_result(fake, thread, bigger_id)
    assert picture_size(bigger.attachments[0]) == (48, 48)
    # The original photo stays the content; the result is only where the painting starts.
    first, bigger_job = await bot.jobs.require(job_id), await bot.jobs.require(bigger_id)
    assert bigger_job.content_path.read_bytes() == first.content_path.read_bytes()
    assert bigger_job.init_path is not None
    assert bigger_job.init_path.read_bytes() == first.result_path.read_bytes()
    assert bigger_job.request == replace(first.request, size=48)

    too_big = await fake.click(bigger, f"atelier:upscale:{bigger_id}", user=fake.moderator)
    assert await private_answer(too_big) == (
        f"Upscaling job `{bigger_id}` would make it 96 px; the largest allowed here is 48 px."
    )


async def test_a_results_png_carries_its_settings_and_show_reads_them_back(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    job_id = await queued_job(await stylize(fake, seed=1234, strength=7, iterations=2))
    result = await painted(fake, job_id)
    chunks = text_of(result.attachments[0].data)
    assert chunks["Atelier job"] == job_id
    assert (chunks["Seed"], chunks["Strength"], chunks["Iterations"], chunks["Size"]) == (
        "1234",
        "7",
        "2",
        "32",
    )

    typed = await fake.autocomplete("atelier show", "job", job_id[:3])
    choices = (await typed.wait_for_ack()).data["choices"]
    assert {"name": f"{job_id} · done · seed 1234", "value": job_id} in choices
    shown = await private_answer(await fake.slash_command("atelier show", {"job": job_id}))
    assert shown.startswith(f"Job `{job_id}` · 32 px · 2 iterations · strength 7 · seed 1234")
    assert "Written in the PNG: " in shown and "Seed: 1234" in shown and "Strength: 7" in shown
    assert f"/{result.channel_id}/{result.id}" in shown

    stranger = await fake.add_member("stranger")
    hidden = await fake.slash_command("atelier show", {"job": job_id}, user=stranger)
    assert "or a moderator can see it." in await private_answer(hidden)
    missing = await fake.slash_command("atelier show", {"job": "ffffffff"})
    assert await private_answer(missing) == "There is no job `ffffffff` on this server."


async def test_a_private_job_lands_in_the_members_direct_messages(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    before = len(fake.messages_in(fake.channel))
    job_id = await queued_job(await stylize(fake, private=True))
    dm = fake.dm_channel(fake.member)
    result = await wait_for_result(fake, dm, job_id)
    assert picture_size(result.attachments[0]) == (32, 32)
    assert len(fake.messages_in(fake.channel)) == before  # nothing public in the channel
    history = await private_answer(await fake.slash_command("atelier history"))
    assert f"https://discord.com/channels/@me/{dm.id}/{result.id}" in history


async def test_two_styles_mixed_with_a_broad_brush_paint_and_the_png_says_so(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    lonely_blend = await stylize(fake, blend=30)
    assert await private_answer(lonely_blend) == (
        "`blend` mixes two styles: add a `style2` picture too, or leave `blend` out."
    )
    second = (picture("astronaut.png", 36), "portrait.png")
    asked = await fake.slash_command(
        "stylize",
        {"blend": 30, "brush": 2.0, "iterations": 2},
        attachments={"content": CONTENT, "style": STYLE, "style2": second},
    )
    job_id = await queued_job(asked)
    thread = thread_of(fake, job_id)
    assert "brush 2 · 30 % of style2" in status_message(fake, thread, job_id).content
    result = await wait_for_result(fake, thread, job_id)
    chunks = text_of(result.attachments[0].data)
    assert chunks["Style"] == "hubble.png + portrait.png"
    assert (chunks["Blend"], chunks["Brush"]) == ("30 %", "2")
    job = await bot.jobs.require(job_id)
    assert job.style2_path is not None and job.style2_path.read_bytes() == second[0]

    with pytest.raises(ValueError, match="brush"):  # Discord's client refuses it already
        await stylize(fake, brush=9.0)


async def test_a_server_can_hide_input_thumbnails_outside_nsfw_channels_and_spoil_results(
    fake: FakeDiscord, bot: AtelierBot
) -> None:
    asked = await fake.slash_command(
        "atelier-admin settings",
        {"spoiler_by_default": True, "input_thumbnails": False},
        user=fake.moderator,
    )
    answer = await private_answer(asked)
    assert "Results behind a spoiler by default: **yes**" in answer
    assert "Input thumbnails: **only in channels marked NSFW**" in answer

    job_id = await queued_job(await stylize(fake))
    request = public_message_of(fake, job_id)
    assert request.attachments == [] and request.embeds == []
    result = await wait_for_result(fake, fake.thread_of(request), job_id)
    assert result.attachments[0].filename.startswith("SPOILER_")

    unspoiled = await queued_job(await stylize(fake, spoiler=False))
    request = public_message_of(fake, unspoiled)
    result = await wait_for_result(fake, fake.thread_of(request), unspoiled)
    assert not result.attachments[0].filename.startswith("SPOILER_")

    lounge = await fake.add_text_channel("lounge", nsfw=True)
    shown = await queued_job(await stylize(fake, channel=lounge))
    request = public_message(fake, lounge, shown)
    assert sorted(f.filename for f in request.attachments) == [
        "SPOILER_content.png",
        "SPOILER_style.png",
    ]
    await wait_for_result(fake, fake.thread_of(request), shown)
