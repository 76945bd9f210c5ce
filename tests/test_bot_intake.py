"""The intake at its small interface: a fake interaction (a direct message, so no channel
permissions are involved), a fake hand-over to the lifecycle, and a real job store and files.
Every request ends in one private answer, and a refused one leaves nothing behind."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from engine_images import png
from stored_jobs import new_job

from bot.admission.inputs import Inputs
from bot.admission.intake import Intake
from bot.config import Config
from bot.ops.metrics import Metrics
from bot.rules.refusals import RequestRefused
from bot.rules.request import RequestedOptions
from bot.store.database import Database
from bot.store.guild_settings import GuildSettingsStore
from bot.store.job_files import JobFiles
from bot.store.job_rows import Job
from bot.store.jobs import JobStore

MEMBER, DM_CHANNEL = 7, 100


class FakeInteraction:
    def __init__(self) -> None:
        self.guild_id = None
        self.channel_id = DM_CHANNEL
        self.channel = None
        self.user = SimpleNamespace(id=MEMBER, display_name="painter")
        self.filesize_limit = 10_000_000
        self.answers: list[str] = []
        self.followup = SimpleNamespace(send=self._answer)

    async def _answer(self, text: str, **_: object) -> None:
        self.answers.append(text)


class Taking:
    """An intake whose hand-over only records the job (the lifecycle's part is faked)."""

    def __init__(self, database: Database, tmp_path: Path) -> None:
        self.jobs, self.files = JobStore(database), JobFiles(tmp_path / "jobs")
        self.handed_over: list[str] = []
        config = Config(token="token", data_dir=tmp_path)
        settings = GuildSettingsStore(database)
        self.intake = Intake(
            None,
            config,
            self.jobs,
            self.files,
            settings,
            Metrics(),
            self.hand_over,  # type: ignore[arg-type]
        )

    async def hand_over(self, job_id: str) -> Job:
        self.handed_over.append(job_id)
        await self.jobs.mark_inputs_ready(job_id)
        return await self.jobs.require(job_id)

    async def ask(self, gather: object) -> tuple[Job | None, list[str]]:
        interaction = FakeInteraction()
        job = await self.intake.queue_job(interaction, gather, RequestedOptions(seed=5))  # type: ignore[arg-type]
        return job, interaction.answers


async def two_pictures() -> Inputs:
    return Inputs(png(40, 30), png(30, 40), style_names=("style.png",))


async def test_a_request_is_saved_handed_over_and_confirmed_privately(
    database: Database, tmp_path: Path
) -> None:
    taking = Taking(database, tmp_path)
    job, answers = await taking.ask(two_pictures)
    assert job is not None and taking.handed_over == [job.id]
    assert answers == [f"Queued as job `{job.id}` — follow along in <#{DM_CHANNEL}>."]
    assert job.content_path.read_bytes() == png(40, 30) and job.style_names == ("style.png",)
    assert (job.request.seed, job.post_mode, job.thread_name) == (5, "public", None)


async def test_over_the_members_limit_nothing_is_fetched_or_kept(
    database: Database, tmp_path: Path
) -> None:
    taking = Taking(database, tmp_path)
    for job_id in ("cccc0001", "cccc0002"):
        await taking.jobs.create(new_job(job_id, user_id=MEMBER, guild_id=None))
    fetched: list[bool] = []

    async def gather() -> Inputs:
        fetched.append(True)
        return await two_pictures()

    job, answers = await taking.ask(gather)
    assert job is None and fetched == [] and taking.handed_over == []
    assert answers == [
        "You already have 2 jobs waiting or running; this server allows 2 at once. "
        "Try again when one is done."
    ]
    assert len(await taking.jobs.active()) == 2


async def test_a_picture_refused_while_gathering_leaves_no_reservation_or_files(
    database: Database, tmp_path: Path
) -> None:
    taking = Taking(database, tmp_path)

    async def gather() -> Inputs:
        raise RequestRefused("The style image must be uploaded to Discord, not linked.",
                             reason="linked_image")  # fmt: skip

    job, answers = await taking.ask(gather)
    assert job is None and answers == ["The style image must be uploaded to Discord, not linked."]
    assert await taking.jobs.reservations() == [] and await taking.jobs.known_ids() == set()
    assert list((tmp_path / "jobs").glob("*")) == []
