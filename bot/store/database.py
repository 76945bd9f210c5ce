"""The SQLite file behind jobs and server settings: one connection, one thread, WAL, migrations.

Every query runs on a single worker thread so the event loop never waits on disk, and so the one
connection is never used from two threads at once.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

# Append only: the schema version stored in `PRAGMA user_version` is the number applied so far.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE guild_settings (
        guild_id INTEGER PRIMARY KEY,
        max_iterations INTEGER,
        max_size INTEGER,
        default_iterations INTEGER,
        default_size INTEGER,
        jobs_per_member INTEGER,
        cooldown_seconds INTEGER,
        allowed_channels TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        guild_id INTEGER,
        channel_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        state TEXT NOT NULL
            CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
        iterations INTEGER NOT NULL,
        size INTEGER NOT NULL,
        strength INTEGER NOT NULL,
        preserve_colors INTEGER NOT NULL,
        seed INTEGER NOT NULL,
        notes TEXT NOT NULL DEFAULT '',
        content_path TEXT NOT NULL,
        style_path TEXT NOT NULL,
        result_path TEXT,
        filesize_limit INTEGER NOT NULL,
        thread_id INTEGER,
        request_message_id INTEGER,
        status_message_id INTEGER,
        result_message_id INTEGER,
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        width INTEGER,
        height INTEGER,
        seconds REAL,
        device TEXT,
        engine_note TEXT,
        posting_started_at REAL,
        posted INTEGER NOT NULL DEFAULT 0,
        files_deleted INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        started_at REAL,
        finished_at REAL
    );
    CREATE INDEX jobs_by_state ON jobs (state, created_at);
    CREATE INDEX jobs_by_member ON jobs (guild_id, user_id, created_at);
    """,
    """
    CREATE TABLE settings_audit (
        id INTEGER PRIMARY KEY,
        guild_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        changed_at REAL NOT NULL,
        changes TEXT NOT NULL
    );
    CREATE INDEX settings_audit_by_guild ON settings_audit (guild_id, changed_at);
    """,
    # Member features (issue 11): the servers' style libraries; a job's brush, second
    # style, style names and spoiler; a server's spoiler default and input thumbnails.
    """
    CREATE TABLE styles (
        guild_id INTEGER NOT NULL,
        name TEXT NOT NULL COLLATE NOCASE,
        file TEXT NOT NULL,
        added_by INTEGER NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (guild_id, name)
    );
    ALTER TABLE jobs ADD COLUMN brush REAL NOT NULL DEFAULT 1.0;
    ALTER TABLE jobs ADD COLUMN blend INTEGER;
    ALTER TABLE jobs ADD COLUMN style2_path TEXT;
    ALTER TABLE jobs ADD COLUMN style_names TEXT NOT NULL DEFAULT '';
    ALTER TABLE jobs ADD COLUMN spoiler INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE guild_settings ADD COLUMN spoiler_by_default INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE guild_settings ADD COLUMN input_thumbnails INTEGER NOT NULL DEFAULT 1;
    """,
    # Nothing lost (issue 8): a row is admitted before its inputs are saved (inputs_ready = 0,
    # a reservation only this process's intake drives); how its public messages are to be made,
    # so a restart can finish making them; and where the final answer went.
    """
    ALTER TABLE jobs ADD COLUMN inputs_ready INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE jobs ADD COLUMN post_mode TEXT NOT NULL DEFAULT 'public'
        CHECK (post_mode IN ('public', 'bare', 'status'));
    ALTER TABLE jobs ADD COLUMN thread_name TEXT;
    ALTER TABLE jobs ADD COLUMN delivered_to INTEGER;
    ALTER TABLE jobs ADD COLUMN delivery_note TEXT;
    """,
    # `/stylize quality:preview`: the instant feed-forward picture only.
    "ALTER TABLE jobs ADD COLUMN quality TEXT NOT NULL DEFAULT 'full';",
    # Upscale ×2: the picture the engine starts from (the earlier result), beside the original
    # content, so a restart re-submits the job as it was accepted.
    "ALTER TABLE jobs ADD COLUMN init_path TEXT;",
    # `/stylize quality:variations`: the cap of grids per member and hour (0: grids off).
    "ALTER TABLE guild_settings ADD COLUMN grids_per_hour INTEGER NOT NULL DEFAULT 20;",
    # `/stylize private:True`: its content is never reused for a public job.
    "ALTER TABLE jobs ADD COLUMN private INTEGER NOT NULL DEFAULT 0;",
    # Animations: the member's output format, and the clip's limits (JSON; NULL for a still).
    """
    ALTER TABLE jobs ADD COLUMN output_format TEXT;
    ALTER TABLE jobs ADD COLUMN animation TEXT;
    """,
    # A server's own limits for animations (NULL: the bot's ceiling).
    """
    ALTER TABLE guild_settings ADD COLUMN max_frames INTEGER;
    ALTER TABLE guild_settings ADD COLUMN max_clip_seconds REAL;
    ALTER TABLE guild_settings ADD COLUMN max_fps REAL;
    ALTER TABLE guild_settings ADD COLUMN max_animation_size INTEGER;
    """,
)


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection, migrations: Sequence[str] = MIGRATIONS) -> int:
    """Apply the migrations this file has not seen yet, each atomically; return the new version."""
    version = schema_version(conn)
    if version > len(migrations):
        raise RuntimeError(
            f"database schema version {version} is newer than this bot knows "
            f"({len(migrations)}); upgrade the bot or restore a matching backup"
        )
    for number, script in enumerate(migrations[version:], start=version + 1):
        # executescript() commits first, so the version bump goes inside the script's own
        # transaction: a failing migration leaves both schema and version untouched.
        try:
            conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
        except sqlite3.Error:
            if conn.in_transaction:
                conn.rollback()
            raise
    return schema_version(conn)


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn


class Database:
    """Owns the connection; `await db.run(fn)` calls `fn(conn)` on the database thread."""

    def __init__(self, path: Path, migrations: Sequence[str] = MIGRATIONS) -> None:
        self.path = path
        self._migrations = migrations
        self._conn: sqlite3.Connection | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="atelier-db")

    async def open(self) -> Database:
        """Create the file if needed and bring its schema up to date."""
        loop = asyncio.get_running_loop()
        conn = await loop.run_in_executor(self._executor, connect, self.path)
        try:
            await loop.run_in_executor(self._executor, migrate, conn, self._migrations)
        except BaseException:
            await loop.run_in_executor(self._executor, conn.close)
            raise
        self._conn = conn
        return self

    async def __aenter__(self) -> Database:
        return await self.open()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._conn
        if conn is None:
            raise RuntimeError("the database is not open")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, conn)

    async def write(self, sql: str, args: Sequence[object] = ()) -> int:
        """One statement in its own transaction; returns the number of rows it changed."""

        def execute(conn: sqlite3.Connection) -> int:
            with conn:
                return conn.execute(sql, args).rowcount

        return await self.run(execute)

    async def fetch_all(self, sql: str, args: Sequence[object] = ()) -> list[sqlite3.Row]:
        return await self.run(lambda conn: conn.execute(sql, args).fetchall())

    async def fetch_one(self, sql: str, args: Sequence[object] = ()) -> sqlite3.Row | None:
        return await self.run(lambda conn: conn.execute(sql, args).fetchone())

    async def version(self) -> int:
        return await self.run(schema_version)

    async def close(self) -> None:
        if self._conn is not None:
            await self.run(lambda conn: conn.close())
            self._conn = None
        self._executor.shutdown(wait=True)
