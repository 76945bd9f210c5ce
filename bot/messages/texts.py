"""Pure functions that turn a job's state and the engine's events into the lines of its posts:
the status message, the opening post, the answer."""

from __future__ import annotations

from collections.abc import Sequence

from bot.rules.request import (
    BRUSH_DEFAULT,
    StyleRequest,
)
from bot.store.job_rows import Job
from engine.events import FrameProgress, Progress

BAR_WIDTH = 12
FAILURE_TITLES = {
    "invalid_image": "could not read an input image",
    "cancelled": "cancelled",
    "timeout": "took too long and was stopped",
    "worker_died": "the painter crashed",
    "out_of_memory": "ran out of memory",
    "too_large": "too big to post here",
    "error": "failed",
    "disk_full": "could not be kept",
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


VARY_WHICH = "Around which of the four should the new grid go?"
INSTANT_PREVIEW_CAPTION = "🖼️ Instant preview: a one-pass sketch; the full painting follows"


def work_done(iterations: int) -> str:
    """What the engine did: `120 iterations`, or `instant preview` for none (quality:preview)."""
    return f"{iterations} iterations" if iterations else "instant preview"


def preview_caption(iteration: int, total: int) -> str:
    return f"🖼️ Preview after {iteration} of {total} iterations"


def request_line(job_id: str, request: StyleRequest) -> str:
    extras = [
        *(["content colours"] if request.preserve_colors else []),
        *([f"brush {request.brush:g}"] if request.brush != BRUSH_DEFAULT else []),
        *([f"{request.blend} % of style2"] if request.blend is not None else []),
    ]
    return " · ".join(
        [
            f"Job `{job_id}`",
            f"{request.size} px",
            work_done(request.iterations_run),
            f"strength {request.strength}",
            f"seed {request.seed}",
            *extras,
        ]
    )


def queue_place(position: int | None) -> str:
    return "next in line" if position is None or position <= 1 else f"#{position} in line"


def queued_line(position: int | None) -> str:
    return f"⏳ Queued — {queue_place(position)}"


def starting_line(device: str) -> str:
    return f"🎨 Starting on {device}…"


def progress_line(progress: Progress, now: float) -> str:
    """The live line of a running job; `now` (Unix time) turns the ETA into a Discord
    timestamp that each member's client shows as "in 2 minutes" and keeps counting down."""
    percent = int(progress.fraction * 100)
    return (
        f"🎨 {progress_bar(progress.fraction)} {percent}% · "
        f"scale {progress.scale}/{progress.scales} · done <t:{round(now + progress.eta)}:R>"
    )


def frame_progress_line(progress: FrameProgress, now: float) -> str:
    """The live line of a running animation: which frame, and when the whole clip is done."""
    percent = int(progress.fraction * 100)
    return (
        f"🎨 {progress_bar(progress.fraction)} {percent}% · "
        f"frame {progress.frame} of {progress.frames} · done <t:{round(now + progress.eta)}:R>"
    )


def previewing_line(frame: int, frames: int) -> str:
    """The live line of an animation's instant preview, which has no ETA worth showing."""
    return f"⚡ {progress_bar(frame / frames)} frame {frame} of {frames} previewed…"


def frame_caption(frame: int, frames: int) -> str:
    return f"🖼️ Frame {frame} of {frames}, finished"


def done_line(width: int, height: int, iterations: int, seconds: float, device: str) -> str:
    return (
        f"✅ Done: {width}×{height} px · {work_done(iterations)} · {duration(seconds)} on {device}"
    )


def failed_line(kind: str, reason: str) -> str:
    return f"❌ {FAILURE_TITLES.get(kind, 'failed').capitalize()}: {reason}"


def deleted_line(by_user_id: int) -> str:
    return f"🗑️ Deleted by <@{by_user_id}>"


def cancelled_line(by_user_id: int | None) -> str:
    return f"🚫 Cancelled by <@{by_user_id}>" if by_user_id else "🚫 Cancelled"


def status_header(job_id: str, request: StyleRequest, notes: Sequence[str] = ()) -> str:
    """The fixed top of a job's status message: what it runs with, and what was changed."""
    return "\n".join([request_line(job_id, request), *(f"ℹ️ {note}" for note in notes)])


def status_text(header: str, state_line: str) -> str:
    """The one status message a job keeps editing: its header, then where it stands."""
    return f"{header}\n{state_line}"


def job_status_text(job: Job, state_line: str) -> str:
    """A job's status message as it reads with `state_line` under its header."""
    return status_text(status_header(job.id, job.request, job.notes), state_line)


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
        f"<@{user_id}> your painting is ready — {width}×{height} px · {work_done(iterations)} · "
        f"{duration(seconds)} · job `{job_id}`"
    ]
    lines.extend(f"ℹ️ {note}" for note in notes)
    return "\n".join(lines)


def failure_text(user_id: int, job_id: str, line: str) -> str:
    """The message that tells a member their job ended without a picture (`line` says why)."""
    return f"<@{user_id}> {line} · job `{job_id}`"


def opening_post_queued(user_id: int, job_id: str, position: int | None) -> str:
    """The public message that opens a job's thread."""
    return f"🖼️ <@{user_id}> queued job `{job_id}` — {queue_place(position)}"


def opening_post_ended(user_id: int, job_id: str, line: str) -> str:
    """The same public message once the job has ended."""
    return f"🖼️ <@{user_id}> job `{job_id}` — {line}"
