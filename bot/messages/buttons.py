"""Buttons under a job's messages. Their custom ids carry the job id, so they keep working after
a restart: discord.py rebuilds them from the id (`DynamicItem`) instead of from memory."""

from __future__ import annotations

from typing import Literal, Protocol

import discord

Action = Literal["again", "stronger", "weaker", "upscale", "delete", "cancel"]

_LOOKS: dict[str, tuple[str, str, discord.ButtonStyle]] = {
    "again": ("Run again", "🎲", discord.ButtonStyle.primary),
    "stronger": ("Stronger", "➕", discord.ButtonStyle.secondary),
    "weaker": ("Weaker", "➖", discord.ButtonStyle.secondary),
    "upscale": ("Upscale ×2", "🔍", discord.ButtonStyle.secondary),
    "delete": ("Delete", "🗑️", discord.ButtonStyle.danger),
    "cancel": ("Cancel", "✖️", discord.ButtonStyle.danger),
}


class ButtonHandler(Protocol):
    async def on_job_button(
        self, interaction: discord.Interaction, action: Action, job_id: str
    ) -> None: ...


class JobButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"atelier:(?P<action>again|stronger|weaker|upscale|delete|cancel):(?P<job_id>[0-9a-f]{1,32})",
):
    def __init__(self, action: Action, job_id: str) -> None:
        label, emoji, style = _LOOKS[action]
        super().__init__(
            discord.ui.Button(
                label=label, emoji=emoji, style=style, custom_id=f"atelier:{action}:{job_id}"
            )
        )
        self.action: Action = action
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match
    ) -> JobButton:
        return cls(match["action"], match["job_id"])

    async def callback(self, interaction: discord.Interaction) -> None:
        handler: ButtonHandler = interaction.client  # type: ignore[assignment]
        await handler.on_job_button(interaction, self.action, self.job_id)


def _view(job_id: str, actions: tuple[Action, ...]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for action in actions:
        view.add_item(JobButton(action, job_id))
    return view


def cancel_view(job_id: str) -> discord.ui.View:
    return _view(job_id, ("cancel",))


def result_view(job_id: str) -> discord.ui.View:
    return _view(job_id, ("again", "stronger", "weaker", "upscale", "delete"))
