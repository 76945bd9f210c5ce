"""Delivery at its small interface: the answer of a finished job, against fake Discord channels
that fail as told, on a real job store and real job files. The whole-bot versions of these
stories are in test_bot_nothing_lost.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

from discord_trouble import FakeClock, forbidden, outage
from engine_images import png
from stored_jobs import new_job

from bot.lifecycle.delivery import Delivery
from bot.lifecycle.retry import Retrying, RetryPolicy
from bot.store.database import Database
from bot.store.job_files import JobFiles
from bot.store.job_rows import Job
from bot.store.jobs import JobStore

BOT_ID, THREAD, CHANNEL = 1, 200, 100  # new_job() asks in channel 100
LOST = "lost"  # Discord takes the message, but its answer never comes back


class FakeChannel:
    """What Delivery uses of a channel: send, and read back its history. Like Discord, a send
    whose nonce it has seen answers with the first message; `hidden_history` reads empty."""

    def __init__(
        self, channel_id: int, *failures: Exception | str, hidden_history: bool = False
    ) -> None:
        self.id = channel_id
        self.failures = list(failures)
        self.messages: list[SimpleNamespace] = []
        self.by_nonce: dict[object, SimpleNamespace] = {}
        self.hidden_history = hidden_history

    async def send(self, content: str, nonce: object = None, **_: object) -> SimpleNamespace:
        if nonce is not None and nonce in self.by_nonce:
            return self.by_nonce[nonce]
        failure = self.failures.pop(0) if self.failures else None
        if isinstance(failure, Exception):
            raise failure
        message = SimpleNamespace(
            id=10_000 + len(self.messages),
            content=content,
            channel=SimpleNamespace(id=self.id),
            author=SimpleNamespace(id=BOT_ID),
        )
        self.messages.append(message)
        if nonce is not None:
            self.by_nonce[nonce] = message
        if failure == LOST:
            raise outage()
        return message

    async def history(self, limit: int) -> AsyncIterator[SimpleNamespace]:
        for message in [] if self.hidden_history else reversed(self.messages[-limit:]):
            yield message


class FakeClient:
    user = SimpleNamespace(id=BOT_ID)

    def __init__(self, thread: FakeChannel) -> None:
        self.channels = {THREAD: thread, CHANNEL: FakeChannel(CHANNEL)}
        self.dm = FakeChannel(300)

    def get_partial_messageable(self, channel_id: int) -> FakeChannel:
        return self.channels[channel_id]

    def get_channel(self, channel_id: int) -> None:
        return None  # nothing cached: no permissions known to say history is hidden

    async def create_dm(self, user: object) -> FakeChannel:
        return self.dm


async def finished_job(database: Database, files: JobFiles) -> Job:
    jobs = JobStore(database)
    await jobs.create(new_job("dddd0001"))
    await jobs.set_messages("dddd0001", thread_id=THREAD)
    await jobs.mark_running("dddd0001")
    result = await files.save_result("dddd0001", png(32, 32))
    await jobs.mark_done(
        "dddd0001", result_path=result, width=32, height=32, seconds=2.0, device="cpu",
        engine_note=None,
    )  # fmt: skip
    return await jobs.require("dddd0001")


async def deliver(
    database: Database, tmp_path: Path, thread: FakeChannel, policy: RetryPolicy | None = None
) -> tuple[FakeClient, Job, int]:
    """Deliver the finished job through `thread`; the client, the job after it, the retries."""
    files, client, retries = JobFiles(tmp_path / "jobs"), FakeClient(thread), []
    job = await finished_job(database, files)
    delivery = Delivery(
        client,  # type: ignore[arg-type]
        JobStore(database),
        files,
        edit_seconds=1,
        retrying=Retrying(policy or RetryPolicy(), FakeClock()),
        on_retry=lambda: retries.append(1),
    )
    await delivery.deliver(job, picked_up=False)  # this process drove it from the start
    return client, await JobStore(database).require(job.id), len(retries)


async def test_an_outage_on_the_answer_is_waited_out_and_the_answer_posted_once(
    database: Database, tmp_path: Path
) -> None:
    thread = FakeChannel(THREAD, outage(), outage())
    _, job, retries = await deliver(database, tmp_path, thread)
    (answer,) = thread.messages
    assert "your painting is ready — 32×32 px" in answer.content
    assert (job.posted, job.result_message_id, job.delivered_to) == (True, answer.id, THREAD)
    assert job.delivery_note == "thread" and retries == 2


async def test_an_answer_discord_took_without_answering_is_found_not_sent_again(
    database: Database, tmp_path: Path
) -> None:
    thread = FakeChannel(THREAD, LOST)
    _, job, retries = await deliver(database, tmp_path, thread)
    (answer,) = thread.messages
    assert job.result_message_id == answer.id and retries == 1


async def test_a_resend_the_history_cannot_vouch_for_is_kept_single_by_its_nonce(
    database: Database, tmp_path: Path
) -> None:
    # Discord takes the answer without answering, and the history reads empty (as it does
    # without Read Message History): only the nonce lets Discord recognise the resend.
    thread = FakeChannel(THREAD, LOST, hidden_history=True)
    _, job, retries = await deliver(database, tmp_path, thread)
    (answer,) = thread.messages
    assert job.result_message_id == answer.id and retries == 1


async def test_a_thread_that_refuses_the_answer_sends_it_to_the_parent_channel(
    database: Database, tmp_path: Path
) -> None:
    client, job, _ = await deliver(database, tmp_path, FakeChannel(THREAD, forbidden()))
    (answer,) = client.channels[CHANNEL].messages
    assert answer.content.startswith("(I could not post in the job's thread any more.) ")
    assert (job.delivered_to, job.delivery_note) == (CHANNEL, "parent channel")


async def test_an_outage_longer_than_the_policy_gives_up_and_says_so_on_the_job(
    database: Database, tmp_path: Path
) -> None:
    forever = FakeChannel(THREAD, *[outage() for _ in range(100)])
    policy = RetryPolicy(max_age=60, first_delay=10, max_delay=10)
    client, job, retries = await deliver(database, tmp_path, forever, policy)
    assert retries == 6  # 10 s apart: the seventh failure comes past the minute
    assert forever.messages == [] and client.channels[CHANNEL].messages == []
    assert (job.posted, job.result_message_id) == (True, None)
    assert job.delivery_note == "gave up: Discord kept failing"
