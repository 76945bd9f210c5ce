"""The final word on a job, delivered exactly once: the result (or failure) message.

Posting retries with backoff across Discord's bad days (5xx, 429 past discord.py's own retries,
dropped connections, timeouts) for as long as the job is young enough to matter. Each retry
after an attempt whose outcome is unknown first reads the channel back, so a message Discord
took without answering is found rather than sent twice; discord.py's enforced nonce covers the
same within Discord's few minutes. A permanent refusal (thread deleted, access lost) moves on
to the parent channel, then a direct message; where it went is recorded on the job. Only
Discord's own refusal counts as one: any other error leaves the job unposted for a later try.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import discord

from bot.lifecycle.own_messages import end_opening_post, find_own_message
from bot.lifecycle.retry import FINAL_EDIT_POLICY, Retrying, TooLate
from bot.lifecycle.status_message import status_message_of
from bot.messages import texts
from bot.messages.attachments import Upload, fit_result
from bot.messages.buttons import result_view
from bot.store.job_files import JobFiles
from bot.store.job_rows import Job
from bot.store.jobs import JobStore

log = logging.getLogger(__name__)


def final_line(job: Job) -> str:
    if job.state == "done":
        return texts.done_line(
            job.width or 0, job.height or 0, job.request.iterations_run, job.seconds or 0,
            job.device or "?",
        )  # fmt: skip
    return job.error or texts.failed_line("error", "the job ended without a result")


@dataclass(frozen=True)
class Answer:
    """The message to post, prepared once before any attempt."""

    text: str
    upload: Upload | None = None


class Undeliverable(Exception):
    """Discord refuses this destination for good (deleted, no access); try the next one."""


@dataclass(frozen=True)
class Destination:
    label: str  # recorded on the job: where the answer went
    open: Callable[[], Awaitable[discord.abc.Messageable]]
    preface: str = ""  # why the answer is not where the member expects it


class Delivery:
    def __init__(
        self,
        client: discord.Client,
        jobs: JobStore,
        files: JobFiles,
        *,
        edit_seconds: float,
        retrying: Retrying,
        on_retry: Callable[[], None] = lambda: None,
    ) -> None:
        """`retrying` waits out Discord's bad minutes, for as long after the job ended as its
        policy's max age; `on_retry` counts each retry (in /metrics)."""
        self._client = client
        self._jobs = jobs
        self._files = files
        self._edit_seconds = edit_seconds
        self._retrying = retrying
        self._on_retry = on_retry

    async def deliver(self, job: Job, *, picked_up: bool) -> None:
        """Final status edit, request message edit, then the result or failure message;
        `picked_up` when this process did not start the job, so an earlier run may have posted
        the answer already."""
        line = final_line(job)
        if job.status_message_id is not None:
            status = status_message_of(self._client, job, self._edit_seconds, cancellable=False)
            await status.finish(line, self._retrying.with_policy(FINAL_EDIT_POLICY))
        await end_opening_post(self._client, job, line)
        if job.state == "cancelled":
            await self._jobs.mark_posted(job.id, None)
            return
        answer = await self._answer(job)
        for destination in self._destinations(job):
            try:
                message_id, channel_id = await self._post_with_retry(
                    job, destination, answer, unsure=picked_up
                )
            except Undeliverable as refusal:
                log.warning("job %s: %s refused the answer: %s", job.id, destination.label, refusal)
                continue
            except TooLate:
                log.error(
                    "job %s: gave up posting after %.0f s", job.id, self._retrying.policy.max_age
                )
                await self._jobs.mark_posted(job.id, None, note="gave up: Discord kept failing")
                return
            await self._jobs.mark_posted(
                job.id, message_id, delivered_to=channel_id, note=destination.label
            )
            return
        log.error("job %s: nowhere left to post its answer", job.id)
        await self._jobs.mark_posted(job.id, None, note="undeliverable: every place refused")

    def _destinations(self, job: Job) -> list[Destination]:
        async def fixed(channel_id: int) -> discord.abc.Messageable:
            return self._client.get_partial_messageable(channel_id)

        async def direct_message() -> discord.abc.Messageable:
            return await self._client.create_dm(discord.Object(job.user_id))

        places = [
            Destination("thread" if job.thread_id else "channel", lambda: fixed(job.destination_id))
        ]
        if job.thread_id is not None:
            places.append(
                Destination(
                    "parent channel",
                    lambda: fixed(job.channel_id),
                    "(I could not post in the job's thread any more.) ",
                )
            )
        if job.guild_id is not None:
            places.append(
                Destination(
                    "direct message",
                    direct_message,
                    "(I could not post where you asked any more, so here it is.) ",
                )
            )
        return places

    async def _answer(self, job: Job) -> Answer:
        """Read and fit the result once, outside the retries: a lost or unreadable picture is a
        failure to report, not a Discord outage to wait out."""
        if job.state != "done" or job.result_path is None:
            return Answer(texts.failure_text(job.user_id, job.id, final_line(job)))
        try:
            data = await self._files.read(job.result_path)
            suffix = job.result_path.suffix.removeprefix(".")
            upload = await asyncio.to_thread(
                fit_result, data, suffix, job.filesize_limit, f"atelier-{job.id}"
            )
        except (OSError, ValueError) as exc:
            log.error("job %s: its result could not be prepared for posting: %s", job.id, exc)
            lost = texts.failed_line("error", "the finished picture could not be read back")
            return Answer(texts.failure_text(job.user_id, job.id, lost))
        notes = [*job.all_notes, *([upload.note] if upload.note else [])]
        text = texts.result_text(
            job.user_id, job.id, job.width or 0, job.height or 0,
            job.request.iterations_run, job.seconds or 0, notes,
        )  # fmt: skip
        return Answer(text, upload)

    async def _post_with_retry(
        self, job: Job, destination: Destination, answer: Answer, *, unsure: bool
    ) -> tuple[int, int]:
        """(message id, channel id) of the answer, sent once; raises Undeliverable or TooLate.
        `unsure`: an earlier run may have sent it, so the channel is read back first."""
        unsure = unsure or job.posting_started_at is not None
        await self._jobs.mark_posting_started(job.id)

        async def post_once() -> tuple[int, int]:
            nonlocal unsure
            channel = await destination.open()
            earlier = await self._find_posted(channel, job) if unsure else None
            if earlier is not None:
                return earlier.id, earlier.channel.id
            unsure = True
            sent = await self._send(channel, job, destination.preface, answer)
            return sent.id, sent.channel.id

        try:
            return await self._retrying.call(
                post_once,
                since=job.finished_at or job.created_at,
                what=f"posting job {job.id}",
                on_retry=self._on_retry,
            )
        except discord.HTTPException as refusal:  # Discord refuses this place for good
            raise Undeliverable(f"{type(refusal).__name__}: {refusal}") from None
        # Anything else (a closed session, a bug) says nothing about this place: it propagates,
        # the job stays unposted, and the supervisor delivers it again.

    @staticmethod
    async def _send(
        channel: discord.abc.Messageable, job: Job, preface: str, answer: Answer
    ) -> discord.Message:
        mention = discord.AllowedMentions(
            users=[discord.Object(job.user_id)], roles=False, everyone=False
        )
        nonce = f"r{job.id}"
        upload = answer.upload
        if upload is None:
            return await channel.send(preface + answer.text, allowed_mentions=mention, nonce=nonce)
        return await channel.send(
            preface + answer.text,
            file=discord.File(io.BytesIO(upload.data), upload.filename, spoiler=job.spoiler),
            view=result_view(job.id, job.request.quality, animated=job.animation is not None),
            allowed_mentions=mention,
            nonce=nonce,
        )

    async def _find_posted(
        self, channel: discord.abc.Messageable, job: Job
    ) -> discord.Message | None:
        """The answer an earlier attempt sent without hearing back, if it got through.

        Errors propagate: not knowing is no reason to send a second copy."""
        return await find_own_message(
            self._client,
            channel,
            f"job `{job.id}`",
            skip=(job.status_message_id, job.request_message_id),
        )
