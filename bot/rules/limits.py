"""What the server and the bot allow: defaults and ceilings, clamping a request into them, and the
per-member quota, cooldown and channel rules.

Clamping returns the effective values plus the notes the member reads; the other checks raise
`RequestRefused` with a sentence shown to the member as is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from bot.config import Limits
from bot.rules.refusals import RequestRefused
from bot.rules.request import (
    BLEND_MAX,
    BLEND_MIN,
    BRUSH_DEFAULT,
    BRUSH_MAX,
    BRUSH_MIN,
    SEED_MAX,
    STRENGTH_DEFAULT,
    STRENGTH_MAX,
    STRENGTH_MIN,
    RequestedOptions,
    StyleRequest,
)
from bot.rules.settings import GuildSettings
from engine.params import MIN_SIZE


@dataclass(frozen=True)
class EffectiveLimits:
    max_iterations: int
    max_size: int
    default_iterations: int
    default_size: int
    iterations_by_server: bool  # whether the server (not the bot) set the ceiling
    size_by_server: bool


def effective_limits(settings: GuildSettings, limits: Limits) -> EffectiveLimits:
    max_iterations = min(settings.max_iterations or limits.max_iterations, limits.max_iterations)
    max_size = min(settings.max_size or limits.max_size, limits.max_size)
    return EffectiveLimits(
        max_iterations=max_iterations,
        max_size=max_size,
        default_iterations=min(
            settings.default_iterations or limits.default_iterations, max_iterations
        ),
        default_size=min(settings.default_size or limits.default_size, max_size),
        iterations_by_server=max_iterations < limits.max_iterations,
        size_by_server=max_size < limits.max_size,
    )


@dataclass(frozen=True)
class Clamped:
    request: StyleRequest
    notes: tuple[str, ...]


N = TypeVar("N", int, float)


class _Notes(list[str]):
    """The changes made to a request, as the member reads them."""

    def bounded(self, value: N, low: N, high: N, unit: str, *, name: str, who: str = "") -> N:
        """`value` pulled into [low, high], noting a change: capped by `who` (a ceiling someone
        set), raised to a minimum, or (no `who`) the range and what was used."""
        clipped = min(max(value, low), high)
        if clipped == value:
            return value
        if not who:
            self.append(f"{name} goes from {low:g} to {high:g}{unit}; used {clipped:g}{unit}")
        elif clipped == high:
            self.append(f"{name} capped at {high}{unit} by {who}")
        else:
            self.append(f"{name} raised to the minimum of {low}{unit}")
        return clipped


def clamp_request(
    options: RequestedOptions, settings: GuildSettings, limits: Limits, *, random_seed: int
) -> Clamped:
    """Fill in defaults and pull each value into range, noting every change the member sees."""
    bounds = effective_limits(settings, limits)
    notes = _Notes()

    def who(by_server: bool) -> str:
        return "this server" if by_server else "this bot"

    iterations = notes.bounded(
        bounds.default_iterations if options.iterations is None else options.iterations,
        1, bounds.max_iterations, "", name="iterations", who=who(bounds.iterations_by_server),
    )  # fmt: skip
    size = notes.bounded(
        bounds.default_size if options.size is None else options.size,
        MIN_SIZE, bounds.max_size, " px", name="size", who=who(bounds.size_by_server),
    )  # fmt: skip
    strength = notes.bounded(
        STRENGTH_DEFAULT if options.strength is None else options.strength,
        STRENGTH_MIN, STRENGTH_MAX, "", name="strength",
    )  # fmt: skip
    seed = random_seed if options.seed is None else options.seed
    if not 0 <= seed <= SEED_MAX:
        seed %= SEED_MAX + 1
        notes.append(f"seed must be between 0 and {SEED_MAX}; used {seed}")
    brush = notes.bounded(
        BRUSH_DEFAULT if options.brush is None else options.brush,
        BRUSH_MIN, BRUSH_MAX, "", name="brush",
    )  # fmt: skip
    blend = options.blend
    if blend is not None:
        blend = notes.bounded(blend, BLEND_MIN, BLEND_MAX, " %", name="blend")
    request = StyleRequest(
        iterations=iterations,
        size=size,
        strength=strength,
        preserve_colors=bool(options.preserve_colors),
        seed=seed,
        brush=brush,
        blend=blend,
        quality=options.quality or "full",
        output_format=options.output_format,
    )
    return Clamped(request, tuple(notes))


def check_member_quota(
    settings: GuildSettings, active_jobs: int, last_job_at: float | None, now: float
) -> None:
    if active_jobs >= settings.jobs_per_member:
        jobs = "job" if settings.jobs_per_member == 1 else "jobs"
        raise RequestRefused(
            f"You already have {active_jobs} {jobs} waiting or running; this server allows "
            f"{settings.jobs_per_member} at once. Try again when one is done.",
            reason="jobs_per_member",
        )
    if last_job_at is not None and settings.cooldown_seconds:
        wait = last_job_at + settings.cooldown_seconds - now
        if wait > 0:
            raise RequestRefused(
                f"This server has a {settings.cooldown_seconds} s cooldown between jobs; "
                f"try again in {int(wait) + 1} s.",
                reason="cooldown",
            )


def check_free_space(free_bytes: int, floor_mb: int) -> None:
    """Below the floor new jobs are refused, so the jobs already accepted can still finish."""
    if floor_mb and free_bytes < floor_mb * 1024 * 1024:
        raise RequestRefused(
            "I'm low on disk space, so I'm not taking new jobs right now; the jobs already "
            "queued will finish. Please try again later (the bot's admin has been told).",
            reason="disk_low",
        )


def too_fast(retry_after: float) -> RequestRefused:
    """A member over their commands-and-buttons rate, told when the next one is counted."""
    return RequestRefused(
        "You're going a bit fast: nothing was done this time. "
        f"Try again in {int(retry_after) + 1} s.",
        reason="too_fast",
    )


GRID_WINDOW_SECONDS = 3600


def check_grid_quota(settings: GuildSettings, grids_last_hour: int) -> None:
    """A variations grid is a cheap request: not counted as a painting, but capped per hour."""
    if not settings.grids_per_hour:
        raise RequestRefused(
            "Variations grids are turned off on this server; ask for quality:full or preview.",
            reason="grids_off",
        )
    if grids_last_hour >= settings.grids_per_hour:
        raise RequestRefused(
            f"You asked for {grids_last_hour} variations grids in the last hour; this server "
            f"allows {settings.grids_per_hour} an hour. Paint one of them, or try again later.",
            reason="grids_per_hour",
        )


def check_channel(settings: GuildSettings, channel_id: int, parent_id: int | None) -> None:
    """A thread counts as its parent channel, so allowing a channel allows its threads."""
    allowed = settings.allowed_channels
    if allowed and channel_id not in allowed and parent_id not in allowed:
        where = ", ".join(f"<#{c}>" for c in sorted(allowed))
        raise RequestRefused(
            f"`/stylize` is not allowed in this channel on this server. Use {where}.",
            reason="channel_not_allowed",
        )
