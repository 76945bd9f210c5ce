"""`python -m bot backup PATH` and `python -m bot restore PATH`: all of Atelier's state in one file.

A backup is a tar archive (gzip-compressed when PATH ends in .gz) holding a consistent copy of
the SQLite database, taken with SQLite's online backup API (so the bot can keep running, WAL and
all), plus the input and result images of the jobs in that copy, the servers' saved styles, and
a manifest. Files are copied
after the database, so every file a row names is there (jobs created later are left out).

Restoring writes the database and images into the data directory and points the rows at the
images' new place, so a backup restores into any data directory. It refuses to overwrite an
existing database unless told to replace it, and then keeps the old data aside.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bot.config import Config
from bot.store.database import connect, migrate, schema_version
from bot.store.job_rows import is_job_id

DATABASE_NAME = "atelier.sqlite3"
JOBS_DIR = "jobs"
STYLES_DIR = "styles"  # under it, <server id>/<file>, as the styles table names them
MANIFEST = "atelier-backup.json"
FILE_COLUMNS = ("content_path", "style_path", "style2_path", "result_path", "init_path")


class BackupError(Exception):
    """The backup or restore cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class Summary:
    path: Path
    jobs: int
    files: int
    schema_version: int

    def line(self, verb: str) -> str:
        return (
            f"{verb} {self.path}: {self.jobs} jobs, {self.files} image files, "
            f"database schema version {self.schema_version}"
        )


def backup(config: Config, destination: Path) -> Summary:
    """Write a backup of the running (or stopped) bot's data to `destination`, atomically."""
    if not config.database_path.is_file():
        raise BackupError(f"no database at {config.database_path}: is ATELIER_DATA_DIR right?")
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=destination.parent, prefix=".atelier-backup-") as tmp:
        snapshot = Path(tmp) / DATABASE_NAME
        try:
            _copy_database(config.database_path, snapshot)
            files = _job_files(snapshot)
            styles = _style_files(snapshot)
            version = _read_version(snapshot)
        except sqlite3.Error as error:
            raise BackupError(f"cannot copy {config.database_path}: {error}") from None
        manifest = {"created_at": time.time(), "schema_version": version, "jobs": len(files)}
        partial = Path(tmp) / "archive"
        mode = "w:gz" if destination.name.endswith(".gz") else "w"
        # A picture shared by a job and its follow-ups (a hard link) goes in once per job, as a
        # plain file: restore admits nothing else.
        with tarfile.open(partial, mode, dereference=True) as tar:
            tar.add(snapshot, DATABASE_NAME)
            count = 0
            for job_id, paths in files.items():
                for path in paths:
                    if path.is_file():  # a retention clean-up may have just removed it
                        tar.add(path, f"{JOBS_DIR}/{job_id}/{path.name}")
                        count += 1
            for style in styles:
                if (config.styles_dir / style).is_file():  # removed since, perhaps
                    tar.add(config.styles_dir / style, f"{STYLES_DIR}/{style}")
                    count += 1
            _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2).encode())
        os.chmod(partial, 0o600)  # members' pictures: for the admin's eyes only
        os.replace(partial, destination)
    return Summary(destination, len(files), count, version)


def restore(config: Config, source: Path, *, replace: bool = False) -> Summary:
    """Unpack `source` into the data directory; the database is migrated to this bot's schema."""
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    data_dir = config.data_dir
    existing = [
        p for p in (config.database_path, config.files_dir, config.styles_dir) if p.exists()
    ]
    if existing and not replace:
        raise BackupError(
            f"{data_dir} already holds Atelier data; stop the bot, then run restore with "
            "--replace (the current data is kept aside in the data directory)"
        )
    try:
        with tarfile.open(source) as tar:
            members = _checked_members(tar)
            data_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=data_dir, prefix=".restore-") as tmp:
                # Extraction filters came with Python 3.11.4 / 3.10.12; Debian bookworm's 3.11.2
                # lacks them. _checked_members already admits only plain files and folders.
                safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                tar.extractall(tmp, members=members, **safe)
                unpacked = Path(tmp)
                if not (unpacked / DATABASE_NAME).is_file():
                    raise BackupError(f"{source} holds no {DATABASE_NAME}: not an Atelier backup")
                _check_rows(unpacked / DATABASE_NAME, source)
                if existing:
                    _keep_aside(config)
                os.replace(unpacked / DATABASE_NAME, config.database_path)
                if (unpacked / JOBS_DIR).is_dir():
                    os.replace(unpacked / JOBS_DIR, config.files_dir)
                if (unpacked / STYLES_DIR).is_dir():
                    os.replace(unpacked / STYLES_DIR, config.styles_dir)
    except (tarfile.TarError, OSError) as error:
        raise BackupError(f"cannot read {source}: {error}") from None
    files = sum(
        1 for d in (config.files_dir, config.styles_dir) for p in d.rglob("*") if p.is_file()
    )
    jobs, version = _relink(config)
    return Summary(source, jobs, files, version)


def _copy_database(live: Path, snapshot: Path) -> None:
    """SQLite's online backup: a consistent copy while the bot keeps writing."""
    source = sqlite3.connect(live)
    target = sqlite3.connect(snapshot)
    try:
        source.execute("PRAGMA busy_timeout = 5000")
        source.backup(target)
    finally:
        target.close()
        source.close()


def _job_files(snapshot: Path) -> dict[str, list[Path]]:
    """{job id: its files on disk} for every job in the copy whose files still exist."""
    conn = sqlite3.connect(snapshot)
    try:
        # A database not yet migrated by this bot (backed up before its first start after an
        # upgrade) lacks the newer columns, and their files.
        present = {row[1] for row in conn.execute("PRAGMA table_info(jobs)")}
        columns = [column for column in FILE_COLUMNS if column in present]
        rows = conn.execute(
            f"SELECT id, {', '.join(columns)} FROM jobs WHERE files_deleted = 0"
        ).fetchall()
    finally:
        conn.close()
    return {row[0]: [Path(p) for p in row[1:] if p] for row in rows}


def _style_files(snapshot: Path) -> list[str]:
    """The saved styles' files, relative to the styles folder (none before the styles table)."""
    conn = sqlite3.connect(snapshot)
    try:
        return [row[0] for row in conn.execute("SELECT file FROM styles").fetchall()]
    except sqlite3.OperationalError:  # a database from before the style library
        return []
    finally:
        conn.close()


def _read_version(database: Path) -> int:
    conn = sqlite3.connect(database)
    try:
        return schema_version(conn)
    finally:
        conn.close()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(time.time()), 0o644
    tar.addfile(info, io.BytesIO(data))


def _checked_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """Only what a backup holds: the database, the manifest and plain files under jobs/ and
    styles/ (each one folder deep)."""
    members = []
    for member in tar.getmembers():
        path = PurePosixPath(member.name)
        ours = member.name in (DATABASE_NAME, MANIFEST) or (
            path.parts[:1] in ((JOBS_DIR,), (STYLES_DIR,))
            and ".." not in path.parts
            and len(path.parts) == 3
        )
        if not ours or not (member.isfile() or member.isdir()):
            raise BackupError(f"unexpected entry {member.name!r}: not an Atelier backup")
        members.append(member)
    return members


def _keep_aside(config: Config) -> None:
    """Move the current database (with its WAL) and images into replaced-<time>/."""
    aside = config.data_dir / time.strftime("replaced-%Y%m%d-%H%M%S")
    aside.mkdir()
    for suffix in ("", "-wal", "-shm"):
        path = config.database_path.with_name(config.database_path.name + suffix)
        if path.exists():
            shutil.move(path, aside / path.name)
    for folder in (config.files_dir, config.styles_dir):
        if folder.exists():
            shutil.move(folder, aside / folder.name)


def _check_rows(database: Path, source: Path) -> None:
    """A restored database is an admin's file from anywhere: before anything is moved, every
    job id must be a job id and every saved style's file a name inside the styles folder, since
    both become paths (and a folder the clean-up removes)."""
    conn = sqlite3.connect(database)
    try:
        bad = [f"job id {i!r}" for (i,) in conn.execute("SELECT id FROM jobs") if not is_job_id(i)]
        try:
            files = [f for (f,) in conn.execute("SELECT file FROM styles")]
        except sqlite3.OperationalError:  # a database from before the style library
            files = []
        bad += [f"style file {f!r}" for f in files if not _inside_styles(f)]
    except sqlite3.DatabaseError as error:
        raise BackupError(f"cannot read the database in {source}: {error}") from None
    finally:
        conn.close()
    if bad:
        raise BackupError(
            f"{source} was not restored: its database has {', '.join(bad[:3])}, which no "
            "Atelier backup holds. Nothing was changed."
        )


def _inside_styles(file: str) -> bool:
    """<server id>/<name>, as the style library writes it."""
    path = PurePosixPath(file)
    return (
        not path.is_absolute()
        and len(path.parts) == 2
        and path.parts[0].isdigit()
        and path.parts[1] not in ("", ".", "..")
        and "\\" not in file
    )


def _relink(config: Config) -> tuple[int, int]:
    """Point every job's file paths at the restored images; bring the schema up to date."""
    conn = connect(config.database_path)
    try:
        version = migrate(conn)
        with conn:
            rows = conn.execute(f"SELECT id, {', '.join(FILE_COLUMNS)} FROM jobs").fetchall()
            for row in rows:
                moved = [
                    str(config.files_dir / row["id"] / Path(row[c]).name) if row[c] else None
                    for c in FILE_COLUMNS
                ]
                conn.execute(
                    f"UPDATE jobs SET {', '.join(f'{c} = ?' for c in FILE_COLUMNS)} WHERE id = ?",
                    (*moved, row["id"]),
                )
        return len(rows), version
    finally:
        conn.close()
