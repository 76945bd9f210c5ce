"""Buttons under a job's messages. Their custom ids carry the job id, so they keep working after
a restart: discord.py rebuilds them from the id (`DynamicItem`) instead of from memory."""

from __future__ import annotations

from typing import Literal, Protocol

import discord

from bot.rules.request import Quality

Action = Literal[
    "again", "stronger", "weaker", "upscale", "delete", "cancel", "variations",
    "paint1", "paint2", "paint3", "paint4", "vary", "vary1", "vary2", "vary3", "vary4",
]  # fmt: skip
PAINT: dict[Action, int] = {"paint1": 1, "paint2": 2, "paint3": 3, "paint4": 4}
VARY: dict[Action, int] = {"vary1": 1, "vary2": 2, "vary3": 3, "vary4": 4}

_LOOKS: dict[str, tuple[str, str, discord.ButtonStyle]] = {
    "again": ("Run again", "🎲", discord.ButtonStyle.primary),
    "stronger": ("Stronger", "➕", discord.ButtonStyle.secondary),
    "weaker": ("Weaker", "➖", discord.ButtonStyle.secondary),
    "upscale": ("Upscale ×2", "🔍", discord.ButtonStyle.secondary),
    "delete": ("Delete", "🗑️", discord.ButtonStyle.danger),
    "cancel": ("Cancel", "✖️", discord.ButtonStyle.danger),
    "variations": ("Variations", "🔀", discord.ButtonStyle.secondary),
    **{a: (f"Paint {n}", "🖌️", discord.ButtonStyle.primary) for a, n in PAINT.items()},
    "vary": ("Vary", "🔀", discord.ButtonStyle.secondary),
    **{a: (f"Vary {n}", "🔀", discord.ButtonStyle.secondary) for a, n in VARY.items()},
}


class ButtonHandler(Protocol):
    async def on_job_button(
        self, interaction: discord.Interaction, action: Action, job_id: str
    ) -> None: ...


class JobButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=rf"atelier:(?P<action>{'|'.join(_LOOKS)}):(?P<job_id>[0-9a-f]{{1,32}})",
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


def result_view(job_id: str, quality: Quality = "full") -> discord.ui.View:
    """Under a finished picture; under a grid, a button per cell to paint it, and Vary."""
    if quality == "variations":
        return _view(job_id, (*PAINT, "vary"))
    return _view(job_id, ("again", "stronger", "weaker", "upscale", "variations", "delete"))


def vary_view(job_id: str) -> discord.ui.View:
    """Which cell of a grid a new grid goes around."""
    return _view(job_id, tuple(VARY))
