"""The SQLite file: migrations, job lifecycle, exactly-once posting flags, server settings."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from stored_jobs import new_job

from bot.lifecycle.housekeeping import delete_expired_files
from bot.rules.refusals import RequestRefused
from bot.rules.settings import GuildSettings
from bot.store.admission_checks import Admission
from bot.store.database import MIGRATIONS, Database
from bot.store.guild_settings import GuildSettingsStore
from bot.store.job_files import JobFiles
from bot.store.job_rows import Job, NewJob
from bot.store.jobs import JobStore


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_a_new_file_is_migrated_to_the_latest_schema_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "atelier.sqlite3"
    db = await Database(path).open()
    assert await db.version() == len(MIGRATIONS)
    assert (await db.fetch_one("PRAGMA journal_mode"))[0] == "wal"
    await db.close()
    again = await Database(path).open()  # reopening applies nothing twice
    assert await again.version() == len(MIGRATIONS)
    await again.close()


async def test_a_later_migration_upgrades_an_existing_file_and_keeps_its_rows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "atelier.sqlite3"
    db = await Database(path).open()
    await JobStore(db).create(new_job("aaaa0001"))
    await db.close()
    upgraded_schema = (*MIGRATIONS, "ALTER TABLE jobs ADD COLUMN label TEXT DEFAULT 'x';")
    db = await Database(path, upgraded_schema).open()
    assert await db.version() == len(MIGRATIONS) + 1
    assert (await db.fetch_one("SELECT id, label FROM jobs"))[:] == ("aaaa0001", "x")
    await db.close()


async def test_a_failing_migration_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "atelier.sqlite3"
    broken = (*MIGRATIONS, "CREATE TABLE extra (id INTEGER); SELECT * FROM no_such_table;")
    with pytest.raises(sqlite3.OperationalError):
        await Database(path, broken).open()
    db = await Database(path).open()
    assert await db.version() == len(MIGRATIONS)
    assert await db.fetch_one("SELECT name FROM sqlite_master WHERE name = 'extra'") is None
    await db.close()


async def test_a_database_from_a_newer_bot_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "atelier.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    with pytest.raises(RuntimeError, match="newer than this bot knows"):
        await Database(path).open()


async def test_a_job_moves_from_queued_to_done_and_keeps_what_it_was_asked(
    database: Database,
) -> None:
    clock = Clock()
    jobs = JobStore(database, clock)
    job = await jobs.create(new_job("aaaa0001"))
    assert job.state == "queued" and job.attempts == 0 and not job.posted
    assert job.request == new_job("aaaa0001").request and job.notes == new_job("x").notes
    await jobs.set_messages("aaaa0001", thread_id=5, request_message_id=6, status_message_id=8)
    await jobs.begin_attempt("aaaa0001")
    await jobs.mark_running("aaaa0001")
    clock.now += 10
    await jobs.mark_done(
        "aaaa0001", result_path=Path("/r.png"), width=32, height=24, seconds=9.5,
        device="cpu", engine_note=None,
    )  # fmt: skip
    done = await jobs.require("aaaa0001")
    assert (done.state, done.attempts, done.width, done.height) == ("done", 1, 32, 24)
    assert done.destination_id == 5 and done.status_message_id == 8
    assert done.finished_at == clock.now
    assert await jobs.mark_cancelled("aaaa0001", "too late") is False  # ended jobs stay ended


async def test_exactly_once_posting_flags_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "atelier.sqlite3"
    db = await Database(path).open()
    jobs = JobStore(db)
    for job_id in ("aaaa0001", "aaaa0002", "aaaa0003", "aaaa0004"):
        await jobs.create(new_job(job_id))
    await jobs.begin_attempt("aaaa0002")
    await jobs.mark_running("aaaa0002")  # interrupted mid-run
    for job_id in ("aaaa0003", "aaaa0004"):
        await jobs.mark_done(
            job_id, result_path=Path("/r.png"), width=1, height=1, seconds=1, device="cpu",
            engine_note=None,
        )  # fmt: skip
    await jobs.mark_posting_started("aaaa0003")  # died between "about to post" and "posted"
    await jobs.mark_posting_started("aaaa0004")
    await jobs.mark_posted("aaaa0004", 999)
    await db.close()

    db = await Database(path).open()
    jobs = JobStore(db)
    resume = {job.id: job for job in await jobs.to_resume()}
    assert set(resume) == {"aaaa0001", "aaaa0002", "aaaa0003"}
    assert resume["aaaa0002"].state == "running" and resume["aaaa0002"].attempts == 1
    assert resume["aaaa0003"].posting_started_at is not None and not resume["aaaa0003"].posted
    posted = await jobs.require("aaaa0004")
    assert posted.posted and posted.result_message_id == 999
    await jobs.mark_posting_started("aaaa0004")  # a late second attempt cannot un-post it
    assert (await jobs.require("aaaa0004")).posted
    await db.close()


async def test_an_upscale_jobs_start_picture_is_resubmitted_after_a_restart(
    tmp_path: Path,
) -> None:
    path = tmp_path / "atelier.sqlite3"
    async with Database(path) as db:
        jobs = JobStore(db)
        await jobs.create(new_job("aaaa0001"))
        await jobs.set_init("aaaa0001", Path("/data/jobs/aaaa0001/init"))
        await jobs.mark_running("aaaa0001")  # the bot dies mid-run

    async with Database(path) as db:
        (resumed,) = await JobStore(db).to_resume()
    assert resumed.content_path == Path("/data/jobs/aaaa0001/content")
    assert resumed.init_path == Path("/data/jobs/aaaa0001/init")


async def test_parking_puts_a_running_job_back_in_line(database: Database) -> None:
    jobs = JobStore(database)
    await jobs.create(new_job("aaaa0001"))
    await jobs.begin_attempt("aaaa0001")
    await jobs.mark_running("aaaa0001")
    await jobs.park("aaaa0001")
    job = await jobs.require("aaaa0001")
    assert job.state == "queued" and job.attempts == 0 and job.started_at is None


async def test_member_activity_counts_waiting_jobs_and_the_last_start(database: Database) -> None:
    clock = Clock()
    jobs = JobStore(database, clock)
    await jobs.create(new_job("aaaa0001", user_id=7))
    clock.now += 5
    await jobs.create(new_job("aaaa0002", user_id=7))
    await jobs.create(new_job("aaaa0003", user_id=8))
    await jobs.mark_failed("aaaa0001", "broken")
    assert await jobs.member_activity(1, 7) == (1, clock.now)
    assert await jobs.member_activity(2, 7) == (0, None)
    counts = await jobs.counts_by_state()
    assert counts == {"queued": 2, "running": 0, "done": 0, "failed": 1, "cancelled": 0}
    assert [job.id for job in await jobs.active(1)] == ["aaaa0002", "aaaa0003"]


async def test_only_ended_and_announced_jobs_past_retention_expire(database: Database) -> None:
    clock = Clock()
    jobs = JobStore(database, clock)
    await jobs.create(new_job("aaaa0001"))
    await jobs.create(new_job("aaaa0002"))
    await jobs.create(new_job("aaaa0003"))
    await jobs.mark_cancelled("aaaa0001", "by someone")
    await jobs.mark_posted("aaaa0001", None)
    await jobs.mark_failed("aaaa0003", "broken")  # but not yet told: its answer must survive
    clock.now += 100
    assert [job.id for job in await jobs.expired(clock.now - 50)] == ["aaaa0001"]
    assert await jobs.expired(clock.now - 200) == []
    await jobs.mark_files_deleted("aaaa0001")
    assert await jobs.files_deleted("aaaa0001")
    assert await jobs.expired(clock.now) == []


async def test_old_job_files_are_deleted_and_recent_ones_kept(
    database: Database, tmp_path: Path
) -> None:
    clock = Clock()
    jobs = JobStore(database, clock)
    files = JobFiles(tmp_path / "jobs")
    for job_id in ("aaaa0001", "aaaa0002", "aaaa0003"):
        content, style = await files.save_inputs(job_id, b"content", b"style")
        await jobs.create(replace(new_job(job_id), content_path=content, style_path=style))
    await jobs.mark_failed("aaaa0001", "broken")  # ended long ago
    clock.now += 7200
    await jobs.mark_failed("aaaa0002", "broken")  # ended just now; aaaa0003 still waits
    for job_id in ("aaaa0001", "aaaa0002"):
        await jobs.mark_posted(job_id, None)
    assert await delete_expired_files(jobs, files, finished_before=clock.now - 3600) == 1
    assert not files.folder("aaaa0001").exists()
    assert files.folder("aaaa0002").exists()
    assert await jobs.files_deleted("aaaa0001") and not await jobs.files_deleted("aaaa0002")
    assert (await jobs.require("aaaa0003")).content_path.read_bytes() == b"content"


async def test_server_settings_round_trip_and_reset(database: Database) -> None:
    store = GuildSettingsStore(database)
    assert await store.get(5) == GuildSettings(guild_id=5)
    settings = GuildSettings(
        guild_id=5, max_iterations=300, max_size=256, default_iterations=100, default_size=128,
        jobs_per_member=3, cooldown_seconds=30, allowed_channels=frozenset({11, 12}),
    )  # fmt: skip
    await store.save(settings, by_user_id=77)
    assert await store.get(5) == settings
    assert await store.get(6) == GuildSettings(guild_id=6)
    assert await store.reset(5, by_user_id=78) == GuildSettings(guild_id=5)
    assert await store.get(5) == GuildSettings(guild_id=5)
    assert await store.get(None) == GuildSettings(guild_id=None)


async def test_every_settings_change_is_stored_and_logged_with_who_and_what(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    store = GuildSettingsStore(database)
    with caplog.at_level(logging.INFO, logger="bot.store.guild_settings"):
        await store.save(GuildSettings(guild_id=5, max_size=256), by_user_id=77)
        await store.save(
            GuildSettings(guild_id=5, max_size=128, allowed_channels=frozenset({11})),
            by_user_id=78,
        )
        await store.save(await store.get(5), by_user_id=78)  # nothing changed: nothing logged
        await store.reset(5, by_user_id=77)

    audit = await store.audit(5)
    assert [(entry.user_id, entry.changes) for entry in audit] == [
        (77, {"max_size": (None, 256)}),
        (78, {"max_size": (256, 128), "allowed_channels": ([], [11])}),
        (77, {"max_size": (128, None), "allowed_channels": ([11], [])}),
    ]
    assert [r.getMessage() for r in caplog.records] == [
        "settings of server 5 changed by user 77: max_size None → 256",
        "settings of server 5 changed by user 78: max_size 256 → 128, allowed_channels [] → [11]",
        "settings of server 5 changed by user 77: max_size 128 → None, allowed_channels [11] → []",
    ]


async def test_two_requests_at_once_from_one_member_admit_one_job(database: Database) -> None:
    jobs = JobStore(database)
    one_at_a_time = Admission(GuildSettings(guild_id=1, jobs_per_member=1), max_queue=10, now=0)
    first, second = await asyncio.gather(
        jobs.admit(new_job("aaaa0001", user_id=7), one_at_a_time),
        jobs.admit(new_job("aaaa0002", user_id=7), one_at_a_time),
        return_exceptions=True,
    )
    assert isinstance(first, Job) and not first.inputs_ready  # a reservation until saved
    assert isinstance(second, RequestRefused) and "allows 1 at once" in str(second)
    assert [job.id for job in await jobs.reservations()] == ["aaaa0001"]
    await jobs.discard("aaaa0001")
    assert await jobs.get("aaaa0001") is None


def grid_job(job_id: str, user_id: int = 7) -> NewJob:
    job = new_job(job_id, user_id)
    return replace(job, request=replace(job.request, quality="variations"))


async def test_a_grid_is_a_cheap_request_outside_the_painting_quota_with_a_cap_per_hour(
    database: Database,
) -> None:
    jobs = JobStore(database)
    settings = GuildSettings(guild_id=1, jobs_per_member=1, cooldown_seconds=600, grids_per_hour=2)
    await jobs.admit(new_job("aaaa0001"), Admission(settings, max_queue=10, now=0))
    for n, now in ((2, 10), (3, 20)):  # a painting running and in its cooldown: grids still come
        await jobs.admit(grid_job(f"aaaa000{n}"), Admission(settings, max_queue=10, now=now))

    with pytest.raises(RequestRefused, match="2 variations grids in the last hour") as refused:
        await jobs.admit(grid_job("aaaa0004"), Admission(settings, max_queue=10, now=30))
    assert refused.value.reason == "grids_per_hour"
    await jobs.admit(grid_job("aaaa0005"), Admission(settings, max_queue=10, now=3611))
    with pytest.raises(RequestRefused, match="allows 1 at once"):
        await jobs.admit(new_job("aaaa0006"), Admission(settings, max_queue=10, now=3612))


async def test_a_server_that_turned_grids_off_refuses_them_with_a_sentence(
    database: Database,
) -> None:
    off = Admission(GuildSettings(guild_id=1, grids_per_hour=0), max_queue=10, now=0)
    with pytest.raises(RequestRefused, match="grids are turned off on this server"):
        await JobStore(database).admit(grid_job("aaaa0001"), off)


async def test_a_full_queue_refuses_admission(database: Database) -> None:
    jobs = JobStore(database)
    roomy = Admission(GuildSettings(guild_id=1, jobs_per_member=5), max_queue=1, now=0)
    await jobs.admit(new_job("aaaa0001", user_id=7), roomy)
    with pytest.raises(RequestRefused, match=r"The queue is full \(1 jobs waiting\)"):
        await jobs.admit(new_job("aaaa0002", user_id=8), roomy)


async def test_a_server_with_its_share_of_the_queue_waiting_is_refused_and_another_gets_in(
    database: Database,
) -> None:
    jobs = JobStore(database)
    settings = GuildSettings(guild_id=1, jobs_per_member=5)
    capped = Admission(settings, max_queue=10, now=0, max_queued_per_guild=2)
    for n in (1, 2):
        await jobs.admit(new_job(f"aaaa000{n}", user_id=n), capped)
    with pytest.raises(RequestRefused, match=r"This server's queue is full \(2 jobs waiting") as no:
        await jobs.admit(new_job("aaaa0003", user_id=3), capped)
    assert no.value.reason == "server_queue_full"
    elsewhere = Admission(GuildSettings(guild_id=2), max_queue=10, now=0, max_queued_per_guild=2)
    await jobs.admit(new_job("aaaa0004", user_id=3, guild_id=2), elsewhere)
