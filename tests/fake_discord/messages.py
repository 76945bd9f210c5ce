"""Creating, editing and deleting messages, shared by every route that posts one.

Channel messages, interaction responses and webhook followups all go through here, so the
upload limit, Discord's form limits, stored attachment bytes and gateway events behave alike.
"""

from __future__ import annotations

import mimetypes
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from . import errors, payloads, validation
from .errors import DiscordError
from .gateway import DIRECT_MESSAGES_INTENT, GUILD_MESSAGES_INTENT, Gateway
from .mentions import allowed_mentions_errors, mentions
from .state import (
    DEFAULT_UPLOAD_LIMIT,
    LOADING,
    Channel,
    FakeState,
    Message,
    Revision,
    StoredFile,
    User,
)

SUPPRESS_EMBEDS = 1 << 2
EDITABLE_FLAGS = SUPPRESS_EMBEDS | validation.COMPONENTS_V2

# Discord deduplicates an enforced nonce for a few minutes.
NONCE_WINDOW = 300.0


@dataclass
class Upload:
    """One `files[n]` part of a multipart request."""

    index: str
    filename: str
    data: bytes


def content_type_of(filename: str) -> str | None:
    return mimetypes.guess_type(filename)[0]


class Messages:
    def __init__(
        self, state: FakeState, gateway: Gateway, author: User, nonce_window: float = NONCE_WINDOW
    ) -> None:
        self.state = state
        self.gateway = gateway
        self.author = author
        self.nonce_window = nonce_window

    def upload_limit(self, channel: Channel) -> int:
        guild = self.state.guild_of(channel)
        return guild.upload_limit if guild else DEFAULT_UPLOAD_LIMIT

    def compose(
        self,
        payload: dict[str, Any],
        uploads: list[Upload],
        channel: Channel,
        previous: Revision | None = None,
    ) -> Revision:
        """The message a create/edit body describes; raises what Discord would answer."""
        limit = self.upload_limit(channel)
        if any(len(u.data) > limit for u in uploads):
            raise errors.too_large()

        def field(key: str, empty: Any) -> Any:
            if key in payload:
                return payload[key] or empty
            return getattr(previous, key) if previous else empty

        content: str = field("content", "")
        embeds: list[dict[str, Any]] = field("embeds", [])
        components: list[dict[str, Any]] = field("components", [])
        requested = int(payload.get("flags") or 0)
        if previous is None:
            flags = requested & ~LOADING
        else:
            editable = requested if "flags" in payload else previous.flags
            flags = (previous.flags & ~LOADING & ~EDITABLE_FLAGS) | (editable & EDITABLE_FLAGS)
        attachments = self._attachments(payload, uploads, channel, previous)
        allowed = payload.get("allowed_mentions")
        problems = validation.merged(
            validation.message_errors(
                content, embeds, components, [f.filename for f in attachments], flags
            ),
            allowed_mentions_errors(allowed),
        )
        if problems:
            raise errors.invalid_form(problems)
        if validation.is_empty(content, embeds, components, len(attachments)):
            raise DiscordError(400, 50006, "Cannot send an empty message")
        return Revision(
            at=self.state.clock.now(),
            content=content,
            embeds=embeds,
            components=components,
            attachments=attachments,
            flags=flags,
            mentions=mentions(content, allowed, set(self.state.users)),
        )

    def _attachments(
        self,
        payload: dict[str, Any],
        uploads: list[Upload],
        channel: Channel,
        previous: Revision | None,
    ) -> list[StoredFile]:
        pending = {u.index: u for u in uploads}

        def store(upload: Upload, entry: dict[str, Any]) -> StoredFile:
            filename = entry.get("filename") or upload.filename
            return self.state.add_file(
                upload.data,
                filename,
                channel.id,
                content_type_of(filename),
                entry.get("description"),
            )

        if payload.get("attachments") is None:
            kept = list(previous.attachments) if previous else []
            return kept + [store(u, {}) for u in uploads]
        earlier = {f.id: f for f in previous.attachments} if previous else {}
        result = []
        for entry in payload["attachments"]:
            key = str(entry["id"])
            if key in pending:
                result.append(store(pending.pop(key), entry))
            elif key in earlier:
                result.append(earlier[key])
            else:
                raise errors.invalid_form(
                    {"attachments": {"_errors": [{"code": "UNKNOWN", "message": f"{key}?"}]}}
                )
        return result + [store(u, {}) for u in pending.values()]

    async def create(
        self,
        channel: Channel,
        revision: Revision,
        *,
        webhook_id: str | None = None,
        interaction_id: str | None = None,
        reference: dict[str, Any] | None = None,
        author: User | None = None,
        nonce: str | None = None,
    ) -> Message:
        """A new message by the bot, or by `author` (a member posting in the channel)."""
        message = Message(
            id=self.state.snowflakes.next(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=author or self.author,
            created_at=datetime.now(timezone.utc),
            revisions=[revision],
            webhook_id=webhook_id,
            interaction_id=interaction_id,
            message_reference=reference,
            nonce=nonce,
        )
        self.state.messages[message.id] = message
        self.state.changed()
        await self._announce("MESSAGE_CREATE", message, payloads.message(message, self.state))
        return message

    def by_nonce(self, channel: Channel, payload: dict[str, Any]) -> Message | None:
        """The bot's recent message with this nonce, when the request enforces it."""
        nonce = payload.get("nonce")
        if not nonce or not payload.get("enforce_nonce"):
            return None
        horizon = self.state.clock.now() - self.nonce_window
        return next(
            (
                m
                for m in self.state.messages.values()
                if m.channel_id == channel.id
                and m.nonce == str(nonce)
                and m.revisions[0].at > horizon
            ),
            None,
        )

    async def edit(self, message: Message, revision: Revision) -> None:
        message.revisions.append(revision)
        self.state.changed()
        await self._announce("MESSAGE_UPDATE", message, payloads.message(message, self.state))

    async def delete(self, message: Message) -> None:
        message.deleted_at = time.monotonic()
        self.state.changed()
        body = {"id": message.id, "channel_id": message.channel_id}
        if message.guild_id:
            body["guild_id"] = message.guild_id
        await self._announce("MESSAGE_DELETE", message, body)

    async def _announce(self, event: str, message: Message, body: dict[str, Any]) -> None:
        """Ephemeral messages never reach the gateway; the rest need the messages intent."""
        if message.ephemeral:
            return
        intent = GUILD_MESSAGES_INTENT if message.guild_id else DIRECT_MESSAGES_INTENT
        await self.gateway.dispatch(event, body, intent=intent)
