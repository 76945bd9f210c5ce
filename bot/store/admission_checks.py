"""What admitting a job checks in its one transaction, and how a taken id is reported."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from bot.rules.refusals import RequestRefused
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
    max_queued_per_guild: int | None = None  # None: a server has no cap of its own


def check_queue_room(conn: sqlite3.Connection, admission: Admission, guild_id: int | None) -> None:
    """Refuse when the whole queue or this server's share of it is full (direct messages
    count as one server)."""
    (waiting, here) = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(guild_id IS ?), 0) FROM jobs WHERE state = 'queued'",
        (guild_id,),
    ).fetchone()
    if waiting >= admission.max_queue:
        raise RequestRefused(
            f"The queue is full ({waiting} jobs waiting); please try again later.",
            reason="queue_full",
        )
    cap = admission.max_queued_per_guild
    if cap is not None and here >= cap:
        raise RequestRefused(
            f"This server's queue is full ({here} jobs waiting here, the most one server may "
            "have); please try again when some are done.",
            reason="server_queue_full",
        )
