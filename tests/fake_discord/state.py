"""What the fake Discord knows and has recorded: users, guilds, channels, messages, interactions.

Everything the bot does through REST or the gateway ends up here, so tests assert on this state.
Ids are snowflakes as strings, the way Discord sends them.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from io import BytesIO
from typing import Any, TypeVar

from PIL import Image, UnidentifiedImageError

from . import permissions as perm
from .mentions import Mentions
from .refusals import Refusals

DISCORD_EPOCH_MS = 1_420_070_400_000
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024

EPHEMERAL = 1 << 6
LOADING = 1 << 7

T = TypeVar("T")


INTERACTION_TOKEN_SECONDS = 15 * 60


class Clock:
    """The fake's time: the monotonic clock plus whatever a story skipped with `advance`, so a
    story can let 15 minutes pass (interaction tokens, the nonce window, rate-limit buckets)."""

    def __init__(self) -> None:
        self.skipped = 0.0

    def now(self) -> float:
        return time.monotonic() + self.skipped

    def advance(self, seconds: float) -> None:
        self.skipped += seconds


class Snowflakes:
    """Hands out increasing snowflakes whose timestamp part is the current time."""

    def __init__(self) -> None:
        self._counter = itertools.count()

    def next(self) -> str:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return str((ms << 22) | (next(self._counter) & 0x3FFFFF))


@dataclass
class User:
    id: str
    username: str
    bot: bool = False
    accepts_dms: bool = True  # off: "Allow direct messages from server members" unticked

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"


@dataclass
class Role:
    id: str
    name: str
    permissions: int
    position: int = 0


@dataclass
class Member:
    user: User
    guild_id: str
    role_ids: list[str]
    joined_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    nick: str | None = None

    @property
    def id(self) -> str:
        return self.user.id

    @property
    def mention(self) -> str:
        return self.user.mention


TEXT = 0
DM = 1
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
THREAD_TYPES = (PUBLIC_THREAD, PRIVATE_THREAD)


@dataclass
class Channel:
    id: str
    type: int
    name: str | None
    guild_id: str | None = None
    parent_id: str | None = None
    owner_id: str | None = None
    position: int = 0
    recipients: list[User] = field(default_factory=list)
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    archived: bool = False
    locked: bool = False
    auto_archive_duration: int = 1440
    member_ids: set[str] = field(default_factory=set)
    nsfw: bool = False  # "Age-restricted channel" in Discord's channel settings
    overwrites: list[perm.Overwrite] = field(default_factory=list)

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"


@dataclass
class Guild:
    id: str
    name: str
    owner_id: str
    bot_role_id: str
    upload_limit: int = DEFAULT_UPLOAD_LIMIT
    roles: dict[str, Role] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)
    channel_ids: list[str] = field(default_factory=list)

    @property
    def everyone_role(self) -> Role:
        return self.roles[self.id]

    def permissions_of(self, member: Member) -> int:
        """Guild-level permissions (no channel overwrites), computed like Discord does."""
        if member.id == self.owner_id:
            return perm.ALL
        value = self.everyone_role.permissions
        for role_id in member.role_ids:
            value |= self.roles[role_id].permissions
        return perm.ALL if value & perm.ADMINISTRATOR else value

    def permissions_in(self, member: Member, channel: Channel, parent: Channel | None) -> int:
        """Permissions in a channel: a thread takes its parent's overwrites, and a private thread
        is hidden from whoever is neither in it nor a thread moderator."""
        if member.id == self.owner_id:
            return perm.ALL
        where = parent if channel.is_thread and parent is not None else channel
        value = perm.apply_overwrites(
            self.permissions_of(member),
            where.overwrites,
            everyone_id=self.id,
            role_ids=member.role_ids,
            member_id=member.id,
        )
        value = perm.implicit(value, thread=channel.is_thread)
        hidden = channel.type == PRIVATE_THREAD and member.id not in channel.member_ids
        if hidden and not value & perm.MANAGE_THREADS:
            return 0
        return value


@dataclass
class StoredFile:
    """An attachment's bytes as Discord's CDN would serve them."""

    id: str
    channel_id: str
    filename: str
    data: bytes
    content_type: str | None
    width: int | None = None
    height: int | None = None
    description: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def path(self) -> str:
        return f"/attachments/{self.channel_id}/{self.id}/{self.filename}"


@dataclass
class Revision:
    """A message as it looked after creation or after one edit."""

    at: float
    content: str
    embeds: list[dict[str, Any]]
    components: list[dict[str, Any]]
    attachments: list[StoredFile]
    flags: int
    timestamp: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    mentions: Mentions = field(default_factory=Mentions)


@dataclass
class Message:
    id: str
    channel_id: str
    guild_id: str | None
    author: User
    created_at: datetime
    revisions: list[Revision]
    webhook_id: str | None = None
    interaction_id: str | None = None
    message_reference: dict[str, Any] | None = None
    thread_id: str | None = None
    deleted_at: float | None = None
    reactions: list[str] = field(default_factory=list)
    nonce: str | None = None

    @property
    def current(self) -> Revision:
        return self.revisions[-1]

    @property
    def content(self) -> str:
        return self.current.content

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.current.embeds

    @property
    def components(self) -> list[dict[str, Any]]:
        return self.current.components

    @property
    def attachments(self) -> list[StoredFile]:
        return self.current.attachments

    @property
    def flags(self) -> int:
        return self.current.flags

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """A deferred ("Bot is thinking...") response not yet filled in."""
        return bool(self.flags & LOADING)

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def edits(self) -> list[Revision]:
        return self.revisions[1:]

    @property
    def text(self) -> str:
        """Content plus the readable text of every embed: what a member reads on screen."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [embed.get("title", ""), embed.get("description", "")]
            parts += [f"{f.get('name', '')} {f.get('value', '')}" for f in embed.get("fields", [])]
            parts.append(embed.get("footer", {}).get("text", ""))
        return "\n".join(p for p in parts if p)

    def component(self, custom_id: str) -> dict[str, Any] | None:
        return next(
            (c for c in iter_components(self.components) if c.get("custom_id") == custom_id), None
        )

    @property
    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for c in iter_components(self.components) if "custom_id" in c]


def iter_components(components: list[dict[str, Any]]):
    """Every component, depth first, whatever the layout (action rows or components v2)."""
    for component in components:
        yield component
        yield from iter_components(component.get("components", []))
        if isinstance(component.get("accessory"), dict):
            yield component["accessory"]


@dataclass
class Callback:
    """One POST to /interactions/{id}/{token}/callback."""

    type: int
    data: dict[str, Any]
    message_id: str | None
    at: float


@dataclass
class RecordedRequest:
    method: str
    path: str
    status: int
    at: float
    body: Any = None
    fault: str | None = None  # the injected fault that answered it, if one did
    code: int | None = None  # Discord's JSON error code, for a refusal
    answer: Any = None  # the error body, for a refusal
    unknown: bool = False  # an operation Discord's API description or the fake does not know
    expected: bool = False  # a story injected or declared this refusal

    @property
    def refused(self) -> bool:
        """Unknown, or answered with an error other than a rate limit (clients wait those out)."""
        return self.unknown or (self.status >= 400 and self.status != 429)

    def __str__(self) -> str:
        if self.unknown:
            return f"{self.method} {self.path} -> {self.status} (unknown: not in Discord's API description, or not in the fake)"
        answer = f" {self.answer}" if self.answer else ""
        return f"{self.method} {self.path} -> {self.status}{answer}"


@dataclass
class Interaction:
    """An interaction the fake sent, and everything the bot answered to it.

    Built by FakeDiscord.slash_command / click / select; the bot's callback and webhook
    calls are recorded here.
    """

    id: str
    token: str
    type: int
    data: dict[str, Any]
    user: User
    channel_id: str
    guild_id: str | None
    dispatched_at: float
    state: FakeState = field(repr=False)
    callbacks: list[Callback] = field(default_factory=list)
    original_message_id: str | None = None
    followup_ids: list[str] = field(default_factory=list)
    revoked: bool = False  # fake.expire(): as if its 15 minutes had passed

    @property
    def expired(self) -> bool:
        """Discord's interaction tokens work for 15 minutes after the interaction."""
        age = self.state.clock.now() - self.dispatched_at
        return self.revoked or age > INTERACTION_TOKEN_SECONDS

    @property
    def acknowledged(self) -> bool:
        return bool(self.callbacks)

    @property
    def callback(self) -> Callback | None:
        return self.callbacks[0] if self.callbacks else None

    @property
    def response_type(self) -> int | None:
        return self.callbacks[0].type if self.callbacks else None

    @property
    def ack_seconds(self) -> float | None:
        """Time from dispatch to the bot's acknowledgement (Discord allows 3 seconds)."""
        return self.callbacks[0].at - self.dispatched_at if self.callbacks else None

    @property
    def deferred(self) -> bool:
        return self.response_type in (5, 6)

    @property
    def modal(self) -> dict[str, Any] | None:
        return next((c.data for c in self.callbacks if c.type == 9), None)

    @property
    def original(self) -> Message | None:
        if self.original_message_id is None:
            return None
        return self.state.messages.get(self.original_message_id)

    @property
    def followups(self) -> list[Message]:
        return [self.state.messages[mid] for mid in self.followup_ids]

    @property
    def replies(self) -> list[Message]:
        """Every message the bot sent as answer to this interaction (original first)."""
        original = self.original
        own_original = original is not None and original.interaction_id == self.id
        return ([original] if own_original else []) + self.followups

    @property
    def ephemeral(self) -> bool:
        """Whether the member alone sees the answer (flag 64 on the response)."""
        return any(m.ephemeral for m in self.replies)

    async def wait_for_ack(self, timeout: float = 3.0) -> Callback:
        return await self.state.wait_for(lambda: self.callback, timeout=timeout)

    async def wait_for_reply(self, timeout: float = 5.0) -> Message:
        """The first answer the member can read: a filled-in original or a followup."""

        def readable() -> Message | None:
            return next((m for m in self.replies if not m.loading and not m.deleted), None)

        return await self.state.wait_for(readable, timeout=timeout)


class FakeState:
    """All recorded state, plus a change signal that `wait_for` listens to."""

    def __init__(self) -> None:
        self.snowflakes = Snowflakes()
        self.clock = Clock()
        self.refusals = Refusals()
        self.base_url = ""
        self.users: dict[str, User] = {}
        self.guilds: dict[str, Guild] = {}
        self.channels: dict[str, Channel] = {}
        self.messages: dict[str, Message] = {}
        self.files: dict[str, StoredFile] = {}
        self.interactions: dict[str, Interaction] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[str, list[dict[str, Any]]] = {}
        self.command_syncs: list[tuple[str | None, float]] = []
        self.requests: list[RecordedRequest] = []
        self.unknown_requests: list[RecordedRequest] = []
        self.rejected_requests: list[RecordedRequest] = []
        self.downloads: list[StoredFile] = []
        self._changed = asyncio.Event()

    def changed(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Wait until `predicate()` is truthy (re-checked on every change) and return its value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {describe(predicate)}; "
                    f"last requests: {self.recent_requests()}"
                )
            changed = self._changed
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    def recent_requests(self, count: int = 8) -> list[str]:
        return [f"{r.method} {r.path} -> {r.status}" for r in self.requests[-count:]]

    def record(self, request: RecordedRequest) -> None:
        request.expected = request.refused and self.refusals.covers(request)
        self.requests.append(request)
        if request.unknown:
            self.unknown_requests.append(request)
        elif request.status >= 400:
            self.rejected_requests.append(request)
        self.changed()

    @property
    def unexpected_refusals(self) -> list[RecordedRequest]:
        """Refused or unknown requests no story injected or declared."""
        return [r for r in self.requests if r.refused and not r.expected]

    def add_user(self, username: str, *, bot: bool = False, user_id: str | None = None) -> User:
        user = User(id=user_id or self.snowflakes.next(), username=username, bot=bot)
        self.users[user.id] = user
        return user

    def add_file(
        self,
        data: bytes,
        filename: str,
        channel_id: str,
        content_type: str | None,
        description: str | None = None,
    ) -> StoredFile:
        width, height = image_size(data)
        stored = StoredFile(
            id=self.snowflakes.next(),
            channel_id=channel_id,
            filename=filename,
            data=data,
            content_type=content_type,
            width=width,
            height=height,
            description=description,
        )
        self.files[stored.id] = stored
        return stored

    def guild_of(self, channel: Channel) -> Guild | None:
        return self.guilds.get(channel.guild_id) if channel.guild_id else None

    def url_of(self, stored: StoredFile) -> str:
        return f"{self.base_url}{stored.path}"


def image_size(data: bytes) -> tuple[int | None, int | None]:
    """Width and height the way Discord reports them: only for images it can read."""
    try:
        with Image.open(BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError, ValueError):
        return None, None


def describe(predicate: Callable[..., Any]) -> str:
    code = getattr(predicate, "__code__", None)
    where = f" ({code.co_filename.rsplit('/', 1)[-1]}:{code.co_firstlineno})" if code else ""
    return f"{getattr(predicate, '__qualname__', repr(predicate))}{where}"
