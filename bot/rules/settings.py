"""A server's own limits, as moderators set them with `/atelier-admin settings`, and the rules a
change must keep to (never above the bot's hard limits)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from bot.config import Limits
from engine.params import MIN_SIZE

DEFAULT_JOBS_PER_MEMBER = 2
MAX_JOBS_PER_MEMBER = 20
MAX_COOLDOWN_SECONDS = 24 * 3600
# Variations grids are cheap (a second of the preview lane) but not free: a cap per member.
DEFAULT_GRIDS_PER_HOUR = 20
MAX_GRIDS_PER_HOUR = 200


@dataclass(frozen=True)
class GuildSettings:
    """None means "the bot's own default"; an empty `allowed_channels` means every channel."""

    guild_id: int | None
    max_iterations: int | None = None
    max_size: int | None = None
    default_iterations: int | None = None
    default_size: int | None = None
    jobs_per_member: int = DEFAULT_JOBS_PER_MEMBER
    cooldown_seconds: int = 0
    allowed_channels: frozenset[int] = frozenset()
    spoiler_by_default: bool = False  # results posted behind a spoiler unless asked otherwise
    input_thumbnails: bool = True  # False: no input thumbnails in channels not marked NSFW
    grids_per_hour: int = DEFAULT_GRIDS_PER_HOUR  # variations grids per member; 0: none
    # An animated or video content, apart from stills: each None is the bot's ceiling.
    max_frames: int | None = None
    max_clip_seconds: float | None = None
    max_fps: float | None = None
    max_animation_size: int | None = None


class SettingsError(ValueError):
    """A moderator asked for a setting that cannot work; the message says why."""


def changed_settings(current: GuildSettings, limits: Limits, **changes: object) -> GuildSettings:
    """`current` with `changes` applied, refusing combinations that break the bot's hard limits."""
    updated = replace(current, **changes)
    _at_most("max iterations", updated.max_iterations, limits.max_iterations, 1)
    _at_most("max size", updated.max_size, limits.max_size, MIN_SIZE)
    _at_most("default iterations", updated.default_iterations, limits.max_iterations, 1)
    _at_most("default size", updated.default_size, limits.max_size, MIN_SIZE)
    _at_most("jobs per member", updated.jobs_per_member, MAX_JOBS_PER_MEMBER, 1)
    _at_most("cooldown", updated.cooldown_seconds, MAX_COOLDOWN_SECONDS, 0)
    _at_most("grids per hour", updated.grids_per_hour, MAX_GRIDS_PER_HOUR, 0)
    _at_most("max frames", updated.max_frames, limits.max_frames, 1)
    _at_most("max clip seconds", updated.max_clip_seconds, limits.max_clip_seconds, 0.1)
    _at_most("max fps", updated.max_fps, limits.max_fps, 0.1)
    _at_most("max animation size", updated.max_animation_size, limits.max_animation_size, MIN_SIZE)
    max_iterations = updated.max_iterations or limits.max_iterations
    max_size = updated.max_size or limits.max_size
    if updated.default_iterations and updated.default_iterations > max_iterations:
        raise SettingsError(
            f"default iterations ({updated.default_iterations}) cannot be above "
            f"max iterations ({max_iterations})"
        )
    if updated.default_size and updated.default_size > max_size:
        raise SettingsError(
            f"default size ({updated.default_size} px) cannot be above max size ({max_size} px)"
        )
    return updated


def _at_most(name: str, value: float | None, ceiling: float, floor: float) -> None:
    if value is None:
        return
    if value < floor:
        raise SettingsError(f"{name} must be at least {floor:g}, got {value:g}")
    if value > ceiling:
        raise SettingsError(f"{name} can be at most {ceiling:g} on this bot, got {value:g}")


SETTING_NAMES = tuple(f.name for f in fields(GuildSettings))


def differences(old: GuildSettings, new: GuildSettings) -> dict[str, tuple[object, object]]:
    """Each setting that differs, as (old, new); channel sets as sorted lists."""

    def plain(value: object) -> object:
        return sorted(value) if isinstance(value, frozenset) else value

    return {
        name: (plain(getattr(old, name)), plain(getattr(new, name)))
        for name in SETTING_NAMES
        if name != "guild_id" and getattr(old, name) != getattr(new, name)
    }
