"""Pure functions for the private answers to `/atelier` and `/atelier-admin`: listings of the
queue, a member's history, a job, saved styles; the help; a server's settings. Each fits one
Discord message."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.config import Limits
from bot.messages.texts import request_line
from bot.rules.animation import Animation
from bot.rules.limits import EffectiveLimits
from bot.rules.request import (
    BLEND_DEFAULT,
    BLEND_MAX,
    BLEND_MIN,
    BRUSH_DEFAULT,
    BRUSH_MAX,
    BRUSH_MIN,
    STRENGTH_DEFAULT,
    STRENGTH_MAX,
    STRENGTH_MIN,
)
from bot.rules.settings import GuildSettings
from bot.store.job_rows import Job

MESSAGE_LIMIT = 2000  # characters Discord takes in one message
HELP_STYLE_NAMES_BUDGET = 350  # the rest of the help takes about 1,600


def fit_lines(lines: Sequence[str], limit: int = MESSAGE_LIMIT) -> str:
    """`lines` joined, cut to fit one message; the cut says how many lines were left out."""
    shown: list[str] = []
    for n, line in enumerate(lines):
        more = f"… and {len(lines) - n} more"
        if len("\n".join([*shown, line, more])) > limit:
            return "\n".join([*shown, more])
        shown.append(line)
    return "\n".join(shown)


def queue_listing(
    entries: Sequence[tuple[str, int | None, str]], viewer_id: int | None = None
) -> str:
    """`/atelier queue`: (job id, member id, where it stands) per active job, in queue order;
    the member id is None for another member's private job, which is listed without who or what.

    The viewer's own place comes first; the list is cut to fit one Discord message.
    """
    if not entries:
        return "The queue is empty."
    places = [n for n, (_, user_id, _) in enumerate(entries, start=1) if user_id == viewer_id]
    header = (
        f"You are #{places[0]} of {len(entries)}."
        if places
        else f"{len(entries)} job(s), none yours."
    )
    return (
        header
        + "\n"
        + fit_lines(
            [
                f"{n}. `{job_id}` · <@{user_id}> · {where}"
                if user_id is not None
                else f"{n}. a private job · {where}"
                for n, (job_id, user_id, where) in enumerate(entries, start=1)
            ],
            MESSAGE_LIMIT - len(header) - 1,
        )
    )


def job_link(guild_id: int | None, channel_id: int, message_id: int) -> str:
    return f"https://discord.com/channels/{guild_id or '@me'}/{channel_id}/{message_id}"


def history_line(job: Job, link: str | None) -> str:
    """One of a member's jobs in `/atelier history`: when, what, and where its result is."""
    when = f"<t:{int(job.created_at)}:R>"
    outcome = {"done": "✅", "failed": "❌", "cancelled": "🚫"}.get(job.state, "⏳")
    where = f" · [result]({link})" if link else ""
    if job.animation is not None:
        where = f" · 🎞️ animation{where}"
    return (
        f"{outcome} `{job.id}` {when} · {job.request.size} px · {job.request.iterations} it · "
        f"strength {job.request.strength} · seed {job.request.seed}{where}"
    )


def animation_line(job: Job) -> str:
    """What an animation job was painted within, and as what: its settings, as a still's PNG
    carries its own."""
    assert job.animation is not None
    wanted = job.request.output_format
    answer = f"as {wanted.upper()}" if wanted else "as its source (a GIF, or an MP4 for a clip)"
    return (
        f"🎞️ Animation: up to {job.animation.max_frames} frames, the first "
        f"{job.animation.max_seconds:g} s, at most {job.animation.max_fps:g} frames a second · "
        f"answered {answer}"
    )


def history_listing(lines: Sequence[str]) -> str:
    if not lines:
        return "You have no jobs on this server yet. Start one with `/stylize`."
    return fit_lines(["**Your latest jobs**", *lines])


def show_text(job: Job, png_text: Mapping[str, str], link: str | None) -> str:
    """`/atelier show`: a job's settings (read back from its PNG when there is one) and result."""
    lines = [request_line(job.id, job.request), f"State: {job.state}"]
    if job.error:
        lines.append(job.error)
    if link:
        lines.append(f"Result: {link}")
    if job.animation is not None:
        lines.append(animation_line(job))
    if png_text:
        lines.append("Written in the PNG: " + " · ".join(f"{k}: {v}" for k, v in png_text.items()))
    return fit_lines(lines)


def settings_text(settings: GuildSettings, limits: Limits) -> str:
    """`/atelier-admin settings`: what this server has set, beside the bot's defaults and ceilings."""

    def value(own: float | None, fallback: float, unit: str = "") -> str:
        return f"**{own:g}{unit}**" if own is not None else f"{fallback:g}{unit} (bot default)"

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
            "Variations grids per member and hour: "
            + (f"**{settings.grids_per_hour}**" if settings.grids_per_hour else "**off**"),
            f"`/stylize` allowed in: {channels}",
            "Results behind a spoiler by default: "
            + ("**yes**" if settings.spoiler_by_default else "**no**"),
            "Input thumbnails: "
            + ("**shown**" if settings.input_thumbnails else "**only in channels marked NSFW**"),
            f"Animations: up to {value(settings.max_frames, limits.max_frames)} frames, the first "
            f"{value(settings.max_clip_seconds, limits.max_clip_seconds, ' s')}, at most "
            f"{value(settings.max_fps, limits.max_fps)} frames a second, "
            f"{value(settings.max_animation_size, limits.max_animation_size, ' px')}"
            f" · bot ceilings {limits.max_frames} frames, {limits.max_clip_seconds:g} s, "
            f"{limits.max_fps:g} a second, {limits.max_animation_size} px",
        ]
    )


def names_within(names: Sequence[str], budget: int) -> str:
    """As many names as fit in `budget` characters, then how many more there are."""
    shown: list[str] = []
    for n, name in enumerate(names):
        more = f" and {len(names) - n} more"
        if len(", ".join([*shown, name])) + len(more) > budget:
            return ", ".join(shown) + more
        shown.append(name)
    return ", ".join(shown)


def help_text(
    bounds: EffectiveLimits, clips: tuple[Animation, int], style_names: Sequence[str]
) -> str:
    """`/atelier help`: every option, with this server's limits (`clips`: for animations, and
    their frames' largest size) and saved styles."""
    clip, clip_size = clips
    saved = (
        f"Saved here: {names_within(style_names, HELP_STYLE_NAMES_BUDGET)}."
        if style_names
        else "None saved here yet (moderators: `/atelier-admin styles add`)."
    )
    return "\n".join(
        [
            "**/stylize** paints your `content` picture in the style of your `style` picture.",
            "• `content` — leave it empty to reuse the picture you picked with right-click, "
            "or the content of your last job.",
            f"• `preset` — a style saved on this server instead of `style`. {saved}",
            f"• `iterations` — how long to work (default {bounds.default_iterations}, "
            f"at most {bounds.max_iterations} here). More is finer but slower.",
            f"• `size` — longest side of the result in px (default {bounds.default_size}, "
            f"at most {bounds.max_size} here).",
            f"• `strength` — {STRENGTH_MIN} (a light wash) to {STRENGTH_MAX} (all style); "
            f"{STRENGTH_DEFAULT} is balanced.",
            "• `preserve_colors` — keep the content's colours and take only the brushwork.",
            "• `seed` — the same seed and settings give the same picture.",
            f"• `style2` + `blend` — mix in a second style ({BLEND_MIN}..{BLEND_MAX} % of it, "
            f"default {BLEND_DEFAULT} %).",
            f"• `brush` — stroke size, {BRUSH_MIN:g} (fine) to {BRUSH_MAX:g} (broad); "
            f"{BRUSH_DEFAULT:g} is normal.",
            "• `quality` — `full` paints (default); `preview` answers at once with a "
            "one-pass sketch.",
            "• `content` may move (a GIF, WebP, APNG or short MP4/WebM/MOV): painted frame by "
            f"frame, up to {clip.max_frames} frames, the first {clip.max_seconds:g} s, "
            f"{clip.max_fps:g} frames a second, {clip_size} px here; `format` — gif, mp4 or webp.",
            "• `private` — progress and result come to your direct messages instead.",
            "• `spoiler` — the result behind a spoiler (empty: this server's default).",
            "**Right-click** a picture in the channel → Apps → **Stylize: use as content** / "
            "**use as style**: the second one starts the job.",
            "Under a result (its author or a moderator): **Run again** (new seed), **Stronger**, "
            "**Weaker**, **Upscale ×2**, **Delete**. **Cancel** stops a job.",
            "`/atelier queue` shows what is waiting, `/atelier history` your last jobs, "
            "`/atelier show` a job's settings.",
        ]
    )


def styles_listing(styles: Sequence[tuple[str, int]]) -> str:
    """`/atelier-admin styles list`: (name, who added it) per saved style."""
    if not styles:
        return "No styles saved yet. Add one with `/atelier-admin styles add name image`."
    lines = [f"**{len(styles)} saved style(s)**"]
    lines.extend(f"• {name} — added by <@{user_id}>" for name, user_id in styles)
    return fit_lines(lines)
