"""Durable job records: every accepted job is a row before the member hears it is queued.

A row is admitted (member limit, cooldown and queue cap checked and the row inserted in one
`BEGIN IMMEDIATE` transaction) before its inputs are copied; until `inputs_ready` it is a
reservation that only the intake drives. States: queued → running → done | failed | cancelled,
each change one transaction. A running job found at startup was interrupted and starts over.
`posted` makes the final announcement (result or failure message, or the cancelled status)
exactly-once: `posting_started_at` is set before sending, `posted` with the message id after,
and a run that finds the first without the second looks for the message before sending again.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from bot.rules.animation import Animation
from bot.rules.limits import GRID_WINDOW_SECONDS, check_grid_quota, check_member_quota
from bot.store.admission_checks import (
    MEMBER_ACTIVITY,
    Admission,
    JobIdTaken,
    check_queue_room,
)
from bot.store.database import Database
from bot.store.job_rows import (
    ACTIVE_STATES,
    FINAL_STATES,
    Job,
    JobState,
    NewJob,
    insert_job,
    job_from_row,
)


class JobStore:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    async def admit(self, new: NewJob, admission: Admission) -> Job:
        """Check the member's limit, cooldown and the queue caps (the whole queue's and the
        server's) and insert the row, atomically:
        two requests at once cannot both pass. Raises RequestRefused with the reason, and
        JobIdTaken when the id is another job's."""

        def admit(conn: sqlite3.Connection) -> None:
            conn.execute("BEGIN IMMEDIATE")
            try:
                since = admission.now - GRID_WINDOW_SECONDS
                member = (since, new.guild_id, new.user_id)
                active, last, grids = conn.execute(MEMBER_ACTIVITY, member).fetchone()
                if new.request.quality == "variations":
                    check_grid_quota(admission.settings, grids or 0)
                else:
                    check_member_quota(admission.settings, active or 0, last, admission.now)
                check_queue_room(conn, admission, new.guild_id)
                try:
                    conn.execute(*insert_job(new, admission.now, inputs_ready=False))
                except sqlite3.IntegrityError as error:
                    raise JobIdTaken(new.id) from error
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

        await self._db.run(admit)
        return await self.require(new.id)

    async def create(self, new: NewJob) -> Job:
        """A job with its inputs already saved, admitted without checks (tests, imports)."""
        await self._db.write(*insert_job(new, self._clock(), inputs_ready=True))
        return await self.require(new.id)

    async def set_second_style(self, job_id: str, path: Path) -> None:
        await self._db.write("UPDATE jobs SET style2_path = ? WHERE id = ?", (str(path), job_id))

    async def set_init(self, job_id: str, path: Path) -> None:
        await self._db.write("UPDATE jobs SET init_path = ? WHERE id = ?", (str(path), job_id))

    async def set_animation(self, job_id: str, animation: Animation, size: int) -> None:
        """The job's content moves: the limits it is painted within, and its frames' size."""
        await self._db.write(
            "UPDATE jobs SET animation = ?, size = ? WHERE id = ?",
            (animation.to_column(), size, job_id),
        )

    async def set_style_names(self, job_id: str, names: tuple[str, ...]) -> None:
        await self._db.write(
            "UPDATE jobs SET style_names = ? WHERE id = ?", ("\n".join(names), job_id)
        )

    async def mark_inputs_ready(self, job_id: str) -> None:
        """The inputs are on disk: from now on the lifecycle owns the job, even after a crash."""
        await self._db.write("UPDATE jobs SET inputs_ready = 1 WHERE id = ?", (job_id,))

    async def discard(self, job_id: str) -> None:
        """Forget a reservation whose inputs never arrived; nothing public was said about it."""
        await self._db.write("DELETE FROM jobs WHERE id = ? AND inputs_ready = 0", (job_id,))

    async def reservations(self) -> list[Job]:
        rows = await self._db.fetch_all("SELECT * FROM jobs WHERE inputs_ready = 0")
        return [job_from_row(row) for row in rows]

    async def known_ids(self) -> set[str]:
        rows = await self._db.fetch_all("SELECT id FROM jobs")
        return {row[0] for row in rows}

    async def get(self, job_id: str) -> Job | None:
        row = await self._db.fetch_one("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return job_from_row(row) if row else None

    async def require(self, job_id: str) -> Job:
        job = await self.get(job_id)
        if job is None:
            raise KeyError(f"no job {job_id}")
        return job

    async def set_messages(
        self,
        job_id: str,
        *,
        thread_id: int | None = None,
        request_message_id: int | None = None,
        status_message_id: int | None = None,
    ) -> None:
        """Record the messages (and thread) made for a job; ids left None stay as they were."""
        await self._db.write(
            "UPDATE jobs SET thread_id = COALESCE(?, thread_id), "
            "request_message_id = COALESCE(?, request_message_id), "
            "status_message_id = COALESCE(?, status_message_id) WHERE id = ?",
            (thread_id, request_message_id, status_message_id, job_id),
        )

    async def no_thread(self, job_id: str) -> None:
        """Discord refused the job a thread: it carries on as replies, also after a restart."""
        await self._db.write("UPDATE jobs SET thread_name = NULL WHERE id = ?", (job_id,))

    async def begin_attempt(self, job_id: str) -> None:
        """Counted before the bot starts work on an active job's pictures (thumbnails, the
        instant preview, the engine), so a picture that kills the bot, or a job that always
        stops on an error, is given up after a few starts instead of tried forever."""
        await self._db.write(
            "UPDATE jobs SET attempts = attempts + 1 WHERE id = ? AND state IN (?, ?)",
            (job_id, *ACTIVE_STATES),
        )

    async def mark_running(self, job_id: str) -> None:
        await self._db.write(
            "UPDATE jobs SET state = 'running', started_at = ? "
            "WHERE id = ? AND state IN ('queued', 'running')",
            (self._clock(), job_id),
        )

    async def mark_done(
        self,
        job_id: str,
        *,
        result_path: Path,
        width: int,
        height: int,
        seconds: float,
        device: str,
        engine_note: str | None,
    ) -> None:
        await self._db.write(
            "UPDATE jobs SET state = 'done', result_path = ?, width = ?, height = ?, seconds = ?, "
            "device = ?, engine_note = ?, finished_at = ? WHERE id = ? AND state IN (?, ?)",
            (
                str(result_path),
                width,
                height,
                seconds,
                device,
                engine_note,
                self._clock(),
                job_id,
                *ACTIVE_STATES,
            ),
        )

    async def mark_failed(self, job_id: str, reason: str) -> None:
        await self._finish(job_id, "failed", reason)

    async def mark_cancelled(self, job_id: str, reason: str) -> bool:
        """False when the job had already ended, so nothing was cancelled."""
        return await self._finish(job_id, "cancelled", reason)

    async def _finish(self, job_id: str, state: JobState, reason: str) -> bool:
        changed = await self._db.write(
            "UPDATE jobs SET state = ?, error = ?, finished_at = ? "
            "WHERE id = ? AND state IN (?, ?)",
            (state, reason, self._clock(), job_id, *ACTIVE_STATES),
        )
        return changed == 1

    async def park(self, job_id: str) -> None:
        """Put an active job back in line, to start over after a restart, and give back the
        attempt its drive counted: only drives the bot died in (or that stopped on an error)
        count, so a job that keeps killing the bot is given up after a few, while clean
        restarts cost nothing.
        """
        await self._db.write(
            "UPDATE jobs SET state = 'queued', started_at = NULL, attempts = MAX(attempts - 1, 0) "
            "WHERE id = ? AND state IN (?, ?)",
            (job_id, *ACTIVE_STATES),
        )

    async def mark_posting_started(self, job_id: str) -> None:
        await self._db.write(
            "UPDATE jobs SET posting_started_at = ? WHERE id = ? AND posted = 0",
            (self._clock(), job_id),
        )

    async def mark_posted(
        self,
        job_id: str,
        message_id: int | None,
        *,
        delivered_to: int | None = None,
        note: str | None = None,
    ) -> None:
        """The final word is out (or given up on, with `note` saying why and where it went)."""
        await self._db.write(
            "UPDATE jobs SET posted = 1, result_message_id = ?, delivered_to = ?, "
            "delivery_note = ? WHERE id = ?",
            (message_id, delivered_to, note, job_id),
        )

    async def to_resume(self) -> list[Job]:
        """What a (re)started bot must carry on: unfinished jobs, and ended ones not yet posted."""
        rows = await self._db.fetch_all(
            "SELECT * FROM jobs WHERE inputs_ready = 1 AND (state IN ('queued', 'running') "
            "OR (state IN ('done', 'failed', 'cancelled') AND posted = 0)) ORDER BY created_at"
        )
        return [job_from_row(row) for row in rows]

    async def active(self, guild_id: int | None = None) -> list[Job]:
        if guild_id is None:
            rows = await self._db.fetch_all(
                "SELECT * FROM jobs WHERE inputs_ready = 1 AND state IN (?, ?) ORDER BY created_at",
                ACTIVE_STATES,
            )
        else:
            rows = await self._db.fetch_all(
                "SELECT * FROM jobs WHERE guild_id = ? AND inputs_ready = 1 AND state IN (?, ?) "
                "ORDER BY created_at",
                (guild_id, *ACTIVE_STATES),
            )
        return [job_from_row(row) for row in rows]

    async def member_activity(self, guild_id: int | None, user_id: int) -> tuple[int, float | None]:
        """(paintings waiting or running, when the member's last painting was accepted)."""
        row = await self._db.fetch_one(MEMBER_ACTIVITY, (self._clock(), guild_id, user_id))
        return (row[0] or 0, row[1]) if row else (0, None)

    async def counts_by_state(self) -> dict[str, int]:
        rows = await self._db.fetch_all("SELECT state, COUNT(*) FROM jobs GROUP BY state")
        counts = dict.fromkeys((*ACTIVE_STATES, *FINAL_STATES), 0)
        counts.update({row[0]: row[1] for row in rows})
        return counts

    async def expired(self, finished_before: float) -> list[Job]:
        """Ended and announced jobs whose files are old enough to delete (an undelivered result
        is kept for as long as it takes)."""
        rows = await self._db.fetch_all(
            "SELECT * FROM jobs WHERE files_deleted = 0 AND posted = 1 AND state IN (?, ?, ?) "
            "AND finished_at < ?",
            (*FINAL_STATES, finished_before),
        )
        return [job_from_row(row) for row in rows]

    async def mark_files_deleted(self, job_id: str) -> None:
        await self._db.write("UPDATE jobs SET files_deleted = 1 WHERE id = ?", (job_id,))

    async def files_deleted(self, job_id: str) -> bool:
        row = await self._db.fetch_one("SELECT files_deleted FROM jobs WHERE id = ?", (job_id,))
        return bool(row and row[0])

    async def history(self, guild_id: int | None, user_id: int, limit: int) -> list[Job]:
        """A member's latest jobs on a server (or in DMs), newest first (not the one being
        admitted right now, whose pictures are still on their way)."""
        rows = await self._db.fetch_all(
            "SELECT * FROM jobs WHERE guild_id IS ? AND user_id = ? AND inputs_ready = 1 "
            "ORDER BY created_at DESC LIMIT ?",
            (guild_id, user_id, limit),
        )
        return [job_from_row(row) for row in rows]
