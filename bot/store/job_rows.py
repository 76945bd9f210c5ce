"""A job as the bot sees it (`Job`, `NewJob`) and as SQLite stores it: one row of `jobs`.

Fields map to columns by name. A field whose type needs converting (paths, flags, lists of
notes) is converted by its type, and the request's values are spread over their own columns,
so adding a column means adding the field (and its migration), nothing else.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Literal

from bot.rules.animation import Animation, stored_animation
from bot.rules.request import StyleRequest

JobState = Literal["queued", "running", "done", "failed", "cancelled"]
# A request message with the inputs' thumbnails (and a thread), the same without thumbnails,
# or only a status message where the job was asked for.
PostMode = Literal["public", "bare", "status"]
ACTIVE_STATES: tuple[JobState, ...] = ("queued", "running")
FINAL_STATES: tuple[JobState, ...] = ("done", "failed", "cancelled")


# Every id the bot ever drew (8 hex digits once, 16 now) and more: letters and digits only,
# so an id can name a job's folder and nothing outside it.
JOB_ID_PATTERN = "[0-9a-z]{1,32}"


def is_job_id(text: str) -> bool:
    return re.fullmatch(JOB_ID_PATTERN, text) is not None


def new_job_id() -> str:
    """64 random bits: a collision is a once-in-billions event, and admission catches it anyway."""
    return secrets.token_hex(8)


@dataclass(frozen=True)
class NewJob:
    id: str
    guild_id: int | None
    channel_id: int
    user_id: int
    request: StyleRequest
    notes: tuple[str, ...]
    content_path: Path
    style_path: Path
    filesize_limit: int
    style2_path: Path | None = None  # a second style, mixed in by `request.blend`
    style_names: tuple[str, ...] = ()  # how the member named the styles (preset or file name)
    spoiler: bool = False  # the result is posted behind a spoiler
    private: bool = False  # asked for in private: its pictures never reach a public post
    post_mode: PostMode = "public"
    thread_name: str | None = None  # set when a thread is wanted for the job


@dataclass(frozen=True)
class Job:
    id: str
    guild_id: int | None
    channel_id: int
    user_id: int
    state: JobState
    request: StyleRequest
    notes: tuple[str, ...]
    content_path: Path
    style_path: Path
    result_path: Path | None
    filesize_limit: int
    thread_id: int | None
    request_message_id: int | None
    status_message_id: int | None
    result_message_id: int | None
    attempts: int
    error: str | None
    width: int | None
    height: int | None
    seconds: float | None
    device: str | None
    engine_note: str | None
    posting_started_at: float | None
    posted: bool
    created_at: float
    started_at: float | None
    finished_at: float | None
    style2_path: Path | None
    style_names: tuple[str, ...]
    spoiler: bool
    inputs_ready: bool
    post_mode: PostMode
    thread_name: str | None
    delivered_to: int | None
    delivery_note: str | None
    init_path: Path | None  # the picture the engine starts from (Upscale ×2: the earlier result)
    private: bool
    animation: Animation | None  # set when the content is an animation or a video clip

    @property
    def destination_id(self) -> int:
        """Where the job talks: its thread, or the channel itself where no thread could be made."""
        return self.thread_id or self.channel_id

    @property
    def result_channel_id(self) -> int:
        """Where the result really is: delivery may have fallen back to the channel or a DM."""
        return self.delivered_to or self.destination_id

    @property
    def frames_dir(self) -> Path:
        """Where an animation's finished frames are kept, beside its inputs: a resumed run
        finds them there and carries on from the next frame."""
        return self.content_path.parent / "frames"

    @property
    def all_notes(self) -> tuple[str, ...]:
        return (*self.notes, self.engine_note) if self.engine_note else self.notes


def _lines(value: str) -> tuple[str, ...]:
    return tuple(line for line in value.split("\n") if line)


def _optional_path(value: str | None) -> Path | None:
    return Path(value) if value else None


def _optional_str(value: Path | None) -> str | None:
    return str(value) if value else None


# By a field's type: (from the column, to the column). Other fields are stored as they are.
_CONVERSIONS: dict[str, tuple[Callable[[object], object], Callable[[object], object]]] = {
    "bool": (bool, int),
    "Path": (Path, str),
    "Path | None": (_optional_path, _optional_str),
    "tuple[str, ...]": (_lines, "\n".join),
    "Animation | None": (Animation.from_column, stored_animation),
}  # type: ignore[dict-item]
_REQUEST = tuple(f.name for f in fields(StyleRequest))


def _reading(field_type: str) -> Callable[[object], object]:
    return _CONVERSIONS.get(field_type, (lambda v: v, None))[0]  # type: ignore[return-value]


def job_from_row(row: sqlite3.Row) -> Job:
    values = {
        f.name: _reading(str(f.type))(row[f.name]) for f in fields(Job) if f.name != "request"
    }
    request = {name: row[name] for name in _REQUEST}
    request["preserve_colors"] = bool(request["preserve_colors"])
    return Job(**values, request=StyleRequest(**request))


def insert_job(new: NewJob, created_at: float, *, inputs_ready: bool) -> tuple[str, list[object]]:
    """The INSERT of a new queued job's row, and its values."""
    row: dict[str, object] = {
        f.name: _CONVERSIONS.get(str(f.type), (None, lambda v: v))[1](getattr(new, f.name))
        for f in fields(NewJob)
        if f.name != "request"
    }
    row.update({name: getattr(new.request, name) for name in _REQUEST})
    row.update(state="queued", created_at=created_at, inputs_ready=int(inputs_ready))
    sql = f"INSERT INTO jobs ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})"
    return sql, list(row.values())
