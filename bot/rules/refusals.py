"""Why a request is refused: one exception carrying a sentence for the member and a short code."""

from __future__ import annotations

import errno
from typing import Literal

RefusalReason = Literal[
    "not_an_image",
    "too_many_bytes",
    "too_many_pixels",
    "unreadable",
    "linked_image",
    "download_failed",
    "jobs_per_member",
    "cooldown",
    "channel_not_allowed",
    "bot_cannot_post",
    "queue_full",
    "server_queue_full",
    "restarting",
    "unknown_job",
    "already_ended",
    "strength_limit",
    "files_deleted",
    "missing_input",
    "conflicting_options",
    "unknown_style",
    "no_image",
    "not_author",
    "still_running",
    "delete_failed",
    "upscale_limit",
    "too_thin",
    "disk_full",
    "disk_low",
    "too_fast",
    "not_started",
    "grids_off",
    "grids_per_hour",
]


class RequestRefused(Exception):
    """Why a request cannot be queued, in a sentence fit for the member.

    `reason` is a short code for the refusals counter of /metrics.
    """

    def __init__(self, message: str, *, reason: RefusalReason) -> None:
        super().__init__(message)
        self.reason = reason


def saving_refusal(error: OSError) -> RequestRefused:
    """Why a member's pictures could not be kept, in their words."""
    if error.errno == errno.ENOSPC:
        return RequestRefused(
            "I'm out of disk space for new pictures, so the job was not queued and nothing was "
            "kept. Please try again later (the bot's admin needs to free some space).",
            reason="disk_full",
        )
    return RequestRefused(
        "I could not save your pictures, so the job was not queued. Please try again.",
        reason="not_started",
    )
