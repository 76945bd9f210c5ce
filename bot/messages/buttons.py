"""Buttons under a job's messages, one `DynamicItem` per action. Their custom ids carry the job
id, so they keep working after a restart: discord.py rebuilds them from the id instead of from
memory. Each checks who may press it, then hands the press to the bot's job actions
(`bot.commands.job_buttons`), which the app puts on the client as `job_actions`.
"""

from __future__ import annotations

import re
import types
from typing import ClassVar, Literal, Protocol

import discord

from bot.rules.request import Quality
from bot.store.job_rows import JOB_ID_PATTERN

Action = Literal[
    "again", "stronger", "weaker", "upscale", "delete", "cancel", "variations",
    "paint1", "paint2", "paint3", "paint4", "vary", "vary1", "vary2", "vary3", "vary4",
]  # fmt: skip
# Under a variations grid: paint a cell in full, or (after Vary) a new grid around a cell.
PAINT: dict[Action, int] = {"paint1": 1, "paint2": 2, "paint3": 3, "paint4": 4}
VARY: dict[Action, int] = {"vary1": 1, "vary2": 2, "vary3": 3, "vary4": 4}
JOB_ID = rf"(?P<job_id>{JOB_ID_PATTERN})"


class JobActions(Protocol):
    async def may_press(self, interaction: discord.Interaction, job_id: str, doing: str) -> bool:
        """Whether this member may press a button of the job; if not, they are told why."""
        ...

    async def press(self, interaction: discord.Interaction, action: Action, job_id: str) -> None:
        """Do what the button says, and answer the member privately."""
        ...


def _actions(interaction: discord.Interaction) -> JobActions:
    return interaction.client.job_actions  # type: ignore[attr-defined]


# Not subscripted: DynamicItem takes one type parameter in discord.py 2.7 and two in 2.6.
class JobButton(discord.ui.DynamicItem, template=rf"atelier:[a-z]+:{JOB_ID}"):
    """What every job button shares; each action is a subclass with its own template
    (`BUTTON_OF`), which discord.py rebuilds from the custom id."""

    action: ClassVar[Action]
    look: ClassVar[tuple[str, str, discord.ButtonStyle]]  # label, emoji, style
    doing: ClassVar[str]  # ends "only the author … or a moderator can …"

    def __init__(self, job_id: str) -> None:
        label, emoji, style = self.look
        super().__init__(
            discord.ui.Button(
                label=label, emoji=emoji, style=style, custom_id=f"atelier:{self.action}:{job_id}"
            )
        )
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> JobButton:
        return cls(match["job_id"])

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await _actions(interaction).may_press(interaction, self.job_id, self.doing)

    async def callback(self, interaction: discord.Interaction) -> None:
        await _actions(interaction).press(interaction, self.action, self.job_id)


# action: (label, emoji, style, what "… or a moderator can" do with it)
_BUTTONS: dict[Action, tuple[str, str, discord.ButtonStyle, str]] = {
    "again": ("Run again", "🎲", discord.ButtonStyle.primary, "run it again"),
    "stronger": ("Stronger", "➕", discord.ButtonStyle.secondary, "run it again"),
    "weaker": ("Weaker", "➖", discord.ButtonStyle.secondary, "run it again"),
    "upscale": ("Upscale ×2", "🔍", discord.ButtonStyle.secondary, "upscale it"),
    "delete": ("Delete", "🗑️", discord.ButtonStyle.danger, "delete it"),
    "cancel": ("Cancel", "✖️", discord.ButtonStyle.danger, "cancel it"),
    "variations": ("Variations", "🔀", discord.ButtonStyle.secondary, "vary it"),
    **{a: (f"Paint {n}", "🖌️", discord.ButtonStyle.primary, "paint it") for a, n in PAINT.items()},
    "vary": ("Vary", "🔀", discord.ButtonStyle.secondary, "vary it"),
    **{a: (f"Vary {n}", "🔀", discord.ButtonStyle.secondary, "vary it") for a, n in VARY.items()},
}


def _button_class(action: Action) -> type[JobButton]:
    """The DynamicItem of one action: its own template, look and wording."""
    label, emoji, style, doing = _BUTTONS[action]

    def body(namespace: dict[str, object]) -> None:
        namespace.update(action=action, look=(label, emoji, style), doing=doing)

    template = {"template": rf"atelier:{action}:{JOB_ID}"}
    return types.new_class(f"{action.capitalize()}Button", (JobButton,), template, body)


BUTTON_OF: dict[Action, type[JobButton]] = {action: _button_class(action) for action in _BUTTONS}
JOB_BUTTONS = tuple(BUTTON_OF.values())


def _view(*buttons: JobButton) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for button in buttons:
        view.add_item(button)
    return view


def cancel_view(job_id: str) -> discord.ui.View:
    return _view(BUTTON_OF["cancel"](job_id))


def result_view(
    job_id: str, quality: Quality = "full", *, animated: bool = False
) -> discord.ui.View:
    """Under a finished picture; under a grid, a button per cell to paint it, and Vary. An
    animation has no Upscale or Variations: both start from a still."""
    actions: tuple[Action, ...] = (
        (*PAINT, "vary")
        if quality == "variations"
        else ("again", "stronger", "weaker", "delete")
        if animated
        else ("again", "stronger", "weaker", "upscale", "variations", "delete")
    )
    return _view(*(BUTTON_OF[action](job_id) for action in actions))


def vary_view(job_id: str) -> discord.ui.View:
    """Around which cell of a grid a new grid goes."""
    return _view(*(BUTTON_OF[action](job_id) for action in VARY))
