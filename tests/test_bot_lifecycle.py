"""The lifecycle's pieces at their small interfaces, each with fakes of what it talks to: the
retry policy on a fake clock, the status message against a fake Discord message, the
hand-overs between intake and driver. The whole-bot stories are in test_bot_*_stories and
test_bot_nothing_lost."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import discord
import pytest
from discord_trouble import FakeClock, forbidden, outage
from stored_jobs import new_job
from waiting import eventually

from bot.lifecycle.driver import MAX_ATTEMPTS, HandOvers, JobDriver
from bot.lifecycle.housekeeping import Housekeeping
from bot.lifecycle.retry import Retrying, RetryPolicy, TooLate
from bot.lifecycle.status_message import StatusMessage
from bot.lifecycle.supervisor import Supervisor
from bot.ops.metrics import Metrics
from bot.rules.refusals import RequestRefused
from bot.rules.settings import GuildSettings
from bot.store.admission_checks import Admission
from bot.store.database import Database
from bot.store.job_files import JobFiles
from bot.store.job_rows import Job
from bot.store.jobs import JobStore


class Flaky:
    """An attempt that fails with the given errors, then answers."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "posted"


async def test_a_short_outage_is_waited_out_with_doubling_delays_up_to_the_ceiling() -> None:
    clock = FakeClock()
    retrying = Retrying(RetryPolicy(first_delay=1, max_delay=4), clock)
    retries: list[None] = []
    attempt = Flaky(*[outage() for _ in range(5)])
    answer = await retrying.call(
        attempt, since=clock.now(), what="posting", on_retry=lambda: retries.append(None)
    )
    assert answer == "posted" and attempt.calls == 6
    assert clock.slept == [1, 2, 4, 4, 4] and len(retries) == 5


async def test_an_outage_longer_than_the_max_age_ends_in_too_late() -> None:
    clock = FakeClock()
    retrying = Retrying(RetryPolicy(max_age=10, first_delay=4, max_delay=4), clock)
    with pytest.raises(TooLate, match="ConnectionResetError"):
        await retrying.call(Flaky(*[outage() for _ in range(10)]), since=clock.now(), what="x")
    assert clock.slept == [4, 4, 4]  # the fourth failure comes 12 s in


async def test_max_tries_stops_after_that_many_tries() -> None:
    clock = FakeClock()
    attempt = Flaky(*[outage() for _ in range(10)])
    with pytest.raises(TooLate):
        await Retrying(RetryPolicy(max_tries=3), clock).call(attempt, since=clock.now(), what="x")
    assert attempt.calls == 3 and clock.slept == [1, 2]


async def test_a_refusal_is_not_retried() -> None:
    clock = FakeClock()
    attempt = Flaky(forbidden())
    with pytest.raises(discord.Forbidden):
        await Retrying(RetryPolicy(), clock).call(attempt, since=clock.now(), what="x")
    assert attempt.calls == 1 and clock.slept == []


class FakeMessage:
    """A Discord message as StatusMessage uses it: an id, and edits that may fail."""

    id = 42

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.edits: list[dict[str, object]] = []

    async def edit(self, **changes: object) -> None:
        if self.errors:
            raise self.errors.pop(0)
        self.edits.append(changes)


async def test_the_status_message_shows_the_newest_line_and_the_final_one_without_buttons() -> None:
    message = FakeMessage()
    view = discord.ui.View(timeout=None)
    status = StatusMessage(message, "Job `ab12cd34`", view, interval=0.01)  # type: ignore[arg-type]
    status.start_editing()
    status.show("⏳ Queued — next in line")
    status.show("🎨 Starting on cpu…")
    await eventually(lambda: any("Starting" in str(e["content"]) for e in message.edits))
    assert message.edits[-1]["view"] is view
    await status.finish("✅ Done", Retrying(RetryPolicy(max_tries=3), FakeClock()))
    assert message.edits[-1] == {
        "content": "Job `ab12cd34`\n✅ Done",
        "view": None,
        "attachments": [],
    }


def previews_sent(message: FakeMessage) -> int:
    return sum(1 for edit in message.edits if edit.get("attachments"))


async def test_the_first_preview_goes_out_at_once_and_later_ones_wait_for_the_interval() -> None:
    message = FakeMessage()
    status = StatusMessage(message, "Job", None, interval=3600)  # type: ignore[arg-type]
    status.start_editing()
    status.show("🎨 Painting…")
    await eventually(lambda: len(message.edits) == 1)

    status.show_preview(b"instant", "🖼️ Instant preview")
    await eventually(lambda: previews_sent(message) == 1)
    status.show_preview(b"engine", "🖼️ Step 1 of 4")
    for _ in range(20):  # let the loop run: it must now be pausing for the interval
        await asyncio.sleep(0)
    assert previews_sent(message) == 1 and len(message.edits) == 2
    await status.stop_editing()


async def test_the_final_status_edit_outlasts_a_short_outage_and_gives_up_after_a_few_tries() -> (
    None
):
    clock = FakeClock()
    retrying = Retrying(RetryPolicy(max_tries=3), clock)
    through = FakeMessage(outage(), outage())
    await StatusMessage(through, "Job", None, 1).finish("✅ Done", retrying)  # type: ignore[arg-type]
    assert [e["content"] for e in through.edits] == ["Job\n✅ Done"]
    down = FakeMessage(*[outage() for _ in range(5)])
    await StatusMessage(down, "Job", None, 1).finish("✅ Done", retrying)  # type: ignore[arg-type]
    assert down.edits == [] and len(down.errors) == 2  # three tries, then the answer goes on


async def test_a_member_waiting_at_intake_hears_of_the_posts_or_the_one_refusal() -> None:
    hand_overs = HandOvers()
    job = SimpleNamespace(id="ab12cd34")
    with hand_overs.expect(job.id) as posted:
        assert hand_overs.waiting(job.id)
        hand_overs.posted(job)  # type: ignore[arg-type]
        hand_overs.refuse(job.id, RequestRefused("too late", reason="not_started"))
        assert await posted is job and not hand_overs.waiting(job.id)
    with hand_overs.expect("other") as refused:
        hand_overs.refuse("other", RequestRefused("no room", reason="bot_cannot_post"))
        with pytest.raises(RequestRefused, match="no room"):
            await refused
    assert not hand_overs.waiting("other")


# ---------------------------------------------------------------------------------------------
# The per-job driver, with fakes of its posts, its engine run and its delivery, on a real job
# store.
# ---------------------------------------------------------------------------------------------


class FakePosts:
    def __init__(self, jobs: JobStore, *errors: Exception) -> None:
        self.jobs = jobs
        self.errors = list(errors)
        self.resumed: list[bool] = []

    async def ensure(self, job: Job, *, resumed: bool) -> Job:
        self.resumed.append(resumed)
        if self.errors:
            raise self.errors.pop(0)
        await self.jobs.set_messages(job.id, status_message_id=55)
        return await self.jobs.require(job.id)


class FakeRuns:
    """Paints every job at once (or fails with `error`)."""

    def __init__(self, jobs: JobStore, error: Exception | None = None) -> None:
        self.jobs = jobs
        self.error = error
        self.ran: list[str] = []
        self.forgotten: list[str] = []

    async def run(self, job: Job) -> Job:
        self.ran.append(job.id)
        if self.error is not None:
            raise self.error
        await self.jobs.mark_running(job.id)
        await self.jobs.mark_done(
            job.id, result_path=Path("/r.png"), width=32, height=32, seconds=1.0, device="cpu",
            engine_note=None,
        )  # fmt: skip
        return await self.jobs.require(job.id)

    def forget(self, job_id: str) -> None:
        self.forgotten.append(job_id)


class FakeDelivery:
    def __init__(self, jobs: JobStore) -> None:
        self.jobs = jobs
        self.delivered: list[tuple[str, str, bool]] = []

    async def deliver(self, job: Job, *, picked_up: bool) -> None:
        self.delivered.append((job.id, job.state, picked_up))
        await self.jobs.mark_posted(job.id, 99)


@dataclass
class Driving:
    jobs: JobStore
    files: JobFiles
    posts: FakePosts
    runs: FakeRuns
    delivery: FakeDelivery
    hand_overs: HandOvers
    driver: JobDriver


def driving(
    database: Database, tmp_path: Path, *post_errors: Exception, run_error: Exception | None = None
) -> Driving:
    jobs, files = JobStore(database), JobFiles(tmp_path / "jobs")
    posts, runs, delivery = (
        FakePosts(jobs, *post_errors),
        FakeRuns(jobs, run_error),
        FakeDelivery(jobs),
    )
    hand_overs = HandOvers()
    retrying = Retrying(RetryPolicy(), FakeClock())
    driver = JobDriver(
        None, jobs, files, Metrics(), posts, runs, delivery, hand_overs, retrying,  # type: ignore[arg-type]
    )  # fmt: skip
    return Driving(jobs, files, posts, runs, delivery, hand_overs, driver)


async def test_a_handed_over_job_is_posted_painted_and_delivered_once(
    database: Database, tmp_path: Path
) -> None:
    d = driving(database, tmp_path)
    await d.jobs.create(new_job("aaaa0001"))
    with d.hand_overs.expect("aaaa0001") as posted:
        driving_task = asyncio.create_task(d.driver.drive("aaaa0001"))
        assert (await posted).status_message_id == 55
        await driving_task
    assert d.posts.resumed == [False]  # the member was waiting: nothing was sent before
    assert d.runs.ran == ["aaaa0001"] and d.runs.forgotten == ["aaaa0001"]
    assert d.delivery.delivered == [("aaaa0001", "done", False)]


async def test_posts_are_retried_through_an_outage_as_if_resumed(
    database: Database, tmp_path: Path
) -> None:
    d = driving(database, tmp_path, outage(), outage())
    await d.jobs.create(new_job("aaaa0002"))
    await d.driver.drive("aaaa0002")
    assert d.posts.resumed == [True, True, True]  # no member waiting: a resumed job
    assert d.delivery.delivered == [("aaaa0002", "done", True)]


async def test_a_refused_post_while_the_member_waits_gives_the_job_up_and_keeps_nothing(
    database: Database, tmp_path: Path
) -> None:
    d = driving(database, tmp_path, forbidden())
    await d.jobs.create(new_job("aaaa0003"))
    await d.files.save_inputs("aaaa0003", b"content", b"style")
    with d.hand_overs.expect("aaaa0003") as posted:
        await d.driver.drive("aaaa0003")
        with pytest.raises(RequestRefused, match="I could not post in this channel"):
            await posted
    job = await d.jobs.require("aaaa0003")
    assert (job.state, job.posted, job.delivery_note) == ("failed", True, "refused at intake")
    assert not d.files.folder("aaaa0003").exists()
    assert d.runs.ran == [] and d.delivery.delivered == []


async def test_a_job_interrupted_three_times_is_given_up_and_its_failure_delivered(
    database: Database, tmp_path: Path
) -> None:
    d = driving(database, tmp_path)
    await d.jobs.create(new_job("aaaa0004"))
    for _ in range(MAX_ATTEMPTS):
        await d.jobs.begin_attempt("aaaa0004")  # and each time, the bot died
    await d.driver.drive("aaaa0004")
    job = await d.jobs.require("aaaa0004")
    assert job.error is not None and "interrupted 3 times" in job.error
    assert d.runs.ran == [] and d.delivery.delivered == [("aaaa0004", "failed", True)]


async def test_an_unexpected_error_counts_an_attempt_and_leaves_the_job_for_the_supervisor(
    database: Database, tmp_path: Path
) -> None:
    d = driving(database, tmp_path, run_error=RuntimeError("a bug"))
    await d.jobs.create(new_job("aaaa0005"))
    await d.driver.drive("aaaa0005")
    job = await d.jobs.require("aaaa0005")
    assert (job.state, job.attempts, job.posted) == ("queued", 1, False)
    assert d.delivery.delivered == []


# ---------------------------------------------------------------------------------------------
# The supervisor, with a fake driver and fake engine runs, on a real job store.
# ---------------------------------------------------------------------------------------------


class FakeDriver:
    """Drives a job by ending it and marking it posted; `hold` keeps every drive going until
    set."""

    def __init__(self, jobs: JobStore) -> None:
        self.jobs = jobs
        self.driven: list[str] = []
        self.hold = asyncio.Event()
        self.hold.set()

    async def drive(self, job_id: str) -> None:
        self.driven.append(job_id)
        await self.hold.wait()
        await self.jobs.mark_failed(job_id, "ended by the fake driver")  # unless it already ended
        await self.jobs.mark_posted(job_id, 1)

    async def stop_deliveries(self, grace: float) -> None:
        pass


class IdleRuns:
    """Engine runs of a process whose engine has none of the jobs."""

    def __init__(self) -> None:
        self.where: dict[str, str] = {}
        self.stopping = False

    async def cancel(self, job_id: str, by_user_id: int) -> None:
        return None


def supervisor(database: Database, tmp_path: Path) -> tuple[Supervisor, FakeDriver]:
    jobs, files = JobStore(database), JobFiles(tmp_path / "jobs")
    driver = FakeDriver(jobs)
    watching = Supervisor(
        jobs, files, Metrics(), driver, IdleRuns(), HandOvers(), Housekeeping(jobs, files, 24),  # type: ignore[arg-type]
    )  # fmt: skip
    return watching, driver


async def test_recovery_drives_every_unfinished_job_once_and_drops_half_admitted_ones(
    database: Database, tmp_path: Path
) -> None:
    watching, driver = supervisor(database, tmp_path)
    jobs = JobStore(database)
    await jobs.create(new_job("eeee0001"))
    await jobs.create(new_job("eeee0002"))
    never_came = new_job("eeee0003", user_id=8)  # admitted, but its inputs never arrived
    await jobs.admit(never_came, Admission(GuildSettings(1), 10, 0.0))
    try:
        assert await watching.recover() == 2
        watching.drive("eeee0001")  # already driven: no second task
        await eventually(lambda: jobs.to_resume(), lambda unfinished: unfinished == [])
        assert sorted(driver.driven) == ["eeee0001", "eeee0002"]
        assert await jobs.get("eeee0003") is None
    finally:
        await watching.shut_down()


async def test_a_job_the_engine_does_not_have_is_cancelled_here_and_driven_to_its_answer(
    database: Database, tmp_path: Path
) -> None:
    watching, driver = supervisor(database, tmp_path)
    jobs = JobStore(database)
    await jobs.create(new_job("eeee0004"))
    assert await watching.cancel("eeee0004", by_user_id=7) == "cancelled"
    assert (await jobs.require("eeee0004")).error == "🚫 Cancelled by <@7>"
    await eventually(lambda: jobs.require("eeee0004"), lambda job: job.posted)
    assert driver.driven == ["eeee0004"]
    assert await watching.cancel("eeee0004", by_user_id=7) == "ended"
    await watching.shut_down()


async def test_shutdown_stops_every_job_task(database: Database, tmp_path: Path) -> None:
    watching, driver = supervisor(database, tmp_path)
    jobs = JobStore(database)
    await jobs.create(new_job("eeee0005"))
    driver.hold.clear()  # the job is still being driven when the bot stops
    watching.drive("eeee0005")
    await eventually(lambda: driver.driven, lambda driven: driven == ["eeee0005"])
    await watching.shut_down()
    assert not (await jobs.require("eeee0005")).posted  # stopped, for the next start to resume
