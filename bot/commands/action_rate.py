"""How often one member may use Atelier: one bucket per member across every server, as
Discord's own per-user limits work. Commands, context-menu picks and button presses draw from
it; autocomplete, which fires as the member types, does not."""

from __future__ import annotations

import discord
from discord.ext import commands

from bot.commands.private import tell_privately
from bot.ops.metrics import Metrics
from bot.rules.limits import too_fast

PER_SECONDS = 60.0


def _member(interaction: discord.Interaction) -> int:
    return interaction.user.id


class ActionRate:
    def __init__(self, per_minute: int, metrics: Metrics) -> None:
        """`per_minute` 0 means no limit."""
        self._buckets = (
            commands.CooldownMapping.from_cooldown(per_minute, PER_SECONDS, _member)
            if per_minute
            else None
        )
        self._metrics = metrics

    async def allows(self, interaction: discord.Interaction) -> bool:
        """Counts the action; over the rate the member is told when to try again."""
        if self._buckets is None or interaction.type is discord.InteractionType.autocomplete:
            return True
        retry_after = self._buckets.update_rate_limit(interaction)
        if retry_after is None:
            return True
        refusal = too_fast(retry_after)
        self._metrics.request_refused(refusal.reason)
        await tell_privately(interaction, str(refusal))
        return False
