"""What admitting a job checks in its one transaction, and how a taken id is reported."""

from __future__ import annotations

from dataclasses import dataclass

from bot.rules.settings import GuildSettings

# A member's paintings waiting or running, when their last one was accepted, and their
# variations grids since a time: grids are cheap requests with a quota of their own.
MEMBER_ACTIVITY = (
    "SELECT SUM(state IN ('queued', 'running') AND quality != 'variations'), "
    "MAX(CASE WHEN quality != 'variations' THEN created_at END), "
    "SUM(quality = 'variations' AND created_at > ?) FROM jobs WHERE guild_id IS ? AND user_id = ?"
)


class JobIdTaken(Exception):
    """Another job already has this id; the intake draws a new one."""


@dataclass(frozen=True)
class Admission:
    """What the database checks while admitting a job, all in the same transaction."""

    settings: GuildSettings
    max_queue: int
    now: float
