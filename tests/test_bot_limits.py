"""A member's request against the server's and the bot's limits: clamped values, told why."""

from __future__ import annotations

from dataclasses import dataclass

import discord
import pytest
from engine_images import png, png_header_only

from bot.config import Limits
from bot.rules.animation import fit_animation
from bot.rules.images import check_attachment, check_image_bytes
from bot.rules.limits import check_channel, check_member_quota, clamp_request, effective_limits
from bot.rules.permissions import check_may_act_on, may_act_on
from bot.rules.refusals import RequestRefused
from bot.rules.request import RequestedOptions, StyleRequest, strength_factor
from bot.rules.settings import GuildSettings, SettingsError, changed_settings
from engine.motion import ClipFacts

LIMITS = Limits(
    default_iterations=200,
    default_size=512,
    max_iterations=1000,
    max_size=1024,
    max_input_bytes=50_000,
    max_input_pixels=10_000,
)
GUILD = GuildSettings(guild_id=1)


@dataclass(frozen=True)
class OwnedJob:
    id: str
    user_id: int


def test_empty_options_take_the_bot_defaults_and_the_given_seed() -> None:
    clamped = clamp_request(RequestedOptions(), GUILD, LIMITS, random_seed=77)
    assert clamped.request == StyleRequest(200, 512, 5, False, 77)
    assert clamped.notes == ()


def test_moderator_limit_caps_iterations_and_says_it_was_the_server() -> None:
    server = GuildSettings(guild_id=1, max_iterations=300)
    clamped = clamp_request(RequestedOptions(iterations=800), server, LIMITS, random_seed=1)
    assert clamped.request.iterations == 300
    assert clamped.notes == ("iterations capped at 300 by this server",)


def test_bot_ceiling_caps_size_when_the_server_set_none() -> None:
    clamped = clamp_request(RequestedOptions(size=4000), GUILD, LIMITS, random_seed=1)
    assert clamped.request.size == 1024
    assert clamped.notes == ("size capped at 1024 px by this bot",)


def test_server_defaults_replace_the_bots_and_stay_under_the_servers_maximum() -> None:
    server = GuildSettings(guild_id=1, max_size=256, default_iterations=50)
    clamped = clamp_request(RequestedOptions(), server, LIMITS, random_seed=1)
    assert (clamped.request.iterations, clamped.request.size) == (50, 256)
    assert clamped.notes == ()


def test_tiny_sizes_and_odd_strengths_are_pulled_into_range() -> None:
    clamped = clamp_request(RequestedOptions(size=4, strength=15), GUILD, LIMITS, random_seed=1)
    assert clamped.request.size == 16 and clamped.request.strength == 10
    assert clamped.notes == (
        "size raised to the minimum of 16 px",
        "strength goes from 1 to 10; used 10",
    )


def test_explicit_options_survive_unchanged() -> None:
    options = RequestedOptions(iterations=40, size=64, strength=7, preserve_colors=True, seed=9)
    clamped = clamp_request(options, GUILD, LIMITS, random_seed=1)
    assert clamped.request == StyleRequest(40, 64, 7, True, 9)
    params = clamped.request.style_params()
    assert (params.iterations, params.size, params.seed, params.preserve_colors) == (
        40,
        64,
        9,
        True,
    )
    assert params.strength == pytest.approx(2.0)
    assert 1 <= params.preview_every < 40


def test_strength_five_is_the_engines_balanced_default() -> None:
    assert strength_factor(5) == 1.0
    assert strength_factor(1) < strength_factor(5) < strength_factor(10)


def test_effective_limits_never_exceed_the_bots_ceiling() -> None:
    bounds = effective_limits(GuildSettings(guild_id=1, max_iterations=5000), LIMITS)
    assert bounds.max_iterations == 1000 and not bounds.iterations_by_server


def test_a_text_file_is_refused_from_its_content_type_alone() -> None:
    with pytest.raises(RequestRefused, match=r"`notes.txt` is not an image \(text/plain\)"):
        check_attachment("content", "notes.txt", "text/plain", 10, LIMITS)


def test_a_file_too_large_in_bytes_is_refused_with_the_limit() -> None:
    with pytest.raises(RequestRefused, match=r"`big\.png` is 60 KB; the limit is 50 KB"):
        check_attachment("style", "big.png", "image/png", 60_000, LIMITS)
    with pytest.raises(RequestRefused, match=r"`big\.png` is 60 KB; the limit is 50 KB"):
        check_image_bytes("style", "big.png", b"\0" * 60_000, LIMITS)


def test_an_image_with_too_many_pixels_is_refused_without_decoding_it() -> None:
    # Its header alone is readable: had it been decoded, it would be refused as unreadable.
    with pytest.raises(
        RequestRefused, match=r"is 200×100 \(20,000 pixels\); the limit is 10,000 pixels"
    ):
        check_image_bytes("content", "wide.png", png_header_only(200, 100), LIMITS)
    with pytest.raises(RequestRefused, match="could not be read"):
        check_image_bytes("content", "small.png", png_header_only(50, 50), LIMITS)


def test_unreadable_and_truncated_images_are_refused() -> None:
    with pytest.raises(RequestRefused, match=r"`junk\.png` could not be read"):
        check_image_bytes("content", "junk.png", b"this is not a picture", LIMITS)
    truncated = png(64, 64)[:-40]
    with pytest.raises(RequestRefused, match="could not be read"):
        check_image_bytes("content", "cut.png", truncated, LIMITS)


def test_a_good_image_passes_with_its_size() -> None:
    assert check_image_bytes("content", "ok.png", png(48, 32), LIMITS) == (48, 32)


def test_members_over_their_job_count_or_cooldown_are_told_when_to_come_back() -> None:
    server = GuildSettings(guild_id=1, jobs_per_member=1, cooldown_seconds=60)
    with pytest.raises(RequestRefused, match="You already have 1 job waiting or running"):
        check_member_quota(server, active_jobs=1, last_job_at=None, now=1000.0)
    with pytest.raises(RequestRefused, match="try again in 31 s"):
        check_member_quota(server, active_jobs=0, last_job_at=970.0, now=1000.0)
    check_member_quota(server, active_jobs=0, last_job_at=900.0, now=1000.0)


def test_allowed_channels_include_their_threads() -> None:
    server = GuildSettings(guild_id=1, allowed_channels=frozenset({10}))
    check_channel(server, 10, None)
    check_channel(server, 99, 10)  # a thread inside channel 10
    with pytest.raises(RequestRefused, match="Use <#10>"):
        check_channel(server, 11, None)
    check_channel(GUILD, 11, None)  # nothing set: everywhere


def test_settings_changes_respect_the_bots_ceilings() -> None:
    updated = changed_settings(GUILD, LIMITS, max_iterations=300, default_iterations=100)
    assert (updated.max_iterations, updated.default_iterations) == (300, 100)
    with pytest.raises(SettingsError, match="max size can be at most 1024 on this bot"):
        changed_settings(GUILD, LIMITS, max_size=2048)
    with pytest.raises(SettingsError, match="default iterations \\(400\\) cannot be above"):
        changed_settings(updated, LIMITS, default_iterations=400)
    with pytest.raises(SettingsError, match="jobs per member must be at least 1"):
        changed_settings(GUILD, LIMITS, jobs_per_member=0)


def test_every_value_out_of_range_is_clipped_and_noted_in_the_order_of_the_options() -> None:
    options = RequestedOptions(iterations=1200, size=4, strength=12, seed=-1, brush=9.0, blend=150)
    clamped = clamp_request(options, GUILD, LIMITS, random_seed=1)
    assert clamped.notes == (
        "iterations capped at 1000 by this bot",
        "size raised to the minimum of 16 px",
        "strength goes from 1 to 10; used 10",
        f"seed must be between 0 and {2**31 - 1}; used {2**31 - 1}",
        "brush goes from 0.25 to 4; used 4",
        "blend goes from 0 to 100 %; used 100 %",
    )


def test_only_the_author_or_a_moderator_may_act_on_a_job() -> None:
    job = OwnedJob(id="ab12cd34", user_id=7)
    member = discord.Permissions.none()
    moderator = discord.Permissions(manage_messages=True)
    assert may_act_on(job, 7, member) and may_act_on(job, 8, moderator)
    with pytest.raises(RequestRefused, match=r"Only the author of job `ab12cd34` \(<@7>\)"):
        check_may_act_on(job, 8, member, "cancel it")


def test_the_bots_own_ceiling_is_named_when_the_server_set_none_lower() -> None:
    bot_limits = Limits(max_frames=4, max_animation_size=64)
    server = GuildSettings(guild_id=1, max_frames=10, max_animation_size=32)
    fitted = fit_animation(ClipFacts("video", 9, 0.9, 10.0), 48, server, bot_limits)

    assert fitted.animation.max_frames == 4 and fitted.size == 32
    assert fitted.notes == (
        "frames capped at 4 by this bot (the video has 9)",
        "size capped at 32 px for an animation by this server",
    )
