"""What members read: status lines, summaries, listings; and the files they receive."""

from __future__ import annotations

import io
from dataclasses import replace

from PIL import Image

from bot.config import Limits
from bot.messages import replies, texts
from bot.messages.attachments import fit_upload, thumbnail_png
from bot.messages.buttons import JOB_BUTTONS, result_view
from bot.rules.animation import Animation
from bot.rules.limits import EffectiveLimits
from bot.rules.request import StyleRequest
from bot.rules.settings import GuildSettings
from engine.events import Progress
from tests.icc_profiles import SRGB_RED_IN_P3, display_p3_profile

REQUEST = StyleRequest(iterations=200, size=512, strength=5, preserve_colors=False, seed=42)


def noisy_png(size: int) -> bytes:
    out = io.BytesIO()
    Image.effect_noise((size, size), 80).convert("RGB").save(out, format="PNG")
    return out.getvalue()


def test_progress_line_has_bar_percent_scale_and_eta() -> None:
    progress = Progress(
        scale=2, scales=4, width=256, height=192, iteration=94, total=200, loss=1.0,
        elapsed=30.0, eta=35.4,
    )  # fmt: skip
    assert texts.progress_line(progress, now=1_700_000_000.2) == (
        "🎨 ▰▰▰▰▰▰▱▱▱▱▱▱ 47% · scale 2/4 · done <t:1700000036:R>"
    )


def test_progress_bar_fills_in_proportion_and_stays_in_bounds() -> None:
    assert texts.progress_bar(0.0, 6) == "▱▱▱▱▱▱"
    assert texts.progress_bar(0.5, 6) == "▰▰▰▱▱▱"
    assert texts.progress_bar(1.7, 6) == "▰▰▰▰▰▰"


def test_durations_read_like_a_clock() -> None:
    assert texts.duration(35.4) == "0:35"
    assert texts.duration(725) == "12:05"
    assert texts.duration(3723) == "1:02:03"


def test_queue_position_text() -> None:
    assert texts.queued_line(1) == "⏳ Queued — next in line"
    assert texts.queued_line(3) == "⏳ Queued — #3 in line"
    assert (
        texts.opening_post_queued(7, "ab12cd34", 2) == "🖼️ <@7> queued job `ab12cd34` — #2 in line"
    )


def test_status_message_shows_the_request_notes_and_state() -> None:
    header = texts.status_header("ab12cd34", REQUEST, ["size capped"])
    text = texts.status_text(header, "⏳ Queued — #2 in line")
    assert text.splitlines() == [
        "Job `ab12cd34` · 512 px · 200 iterations · strength 5 · seed 42",
        "ℹ️ size capped",
        "⏳ Queued — #2 in line",
    ]


def test_done_summary_names_size_iterations_and_time() -> None:
    assert texts.done_line(512, 384, 200, 83, "cuda:0") == (
        "✅ Done: 512×384 px · 200 iterations · 1:23 on cuda:0"
    )
    text = texts.result_text(7, "ab12cd34", 512, 384, 200, 83, ["a note"])
    assert text.startswith("<@7> your painting is ready — 512×384 px · 200 iterations · 1:23")
    assert "job `ab12cd34`" in text and text.endswith("ℹ️ a note")


def test_failures_read_as_a_sentence() -> None:
    assert texts.failed_line("timeout", "the job took over 900 s and was stopped") == (
        "❌ Took too long and was stopped: the job took over 900 s and was stopped"
    )
    assert texts.cancelled_line(9) == "🚫 Cancelled by <@9>"
    line = texts.failed_line("invalid_image", "the style image is not a picture")
    assert texts.failure_text(7, "ab12cd34", line) == (
        "<@7> ❌ Could not read an input image: the style image is not a picture · job `ab12cd34`"
    )


def test_queue_listing_and_settings_text() -> None:
    assert replies.queue_listing([]) == "The queue is empty."
    listing = replies.queue_listing(
        [("a1", 7, "🎨 running"), ("b2", 8, "⏳ Queued — #1 in line")], viewer_id=8
    )
    assert listing.splitlines() == [
        "You are #2 of 2.",
        "1. `a1` · <@7> · 🎨 running",
        "2. `b2` · <@8> · ⏳ Queued — #1 in line",
    ]
    text = replies.settings_text(
        GuildSettings(guild_id=1, max_iterations=300, allowed_channels=frozenset({5})), Limits()
    )
    assert "Max iterations: **300** · bot ceiling 1000" in text
    assert "Max size: 1024 px (bot default)" in text
    assert "allowed in: <#5>" in text


def test_a_long_queue_is_cut_to_fit_one_message_and_says_how_many_more() -> None:
    entries = [(f"{n:08x}", 1000 + n, "⏳ Queued — #9 in line") for n in range(200)]
    listing = replies.queue_listing(entries, viewer_id=1000 + 150)
    assert len(listing) <= replies.MESSAGE_LIMIT
    assert listing.startswith("You are #151 of 200.")
    shown = listing.count("\n`") + listing.count(". `")
    assert listing.endswith(f"… and {200 - shown} more")


def test_help_fits_one_message_however_many_styles_are_saved() -> None:
    bounds = EffectiveLimits(1000, 1024, 200, 512, False, False)
    clips = (Animation(10_000, 3600.0, 240.0), 16_384)
    names = [f"{n:02d} " + "x" * 47 for n in range(200)]
    text = replies.help_text(bounds, clips, names)
    assert len(text) <= replies.MESSAGE_LIMIT
    assert "Saved here: 00 xxx" in text and " more." in text
    assert "Saved here: Monet, Hokusai." in replies.help_text(bounds, clips, ["Monet", "Hokusai"])


def test_a_long_style_list_is_cut_at_a_line_and_says_how_many_more() -> None:
    listing = replies.styles_listing([(f"Style number {n:03d}", 10**17 + n) for n in range(200)])
    assert len(listing) <= replies.MESSAGE_LIMIT
    assert listing.startswith("**200 saved style(s)**\n• Style number 000 — added by <@")
    last = listing.splitlines()[-1]
    shown = len(listing.splitlines()) - 2  # the heading and the "more" line
    assert last == f"… and {200 - shown} more"


def test_a_result_under_the_upload_limit_stays_a_png() -> None:
    png = noisy_png(64)
    upload = fit_upload(png, len(png) + 100_000, "atelier-x")
    assert upload.data == png and upload.filename == "atelier-x.png" and upload.note is None


def test_a_result_over_the_upload_limit_is_reencoded_and_says_so() -> None:
    png = noisy_png(256)
    limit = 64 * 1024 + len(png) // 4
    upload = fit_upload(png, limit, "atelier-x")
    assert len(upload.data) <= limit - 64 * 1024
    assert upload.filename == "atelier-x.webp"
    assert upload.note and "over this server's" in upload.note and "WebP" in upload.note
    with Image.open(io.BytesIO(upload.data)) as image:
        assert image.format == "WEBP"


def test_thumbnails_are_small_pngs() -> None:
    thumb = thumbnail_png(noisy_png(600), size=128)
    with Image.open(io.BytesIO(thumb)) as image:
        assert image.format == "PNG" and max(image.size) == 128


def test_a_thumbnail_shows_a_p3_photo_in_the_colours_the_engine_will_use() -> None:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), SRGB_RED_IN_P3).save(
        out, format="PNG", icc_profile=display_p3_profile()
    )
    with Image.open(io.BytesIO(thumbnail_png(out.getvalue(), size=64))) as thumb:
        r, g, b = thumb.convert("RGB").getpixel((10, 10))
    assert thumb.size == (64, 43) and r >= 253 and g <= 2 and b <= 2


def test_a_preview_job_says_instant_preview_where_iterations_would_be():
    request = StyleRequest(iterations=120, size=512, strength=5, preserve_colors=False, seed=1,
                           quality="preview")  # fmt: skip
    assert "512 px · instant preview · strength 5" in texts.request_line("ab12cd34", request)
    assert texts.done_line(512, 384, request.iterations_run, 1, "CPU") == (
        "✅ Done: 512×384 px · instant preview · 0:01 on CPU"
    )
    assert "120 iterations" in texts.request_line("ab12cd34", replace(request, quality="full"))


async def test_each_job_button_is_rebuilt_only_from_its_own_custom_id() -> None:
    # async: discord.py before 2.7 makes a View only inside a running event loop
    for button in JOB_BUTTONS:
        custom_id = button("ab12cd34").custom_id
        assert custom_id == f"atelier:{button.action}:ab12cd34"
        matching = [
            b for b in JOB_BUTTONS if b.__discord_ui_compiled_template__.fullmatch(custom_id)
        ]
        assert matching == [button]
    assert [item.custom_id for item in result_view("ab12cd34").children] == [
        f"atelier:{action}:ab12cd34"
        for action in ("again", "stronger", "weaker", "upscale", "variations", "delete")
    ]
