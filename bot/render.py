"""Pure functions that turn a job's state and the pool's events into the text members read."""

from __future__ import annotations

from collections.abc import Sequence

from bot.config import Limits
from bot.guild_settings import GuildSettings
from bot.request import STRENGTH_DEFAULT, STRENGTH_MAX, STRENGTH_MIN, StyleRequest
from engine.events import Progress

BAR_WIDTH = 12
FAILURE_TITLES = {
    "invalid_image": "could not read an input image",
    "cancelled": "cancelled",
    "timeout": "took too long and was stopped",
    "worker_died": "the painter crashed",
    "out_of_memory": "ran out of memory",
    "error": "failed",
}


def progress_bar(fraction: float, width: int = BAR_WIDTH) -> str:
    filled = round(min(max(fraction, 0.0), 1.0) * width)
    return "▰" * filled + "▱" * (width - filled)


def duration(seconds: float) -> str:
    """`0:35`, `12:05`, `1:02:03`."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def request_line(job_id: str, request: StyleRequest) -> str:
    colours = " · content colours" if request.preserve_colors else ""
    return (
        f"Job `{job_id}` · {request.size} px · {request.iterations} iterations · "
        f"strength {request.strength} · seed {request.seed}{colours}"
    )


def queue_place(position: int | None) -> str:
    return "next in line" if position is None or position <= 1 else f"#{position} in line"


def queued_line(position: int | None) -> str:
    return f"⏳ Queued — {queue_place(position)}"


def starting_line(device: str) -> str:
    return f"🎨 Starting on {device}…"


def progress_line(progress: Progress) -> str:
    percent = int(progress.fraction * 100)
    return (
        f"🎨 {progress_bar(progress.fraction)} {percent}% · "
        f"scale {progress.scale}/{progress.scales} · ETA {duration(progress.eta)}"
    )


def done_line(width: int, height: int, iterations: int, seconds: float, device: str) -> str:
    return (
        f"✅ Done: {width}×{height} px · {iterations} iterations · {duration(seconds)} on {device}"
    )


def failed_line(kind: str, reason: str) -> str:
    return f"❌ {FAILURE_TITLES.get(kind, 'failed').capitalize()}: {reason}"


def cancelled_line(by_user_id: int | None) -> str:
    return f"🚫 Cancelled by <@{by_user_id}>" if by_user_id else "🚫 Cancelled"


def status_header(job_id: str, request: StyleRequest, notes: Sequence[str] = ()) -> str:
    """The fixed top of a job's status message: what it runs with, and what was changed."""
    return "\n".join([request_line(job_id, request), *(f"ℹ️ {note}" for note in notes)])


def status_text(header: str, state_line: str) -> str:
    """The one status message a job keeps editing: its header, then where it stands."""
    return f"{header}\n{state_line}"


def result_text(
    user_id: int,
    job_id: str,
    width: int,
    height: int,
    iterations: int,
    seconds: float,
    notes: Sequence[str] = (),
) -> str:
    """The result message. It names the job id: a restart looks for it to avoid posting twice."""
    lines = [
        f"<@{user_id}> your painting is ready — {width}×{height} px · {iterations} iterations · "
        f"{duration(seconds)} · job `{job_id}`"
    ]
    lines.extend(f"ℹ️ {note}" for note in notes)
    return "\n".join(lines)


def failure_text(user_id: int, job_id: str, line: str) -> str:
    """The message that tells a member their job ended without a picture (`line` says why)."""
    return f"<@{user_id}> {line} · job `{job_id}`"


def queue_post_text(user_id: int, job_id: str, position: int | None) -> str:
    """The public message that opens a job's thread."""
    return f"🖼️ <@{user_id}> queued job `{job_id}` — {queue_place(position)}"


def request_post_text(user_id: int, job_id: str, line: str) -> str:
    """The same public message once the job has ended."""
    return f"🖼️ <@{user_id}> job `{job_id}` — {line}"


MESSAGE_LIMIT = 2000  # Discord's limit on a message's text


def queue_listing(entries: Sequence[tuple[str, int, str]]) -> str:
    """`/atelier queue`: (job id, member id, where it stands) per active job, in queue order."""
    if not entries:
        return "The queue is empty."
    lines = [f"`{job_id}` · <@{user_id}> · {where}" for job_id, user_id, where in entries]
    shown: list[str] = []
    for count, line in enumerate(lines):
        rest = len(lines) - count - 1
        tail = f"\n…and {rest} more" if rest else ""
        if len("\n".join([*shown, line])) + len(tail) > MESSAGE_LIMIT:
            break
        shown.append(line)
    hidden = len(lines) - len(shown)
    return "\n".join([*shown, *([f"…and {hidden} more"] if hidden else [])])


def settings_text(settings: GuildSettings, limits: Limits) -> str:
    """`/atelier settings`: what this server has set, beside the bot's defaults and ceilings."""

    def value(own: int | None, fallback: int, unit: str = "") -> str:
        return f"**{own}{unit}**" if own is not None else f"{fallback}{unit} (bot default)"

    channels = (
        ", ".join(f"<#{c}>" for c in sorted(settings.allowed_channels))
        if settings.allowed_channels
        else "every channel"
    )
    return "\n".join(
        [
            "**Atelier settings for this server**",
            f"Max iterations: {value(settings.max_iterations, limits.max_iterations)}"
            f" · bot ceiling {limits.max_iterations}",
            f"Max size: {value(settings.max_size, limits.max_size, ' px')}"
            f" · bot ceiling {limits.max_size} px",
            f"Default iterations: {value(settings.default_iterations, limits.default_iterations)}",
            f"Default size: {value(settings.default_size, limits.default_size, ' px')}",
            f"Jobs per member at once: **{settings.jobs_per_member}**",
            f"Cooldown per member: **{settings.cooldown_seconds} s**",
            f"`/stylize` allowed in: {channels}",
        ]
    )


def help_text(
    max_iterations: int, max_size: int, default_iterations: int, default_size: int
) -> str:
    return "\n".join(
        [
            "**/stylize** paints your `content` picture in the style of your `style` picture.",
            f"• `iterations` — how long to work (default {default_iterations}, "
            f"at most {max_iterations} here). More is finer but slower.",
            f"• `size` — longest side of the result in px (default {default_size}, "
            f"at most {max_size} here).",
            f"• `strength` — {STRENGTH_MIN} (a light wash) to {STRENGTH_MAX} (all style); "
            f"{STRENGTH_DEFAULT} is balanced.",
            "• `preserve_colors` — keep the content's colours and take only the brushwork.",
            "• `seed` — the same seed and settings give the same picture.",
            "You can follow the job in its thread. Under the result: **Run again** (new seed), "
            "**Stronger**, **Weaker**. **Cancel** stops a job (its owner or a moderator).",
            "`/atelier queue` shows what is waiting; moderators set limits with "
            "`/atelier settings`.",
        ]
    )
