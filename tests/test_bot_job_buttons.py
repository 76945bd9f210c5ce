"""The job buttons' actions at their small interface: who may press, and the refusals each action
gives before anything is queued, with a fake interaction on a real job store. The presses that
queue, cancel and delete are in the member stories."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import discord
from stored_jobs import new_job

from bot.commands.action_rate import ActionRate
from bot.commands.job_buttons import JobActions
from bot.config import Limits
from bot.messages.buttons import BUTTON_OF
from bot.ops.metrics import Metrics
from bot.rules.request import STRENGTH_MAX
from bot.store.database import Database
from bot.store.guild_settings import GuildSettingsStore
from bot.store.job_files import JobFiles
from bot.store.jobs import JobStore

AUTHOR, STRANGER = 7, 8  # new_job() is member 7's


class FakeInteraction:
    """What the actions use of an interaction: who pressed, and the private answers."""

    def __init__(self, user_id: int, permissions: discord.Permissions) -> None:
        self.user = SimpleNamespace(id=user_id)
        self.permissions = permissions
        self.guild_id = 1
        self.answers: list[str] = []
        self.response = SimpleNamespace(
            is_done=lambda: bool(self.answers), send_message=self._answer, defer=self._defer
        )
        self.followup = SimpleNamespace(send=self._answer)

    async def _answer(self, text: str, **_: object) -> None:
        self.answers.append(text)

    async def _defer(self, **_: object) -> None:
        pass


def actions(database: Database, tmp_path: Path, metrics: Metrics) -> JobActions:
    return JobActions(
        JobStore(database), JobFiles(tmp_path), GuildSettingsStore(database), Limits(),
        None, None, None, metrics,  # type: ignore[arg-type]  # queueing, cancelling, deleting
        ActionRate(0, metrics),
    )  # fmt: skip


async def test_only_the_author_may_press_a_jobs_buttons_outside_a_server(
    database: Database, tmp_path: Path
) -> None:
    metrics = Metrics()
    await JobStore(database).create(new_job("bbbb0001"))
    job_actions = actions(database, tmp_path, metrics)
    doing = BUTTON_OF["delete"].doing
    stranger = FakeInteraction(STRANGER, discord.Permissions.none())
    assert not await job_actions.may_press(stranger, "bbbb0001", doing)  # type: ignore[arg-type]
    assert stranger.answers == [
        "Only the author of job `bbbb0001` (<@7>) or a moderator can delete it."
    ]
    # Not a server member: channel permissions make nobody a moderator (server-wide ones do,
    # in the member stories).
    channel_moderator = FakeInteraction(STRANGER, discord.Permissions(manage_messages=True))
    assert not await job_actions.may_press(channel_moderator, "bbbb0001", doing)  # type: ignore[arg-type]
    author = FakeInteraction(AUTHOR, discord.Permissions.none())
    assert await job_actions.may_press(author, "bbbb0001", doing)  # type: ignore[arg-type]
    assert author.answers == []


async def test_a_button_of_a_forgotten_job_says_so(database: Database, tmp_path: Path) -> None:
    author = FakeInteraction(AUTHOR, discord.Permissions.none())
    job_actions = actions(database, tmp_path, Metrics())
    assert not await job_actions.may_press(author, "ffff0000", "run it again")  # type: ignore[arg-type]
    assert author.answers == ["I don't know job `ffff0000` any more."]


async def test_stronger_at_the_strongest_and_upscale_without_a_result_are_refused(
    database: Database, tmp_path: Path
) -> None:
    strongest = new_job("bbbb0002")
    strongest = replace(strongest, request=replace(strongest.request, strength=STRENGTH_MAX))
    await JobStore(database).create(strongest)
    job_actions = actions(database, tmp_path, Metrics())
    author = FakeInteraction(AUTHOR, discord.Permissions.none())
    await job_actions.press(author, "stronger", "bbbb0002")  # type: ignore[arg-type]
    await job_actions.press(author, "upscale", "bbbb0002")  # type: ignore[arg-type]
    assert author.answers == [
        "Job `bbbb0002` already ran at the strongest setting.",
        "Job `bbbb0002` has no result to upscale.",
    ]
