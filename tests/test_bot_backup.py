"""`python -m bot backup` / `restore`: a consistent copy while the bot writes, restored anywhere."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from bot.config import EXIT_ALREADY_RUNNING, Config
from bot.rules.request import StyleRequest
from bot.rules.settings import GuildSettings
from bot.store.backup import BackupError, backup, restore
from bot.store.database import MIGRATIONS, Database
from bot.store.guild_settings import GuildSettingsStore
from bot.store.instance_lock import data_dir_lock
from bot.store.job_files import NOTHING_KEPT, JobFiles, Kept
from bot.store.job_rows import NewJob
from bot.store.jobs import JobStore
from bot.store.style_library import StyleLibrary

REPO = Path(__file__).resolve().parents[1]


def config_for(data_dir: Path) -> Config:
    return Config(token="", data_dir=data_dir)


async def add_job(jobs: JobStore, files: JobFiles, job_id: str, kept: Kept = NOTHING_KEPT) -> None:
    """A queued job with its pictures; `kept` shares an earlier job's, as Run again does."""
    content, style = await files.save_inputs(job_id, b"content " + job_id.encode(), b"style", kept)
    request = StyleRequest(iterations=4, size=32, strength=5, preserve_colors=False, seed=3)
    await jobs.create(NewJob(job_id, 1, 100, 7, request, (), content, style, 10_000_000))


async def test_a_backup_of_an_open_database_restores_jobs_files_and_settings_elsewhere(
    tmp_path: Path,
) -> None:
    live = config_for(tmp_path / "live")
    async with Database(live.database_path) as database:
        jobs, files = JobStore(database), JobFiles(live.files_dir)
        await add_job(jobs, files, "aaaa0001")
        await add_job(jobs, files, "aaaa0002")
        # An Upscale ×2 job: it starts from an earlier result, which must travel too.
        await jobs.set_init("aaaa0002", await files.save_init("aaaa0002", b"earlier result"))
        await jobs.mark_running("aaaa0002")
        await GuildSettingsStore(database).save(
            GuildSettings(guild_id=1, max_size=256), by_user_id=9
        )
        await StyleLibrary(database, live.styles_dir).add(1, "Water Lilies", b"monet", 9)
        # The bot keeps its connection open (WAL, nothing checkpointed) while the backup runs.
        summary = backup(live, tmp_path / "backups" / "atelier.tar.gz")
        await add_job(jobs, files, "aaaa0003")  # after the copy: not in this backup

    # 2 × content and style, 1 init picture, 1 saved style
    assert (summary.jobs, summary.files) == (2, 6)
    restored = config_for(tmp_path / "elsewhere")
    assert restore(restored, summary.path).jobs == 2
    async with Database(restored.database_path) as database:
        jobs = JobStore(database)
        assert [job.id for job in await jobs.to_resume()] == ["aaaa0001", "aaaa0002"]
        running = await jobs.require("aaaa0002")
        assert running.state == "running"
        assert running.content_path == restored.files_dir / "aaaa0002" / "content"
        assert running.content_path.read_bytes() == b"content aaaa0002"
        assert running.init_path == restored.files_dir / "aaaa0002" / "init"
        assert running.init_path.read_bytes() == b"earlier result"
        assert await jobs.get("aaaa0003") is None
        settings = GuildSettingsStore(database)
        assert (await settings.get(1)).max_size == 256
        assert [entry.user_id for entry in await settings.audit(1)] == [9]
        library = StyleLibrary(database, restored.styles_dir)
        assert await library.read(await library.require(1, "water lilies")) == b"monet"


async def test_a_database_from_before_the_last_upgrade_is_backed_up_and_restored_migrated(
    tmp_path: Path,
) -> None:
    live = config_for(tmp_path / "live")
    async with Database(live.database_path, MIGRATIONS[:-1]) as database:  # no init_path yet
        await database.write(
            "INSERT INTO jobs (id, channel_id, user_id, state, iterations, size, strength, "
            "preserve_colors, seed, notes, content_path, style_path, filesize_limit, created_at) "
            "VALUES ('old00001', 100, 7, 'done', 4, 32, 5, 0, 3, '', ?, ?, 10000000, 0)",
            (
                str(live.files_dir / "old00001" / "content"),
                str(live.files_dir / "old00001" / "style"),
            ),
        )
    await JobFiles(live.files_dir).save_inputs("old00001", b"old content", b"old style")

    summary = backup(live, tmp_path / "old.tar")
    restored = config_for(tmp_path / "elsewhere")
    restore(restored, summary.path)

    assert summary.files == 2
    async with Database(restored.database_path) as database:
        job = await JobStore(database).require("old00001")
        assert job.init_path is None
        assert job.content_path.read_bytes() == b"old content"


async def test_restore_never_overwrites_data_unless_asked_and_then_keeps_it_aside(
    tmp_path: Path,
) -> None:
    config = config_for(tmp_path / "data")
    async with Database(config.database_path) as database:
        jobs, files = JobStore(database), JobFiles(config.files_dir)
        await add_job(jobs, files, "aaaa0001")
        archive = backup(config, tmp_path / "atelier.tar").path
        await add_job(jobs, files, "aaaa0002")  # the live data moves on past the archive

    with pytest.raises(BackupError, match="already holds Atelier data; stop the bot"):
        restore(config, archive)
    assert await job_ids(config) == ["aaaa0001", "aaaa0002"]  # refused: nothing touched

    restore(config, archive, replace=True)
    assert await job_ids(config) == ["aaaa0001"]  # the archive's data, not the live data
    assert not (config.files_dir / "aaaa0002").exists()
    (aside,) = config.data_dir.glob("replaced-*")
    assert await job_ids(config_for(aside)) == ["aaaa0001", "aaaa0002"]
    assert (aside / "jobs" / "aaaa0002" / "content").read_bytes() == b"content aaaa0002"
    assert (config.files_dir / "aaaa0001" / "content").read_bytes() == b"content aaaa0001"


async def job_ids(config: Config) -> list[str]:
    async with Database(config.database_path) as database:
        return sorted(job.id for job in await JobStore(database).to_resume())


def test_an_archive_that_is_not_an_atelier_backup_is_refused_untouched(tmp_path: Path) -> None:
    archive = tmp_path / "evil.tar"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo("jobs/../../outside.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    config = config_for(tmp_path / "data")
    with pytest.raises(BackupError, match="not an Atelier backup"):
        restore(config, archive)
    assert not (tmp_path / "outside.txt").exists()
    assert not config.database_path.exists()


async def test_backup_and_restore_need_no_discord_token(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(REPO),
        "HOME": str(tmp_path),
        "ATELIER_DATA_DIR": str(tmp_path / "data"),
    }

    def bot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    missing = bot("backup", str(tmp_path / "b.tar"))
    assert missing.returncode == 1
    assert f"no database at {tmp_path / 'data' / 'atelier.sqlite3'}" in missing.stderr
    async with Database(tmp_path / "data" / "atelier.sqlite3"):
        pass
    made = bot("backup", str(tmp_path / "b.tar"))
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(f"backed up to {tmp_path / 'b.tar'}: 0 jobs, 0 image files")
    restored = bot("restore", str(tmp_path / "b.tar"))
    assert "already holds Atelier data" in restored.stderr and restored.returncode == 1
    assert bot("restore", "--replace", str(tmp_path / "b.tar")).returncode == 0


async def test_a_restore_beside_a_running_bot_is_refused_and_moves_nothing(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), "HOME": str(tmp_path)}
    env["ATELIER_DATA_DIR"] = str(data_dir)
    made = subprocess.run(
        [sys.executable, "-m", "bot", "restore", "--replace", str(tmp_path / "a.tar")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert "no backup file at" in made.stderr  # the lock was free: restore went ahead
    config = config_for(data_dir)
    async with Database(config.database_path):
        pass
    backup(config, tmp_path / "a.tar")
    with data_dir_lock(data_dir):  # what a running bot holds
        refused = subprocess.run(
            [sys.executable, "-m", "bot", "restore", "--replace", str(tmp_path / "a.tar")],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert refused.returncode == EXIT_ALREADY_RUNNING
    assert refused.stderr.startswith(
        f"atelier restore: another Atelier (pid {os.getpid()}) is already running on {data_dir}"
    )
    assert not list(data_dir.glob("replaced-*")) and config.database_path.exists()


@pytest.mark.parametrize(
    ("table", "column", "crafted"),
    [("jobs", "id", ".."), ("styles", "file", "/etc/passwd"), ("styles", "file", "1/../../x")],
)
async def test_a_crafted_database_in_an_archive_is_refused_before_anything_moves(
    tmp_path: Path, table: str, column: str, crafted: str
) -> None:
    crafted_dir = config_for(tmp_path / "crafted")
    async with Database(crafted_dir.database_path) as database:
        jobs, files = JobStore(database), JobFiles(crafted_dir.files_dir)
        await add_job(jobs, files, "aaaa0001")
        await StyleLibrary(database, crafted_dir.styles_dir).add(1, "Lilies", b"monet", 9)
    with sqlite3.connect(crafted_dir.database_path) as db:
        db.execute("UPDATE jobs SET files_deleted = 1")  # no files: only the row is crafted
        db.execute(f"UPDATE {table} SET {column} = ?", (crafted,))
    archive = backup(crafted_dir, tmp_path / "crafted.tar").path

    live = config_for(tmp_path / "live")
    async with Database(live.database_path) as database:
        await add_job(JobStore(database), JobFiles(live.files_dir), "bbbb0001")
    with pytest.raises(BackupError, match=f"{column if table == 'jobs' else 'style file'}"):
        restore(live, archive, replace=True)
    assert await job_ids(live) == ["bbbb0001"]
    assert (live.files_dir / "bbbb0001" / "content").is_file()
    assert not list(live.data_dir.glob("replaced-*"))


async def test_a_backup_file_is_readable_by_the_admin_alone(tmp_path: Path) -> None:
    config = config_for(tmp_path / "data")
    async with Database(config.database_path) as database:
        await add_job(JobStore(database), JobFiles(config.files_dir), "aaaa0001")
    archive = backup(config, tmp_path / "atelier.tar.gz").path
    assert archive.stat().st_mode & 0o777 == 0o600


async def test_pictures_a_follow_up_shares_are_backed_up_for_each_job_and_restore(
    tmp_path: Path,
) -> None:
    live = config_for(tmp_path / "live")
    async with Database(live.database_path) as database:
        jobs, files = JobStore(database), JobFiles(live.files_dir)
        await add_job(jobs, files, "aaaa0001")
        first = await jobs.require("aaaa0001")
        kept = {"content": first.content_path, "style": first.style_path}
        await add_job(jobs, files, "aaaa0002", kept)  # Run again
        again = await jobs.require("aaaa0002")
        assert os.path.samefile(again.content_path, first.content_path)
        archive = backup(live, tmp_path / "atelier.tar").path
    with tarfile.open(archive) as tar:
        assert all(member.isfile() for member in tar.getmembers())
    restored = config_for(tmp_path / "elsewhere")
    assert restore(restored, archive).jobs == 2
    for job_id in ("aaaa0001", "aaaa0002"):
        assert (restored.files_dir / job_id / "content").read_bytes() == b"content aaaa0001"
