"""FakeDiscord: the test-side handle on the fake API, written so tests read like stories.

async with FakeDiscord() as fake:
    with fake.patched():
        async with fake.running(client):
            run = await fake.slash_command("ping", user=fake.member)
            assert (await run.wait_for_reply()).ephemeral
"""

from __future__ import annotations

import asyncio
import mimetypes
import secrets
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager, suppress
from typing import Any, TypeVar

import discord
from aiohttp import web

from . import commands, errors, payloads
from . import permissions as perm
from .faults import Fault, FaultKind, Faults
from .gateway import GUILD_MEMBERS_INTENT, GUILDS_INTENT, Connection, Gateway
from .messages import NONCE_WINDOW, Messages
from .ratelimits import RateLimits
from .redirect import discord_pointed_at
from .refusals import Expected
from .server import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    COMPONENT,
    MODAL_SUBMIT,
    RestApi,
    dm_channel,
)
from .state import (
    DEFAULT_UPLOAD_LIMIT,
    TEXT,
    Channel,
    FakeState,
    Guild,
    Interaction,
    Member,
    Message,
    RecordedRequest,
    Revision,
    Role,
    StoredFile,
    User,
)

T = TypeVar("T")

# Every FakeDiscord made and not yet checked by the refusals plugin (plugin.py).
LIVE: list[FakeDiscord] = []

# An attachment as a test gives it: stored bytes, or (bytes, filename[, content_type]).
FileSpec = StoredFile | tuple[bytes, str] | tuple[bytes, str, str]
SELECT_TYPES = (3, 5, 6, 7, 8)
ACTION_ROW, TEXT_INPUT, LABEL, FILE_UPLOAD = 1, 4, 18, 19


class FakeDiscord:
    """A fake Discord with one guild ("Atelier Test Server") ready to use.

    `guild`, `channel` (#general), `owner`, `member` (no Manage Server) and `moderator`
    (Manage Server) exist from the start; `bot` is the bot user, whose id is also the
    application id.
    """

    def __init__(
        self,
        *,
        token: str = "fake-bot-token",
        ack_deadline: float | None = 3.0,
        heartbeat_interval_ms: int = 41_250,
        nonce_window: float = NONCE_WINDOW,
    ) -> None:
        self.token = token
        self.state = FakeState()
        self.closed = False
        LIVE.append(self)
        self.app_owner = self.state.add_user("app-owner")
        self.bot = self.state.add_user("Atelier", bot=True)
        self.application_id = self.bot.id
        self.gateway = Gateway(
            self.state,
            token=token,
            bot=self.bot,
            application_id=self.application_id,
            heartbeat_interval_ms=heartbeat_interval_ms,
        )
        self.messages = Messages(self.state, self.gateway, self.bot, nonce_window)
        self.faults = Faults(self.state.changed)
        self.rate_limits = RateLimits(self.state.clock)
        self.api = RestApi(
            self.state,
            self.gateway,
            self.messages,
            token=token,
            application_id=self.application_id,
            bot=self.bot,
            app_owner=self.app_owner,
            ack_deadline=ack_deadline,
            faults=self.faults,
            rate_limits=self.rate_limits,
        )
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        self.guild = self._build_guild("Atelier Test Server")
        self.channel = self.state.channels[self.guild.channel_ids[0]]
        self.owner = self.guild.members[self.guild.owner_id]
        self.member = self._build_member(self.guild, "member", moderator=False)
        self.moderator = self._build_member(self.guild, "moderator", moderator=True)

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        self._runner = web.AppRunner(self.api.app(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        port = self._runner.addresses[0][1]
        self.base_url = self.state.base_url = f"http://127.0.0.1:{port}"
        self.gateway.ws_url = f"ws://127.0.0.1:{port}/gateway"
        self.gateway.resume_url = f"ws://127.0.0.1:{port}/gateway/resume"

    async def close(self) -> None:
        self.closed = True
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return self.gateway.ws_url

    def env(self) -> dict[str, str]:
        """Environment for a bot process configured to talk to this fake."""
        return {
            "DISCORD_TOKEN": self.token,
            "DISCORD_API_BASE": self.api_base,
            "DISCORD_GATEWAY_URL": self.gateway_url,
        }

    @contextmanager
    def patched(self) -> Iterator[None]:
        """Point discord.py's REST base and default gateway here; restored on exit."""
        with discord_pointed_at(self.api_base, self.gateway_url):
            yield

    @asynccontextmanager
    async def running(
        self, client: discord.Client, *, token: str | None = None
    ) -> AsyncIterator[discord.Client]:
        """Run `client.start()` until the gateway session is live; close it afterwards.

        If the client fails to start (e.g. LoginFailure), its exception is raised here.
        """
        task = asyncio.create_task(client.start(token or self.token))
        connected = asyncio.create_task(self.wait_until_connected(timeout=10.0))
        try:
            await asyncio.wait({task, connected}, return_when=asyncio.FIRST_COMPLETED)
            if task.done():
                task.result()
            await connected
            yield client
        finally:
            connected.cancel()
            await client.close()
            with suppress(asyncio.CancelledError):
                await task

    # -- building the world --------------------------------------------------------------------

    def _build_guild(self, name: str) -> Guild:
        owner = self.state.add_user(f"{name.split()[0].lower()}-owner")
        guild_id = self.state.snowflakes.next()
        bot_role = Role(self.state.snowflakes.next(), "Atelier", perm.BOT, position=2)
        guild = Guild(id=guild_id, name=name, owner_id=owner.id, bot_role_id=bot_role.id)
        for role in (
            Role(guild_id, "@everyone", perm.EVERYONE),
            bot_role,
            Role(self.state.snowflakes.next(), "Moderator", perm.MODERATOR, position=1),
        ):
            guild.roles[role.id] = role
        guild.members[owner.id] = Member(owner, guild_id, [])
        guild.members[self.bot.id] = Member(self.bot, guild_id, [bot_role.id])
        self.state.guilds[guild_id] = guild
        self._build_text_channel(guild, "general")
        return guild

    def _build_text_channel(self, guild: Guild, name: str, *, nsfw: bool = False) -> Channel:
        channel = Channel(
            id=self.state.snowflakes.next(),
            type=TEXT,
            name=name,
            guild_id=guild.id,
            position=len(guild.channel_ids),
            nsfw=nsfw,
        )
        self.state.channels[channel.id] = channel
        guild.channel_ids.append(channel.id)
        return channel

    def _build_member(self, guild: Guild, name: str, *, moderator: bool) -> Member:
        user = self.state.add_user(name)
        role_ids = [r.id for r in guild.roles.values() if r.name == "Moderator" and moderator]
        member = Member(user, guild.id, role_ids)
        guild.members[user.id] = member
        return member

    async def add_guild(self, name: str) -> Guild:
        """A new guild with an owner, the bot and #general; announced with GUILD_CREATE, which
        for a server just joined carries no `unavailable` (discord.py's on_guild_join)."""
        guild = self._build_guild(name)
        self.state.changed()
        joined = payloads.guild(guild, self.state)
        del joined["unavailable"]
        await self.gateway.dispatch("GUILD_CREATE", joined, intent=GUILDS_INTENT)
        return guild

    def bot_is_in(self, guild: Guild) -> bool:
        return self.bot.id in guild.members

    async def add_text_channel(
        self, name: str, *, guild: Guild | None = None, nsfw: bool = False
    ) -> Channel:
        """A text channel; `nsfw` marks it age-restricted."""
        channel = self._build_text_channel(guild or self.guild, name, nsfw=nsfw)
        self.state.changed()
        await self.gateway.dispatch(
            "CHANNEL_CREATE", payloads.channel(channel), intent=GUILDS_INTENT
        )
        return channel

    async def add_member(
        self, name: str, *, guild: Guild | None = None, moderator: bool = False
    ) -> Member:
        """A member of `guild`; a moderator holds the Moderator role (Manage Server)."""
        guild = guild or self.guild
        member = self._build_member(guild, name, moderator=moderator)
        self.state.changed()
        body = payloads.member(member, guild) | {"guild_id": guild.id}
        await self.gateway.dispatch("GUILD_MEMBER_ADD", body, intent=GUILD_MEMBERS_INTENT)
        return member

    async def forbid_threads(self, guild: Guild | None = None, bits: int = perm.THREADS) -> None:
        """Take thread permissions (all, or just `bits`) from @everyone and the bot's role: what
        they allowed now answers 403 50013 and `app_permissions` lacks them."""
        guild = guild or self.guild
        for role in (guild.everyone_role, guild.roles[guild.bot_role_id]):
            role.permissions &= ~bits
            body = {"guild_id": guild.id, "role": payloads.role(role)}
            await self.gateway.dispatch("GUILD_ROLE_UPDATE", body, intent=GUILDS_INTENT)
        self.state.refusals.allow(Expected(code=50013))
        self.state.changed()

    def set_upload_limit(self, nbytes: int, guild: Guild | None = None) -> None:
        """Per-guild upload limit: larger files get 413 / 40005, and interactions carry it."""
        (guild or self.guild).upload_limit = nbytes
        self.state.refusals.allow(Expected(code=40005))

    def bot_role(self, guild: Guild | None = None) -> Role:
        """The role the invite link made for the bot (permissions 309237763072)."""
        guild = guild or self.guild
        return guild.roles[guild.bot_role_id]

    async def set_permissions(
        self,
        channel: Channel,
        target: Role | Member | User | Guild,
        *,
        allow: int = 0,
        deny: int = 0,
    ) -> None:
        """Set `channel`'s permission overwrite for a role, a member (or the bot's user) or a
        guild's @everyone, as a moderator does in the channel's settings; the bot hears of it in
        a CHANNEL_UPDATE. What the overwrite denies is refused as Discord refuses it."""
        if isinstance(target, Guild):
            key, kind = target.id, perm.ROLE
        else:
            key, kind = target.id, perm.ROLE if isinstance(target, Role) else perm.MEMBER
        channel.overwrites = [o for o in channel.overwrites if o.id != key]
        channel.overwrites.append(perm.Overwrite(key, kind, allow, deny))
        for code in (50001, 50013, 160002):
            self.state.refusals.allow(Expected(code=code))
        await self._channel_changed(channel)

    async def close_dms(self, user: Member | User) -> None:
        """The member turns off direct messages from server members: the bot's DMs get 50007."""
        (user.user if isinstance(user, Member) else user).accepts_dms = False
        self.state.refusals.allow(Expected(code=50007))

    async def moderate_thread(
        self, thread: Channel, *, archived: bool | None = None, locked: bool | None = None
    ) -> None:
        """A moderator archives and/or locks (or reopens) a thread."""
        thread.archived = thread.archived if archived is None else archived
        thread.locked = thread.locked if locked is None else locked
        for code in (50083, 160005, 50013):
            self.state.refusals.allow(Expected(code=code))
        await self._channel_changed(thread)

    async def _channel_changed(self, channel: Channel) -> None:
        self.state.changed()
        event = "THREAD_UPDATE" if channel.is_thread else "CHANNEL_UPDATE"
        await self.gateway.dispatch(event, payloads.channel(channel), intent=GUILDS_INTENT)

    @contextmanager
    def expect_refusal(
        self,
        *,
        code: int | None = None,
        status: int | None = None,
        path: str | None = None,
        method: str | None = None,
    ) -> Iterator[None]:
        """Inside the block, refusals matching these fields are the story's intent, not a
        failure of it (see plugin.py)."""
        with self.state.refusals.expect(Expected(code, status, path, method)):
            yield

    @property
    def unexpected_refusals(self) -> list[RecordedRequest]:
        """Refused or unknown requests that no story injected or declared."""
        return self.state.unexpected_refusals

    def dm_channel(self, user: User | Member) -> Channel:
        return dm_channel(self.state, self.bot, user.user if isinstance(user, Member) else user)

    def upload(
        self,
        data: bytes,
        filename: str,
        *,
        channel: Channel | None = None,
        content_type: str | None = None,
    ) -> StoredFile:
        """Put bytes on the fake CDN, as Discord does with a file a member attaches."""
        where = channel or self.channel
        kind = content_type or mimetypes.guess_type(filename)[0]
        return self.state.add_file(data, filename, where.id, kind)

    def expire(self, interaction: Interaction) -> None:
        """Let 15 minutes pass for this interaction alone: its token stops working."""
        interaction.revoked = True
        self._allow_expired_tokens()

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass for the fake: interaction tokens (15 minutes), the nonce window
        and rate-limit windows run out as they would on Discord."""
        self.state.clock.advance(seconds)
        self._allow_expired_tokens()

    def _allow_expired_tokens(self) -> None:
        self.state.refusals.allow(Expected(code=errors.UNKNOWN_WEBHOOK))
        self.state.refusals.allow(Expected(code=50027))

    @property
    def nonce_window(self) -> float:
        """Seconds during which Discord answers a repeated enforced nonce with the first
        message; 0 leaves keeping a post single to the bot's own read-back."""
        return self.messages.nonce_window

    @nonce_window.setter
    def nonce_window(self, seconds: float) -> None:
        self.messages.nonce_window = seconds

    # -- Discord on a bad day ------------------------------------------------------------------

    def fail(
        self,
        kind: FaultKind,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int | None = None,
        seconds: float | None = None,
        everything: bool = False,
        retry_after: float = 0.5,
        skip: int = 0,
    ) -> Fault:
        """Answer matching REST requests with `kind` (see faults.py), after letting `skip` of
        them through, `times` times or for `seconds` from the first hit; `everything` turns the
        first hit into a whole-API outage."""
        return self.faults.add(
            Fault(kind, method, path, times, seconds, everything, retry_after, skip)
        )

    def heal(self, fault: Fault | None = None) -> None:
        """End one fault (or all): stalled requests go through, later ones are answered."""
        if fault is None:
            self.faults.clear()
        else:
            self.faults.remove(fault)

    def faulted(self, kind: FaultKind | None = None) -> list[RecordedRequest]:
        """Requests an injected fault answered."""
        return [r for r in self.requests if r.fault and kind in (None, r.fault)]

    # -- what members do ----------------------------------------------------------------------

    async def slash_command(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: Member | User | None = None,
        channel: Channel | None = None,
        attachments: Mapping[str, FileSpec] | None = None,
    ) -> Interaction:
        """A member runs `/name` (subcommands separated by spaces: "atelier settings").

        `attachments` fill ATTACHMENT options; other options are plain values (int, bool,
        float, str, Member, Channel, Role). Checked against the command the bot registered.
        """
        where = channel or self.channel
        guild = self.state.guild_of(where)
        parts = name.split()
        command, scope = commands.registered_command(
            self.state, parts[0], guild.id if guild else None
        )
        values = dict(options or {})
        for key, spec in (attachments or {}).items():
            values[key] = self._as_file(spec, where)
        data = commands.command_data(self.state, command, scope, parts[1:], values, guild)
        return await self._interact(APPLICATION_COMMAND, data, user or self.member, where)

    async def autocomplete(
        self,
        name: str,
        focused: str,
        typed: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: Member | User | None = None,
        channel: Channel | None = None,
    ) -> Interaction:
        """A member types `typed` into the autocomplete option `focused` of `/name`; the bot's
        answer (response type 8) is in `interaction.callback.data["choices"]`."""
        where = channel or self.channel
        guild = self.state.guild_of(where)
        parts = name.split()
        command, scope = commands.registered_command(
            self.state, parts[0], guild.id if guild else None
        )
        data = commands.command_data(
            self.state, command, scope, parts[1:], dict(options or {}), guild, (focused, typed)
        )
        return await self._interact(AUTOCOMPLETE, data, user or self.member, where)

    async def post(
        self,
        content: str = "",
        *,
        user: Member | User | None = None,
        channel: Channel | None = None,
        files: Sequence[FileSpec] = (),
    ) -> Message:
        """A member posts a message (with attachments) in a channel, as in Discord's client."""
        where = channel or self.channel
        who = user or self.member
        author = who.user if isinstance(who, Member) else who
        stored = [self._as_file(spec, where) for spec in files]
        revision = Revision(self.state.clock.now(), content, [], [], stored, 0)
        return await self.messages.create(where, revision, author=author)

    async def message_command(
        self, name: str, message: Message, *, user: Member | User | None = None
    ) -> Interaction:
        """A member right-clicks `message` → Apps → `name` (a message context-menu command)."""
        if message.deleted:
            raise LookupError(f"message {message.id} was deleted")
        where = self._where(message)
        guild = self.state.guild_of(where)
        command, scope = commands.registered_command(
            self.state, name, guild.id if guild else None, commands.MESSAGE_COMMAND
        )
        target = payloads.message(message, self.state)
        data = commands.message_command_data(command, scope, target)
        return await self._interact(APPLICATION_COMMAND, data, user or self.member, where)

    async def submit_modal(
        self,
        opened: Interaction,
        values: Mapping[str, str | Sequence[FileSpec]],
        *,
        user: Member | User | None = None,
    ) -> Interaction:
        """The member fills in the modal the bot opened on `opened` and presses Submit.

        `values` maps each field's custom id to typed text (text inputs) or files (file
        uploads). As in Discord's client, only the member the modal was shown to can submit
        it, required fields must be filled, and file counts must fit min/max values.
        """
        modal = opened.modal
        if modal is None:
            raise LookupError("the bot opened no modal on this interaction")
        who = user or opened.user
        if (who.user if isinstance(who, Member) else who).id != opened.user.id:
            raise LookupError("only the member the modal was shown to can submit it")
        where = self.state.channels[opened.channel_id]
        resolved: dict[str, dict[str, Any]] = {}
        components = [self._filled(row, values, where, resolved) for row in modal["components"]]
        known = {c["custom_id"] for row in modal["components"] for c in _fields(row)}
        if set(values) - known:
            raise ValueError(f"the modal has no field(s) {sorted(set(values) - known)}")
        data: dict[str, Any] = {"custom_id": modal["custom_id"], "components": components}
        if resolved:
            data["resolved"] = resolved
        return await self._interact(MODAL_SUBMIT, data, who, where)

    def _filled(
        self,
        row: dict[str, Any],
        values: Mapping[str, str | Sequence[FileSpec]],
        where: Channel,
        resolved: dict[str, dict[str, Any]],
    ) -> dict[str, Any]:
        (field,) = _fields(row)
        given = values.get(field["custom_id"])
        required = field.get("required", True)
        if field["type"] == TEXT_INPUT:
            text = str(given or "")
            if required and not text:
                raise ValueError(f"field {field['custom_id']!r} is required")
            filled = {"type": TEXT_INPUT, "custom_id": field["custom_id"], "value": text}
        elif field["type"] == FILE_UPLOAD:
            files = [self._as_file(spec, where) for spec in given or ()]
            low = field.get("min_values", 1 if required else 0)
            high = field.get("max_values", 1)
            if not low <= len(files) <= high:
                raise ValueError(f"field {field['custom_id']!r} takes {low}..{high} files")
            for stored in files:
                resolved.setdefault("attachments", {})[stored.id] = payloads.attachment(
                    stored, self.state
                )
            filled = {
                "type": FILE_UPLOAD,
                "custom_id": field["custom_id"],
                "values": [f.id for f in files],
            }
        else:
            raise ValueError(f"the fake cannot fill a modal component of type {field['type']}")
        if row["type"] == LABEL:
            return {"type": LABEL, "id": row.get("id"), "component": filled}
        return {"type": ACTION_ROW, "components": [filled]}

    async def click(
        self, message: Message, custom_id: str, *, user: Member | User | None = None
    ) -> Interaction:
        """A member presses the button `custom_id` under `message`."""
        component = self._component(message, custom_id, user)
        data = {"custom_id": custom_id, "component_type": component["type"]}
        return await self._interact(
            COMPONENT, data, user or self.member, self._where(message), message
        )

    async def select(
        self,
        message: Message,
        custom_id: str,
        values: list[str],
        *,
        user: Member | User | None = None,
    ) -> Interaction:
        """A member picks `values` in the select menu `custom_id` under `message`."""
        component = self._component(message, custom_id, user)
        if component["type"] not in SELECT_TYPES:
            raise ValueError(f"{custom_id!r} is not a select menu")
        data = {"custom_id": custom_id, "component_type": component["type"], "values": values}
        return await self._interact(
            COMPONENT, data, user or self.member, self._where(message), message
        )

    def _as_file(self, spec: FileSpec, where: Channel) -> StoredFile:
        if isinstance(spec, StoredFile):
            return spec
        data, filename, *content_type = spec
        return self.upload(
            data, filename, channel=where, content_type=next(iter(content_type), None)
        )

    def _where(self, message: Message) -> Channel:
        return self.state.channels[message.channel_id]

    def _component(
        self, message: Message, custom_id: str, user: Member | User | None
    ) -> dict[str, Any]:
        if message.deleted:
            raise LookupError(f"message {message.id} was deleted")
        if message.ephemeral and message.interaction_id:
            owner = self.state.interactions[message.interaction_id].user
            if (user or self.member).id != owner.id:
                raise LookupError("only the member who ran the command sees an ephemeral message")
        component = message.component(custom_id)
        if component is None:
            raise LookupError(f"message has no component {custom_id!r}: {message.custom_ids}")
        if component.get("disabled"):
            raise ValueError(f"{custom_id!r} is disabled")
        return component

    async def _interact(
        self,
        kind: int,
        data: dict[str, Any],
        who: Member | User,
        where: Channel,
        message: Message | None = None,
    ) -> Interaction:
        user = who.user if isinstance(who, Member) else who
        guild = self.state.guild_of(where)
        if guild is not None and user.id not in guild.members:
            raise LookupError(f"{user.username} is not a member of {guild.name}")
        if guild is not None and not self.bot_is_in(guild):
            raise LookupError(f"the bot left {guild.name}: Discord sends it nothing from there")
        interaction = Interaction(
            id=self.state.snowflakes.next(),
            token=f"fake-interaction-{secrets.token_urlsafe(24)}",
            type=kind,
            data=data,
            user=user,
            channel_id=where.id,
            guild_id=guild.id if guild else None,
            dispatched_at=self.state.clock.now(),
            state=self.state,
            original_message_id=message.id if message else None,
        )
        body = payloads.interaction(
            interaction,
            self.state,
            application_id=self.application_id,
            app_permissions=self.api.access.bot_permissions(where),
            member_permissions=(
                self.api.access.of(guild.members[user.id], where) if guild else None
            ),
            upload_limit=guild.upload_limit if guild else DEFAULT_UPLOAD_LIMIT,
            message_payload=payloads.message(message, self.state) if message else None,
        )
        self.state.interactions[interaction.id] = interaction
        if not await self.gateway.dispatch("INTERACTION_CREATE", body):
            del self.state.interactions[interaction.id]
            raise RuntimeError("no bot is connected; await fake.wait_until_connected() first")
        return interaction

    # -- the gateway ---------------------------------------------------------------------------

    async def wait_until_connected(self, timeout: float = 5.0) -> None:
        """Until a gateway session is live (READY + GUILD_CREATE sent, or RESUMED)."""
        await self.state.wait_for(lambda: self.gateway.connected, timeout=timeout)

    async def disconnect_gateway(self, code: int = 4000) -> None:
        """Drop the websocket; discord.py reconnects to resume_gateway_url and RESUMEs."""
        await self.gateway.disconnect(code)

    async def request_reconnect(self) -> None:
        await self.gateway.request_reconnect()

    async def invalidate_session(self) -> None:
        await self.gateway.invalidate_session()

    @property
    def connections(self) -> list[Connection]:
        return self.gateway.connections

    @property
    def intents(self) -> int | None:
        return self.gateway.current.intents if self.gateway.current else None

    # -- what the bot did ----------------------------------------------------------------------

    async def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Wait until `predicate()` is truthy, re-checked whenever the recorded state changes."""
        return await self.state.wait_for(predicate, timeout=timeout)

    def messages_in(
        self, channel: Channel | str, *, include_ephemeral: bool = False
    ) -> list[Message]:
        """Messages in a channel or thread, oldest first; deleted ones left out."""
        channel_id = channel if isinstance(channel, str) else channel.id
        return [
            m
            for m in self.state.messages.values()
            if m.channel_id == channel_id
            and not m.deleted
            and (include_ephemeral or not m.ephemeral)
        ]

    def message(self, message_id: str | int) -> Message:
        return self.state.messages[str(message_id)]

    @property
    def threads(self) -> list[Channel]:
        return [c for c in self.state.channels.values() if c.is_thread]

    def thread_of(self, message: Message) -> Channel | None:
        return self.state.channels.get(message.thread_id) if message.thread_id else None

    @property
    def interactions(self) -> list[Interaction]:
        return list(self.state.interactions.values())

    def command(self, name: str, guild: Guild | None = None) -> dict[str, Any] | None:
        """The command `name` as the bot registered it (globally, or in `guild`)."""
        registered = (
            self.state.guild_commands.get(guild.id, []) if guild else self.state.global_commands
        )
        return next((c for c in registered if c["name"] == name), None)

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.state.requests

    @property
    def unknown_requests(self) -> list[RecordedRequest]:
        """Requests to routes the fake does not know (each answered 404)."""
        return self.state.unknown_requests

    @property
    def rejected_requests(self) -> list[RecordedRequest]:
        """Requests Discord would have refused (4xx on a known route)."""
        return self.state.rejected_requests

    @property
    def downloads(self) -> list[StoredFile]:
        return self.state.downloads


def _fields(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The input inside a modal row: a Label holds one component, an action row one too."""
    if row["type"] == LABEL:
        return [row["component"]]
    if row["type"] == ACTION_ROW and len(row.get("components", [])) == 1:
        return row["components"]
    raise ValueError(f"a modal row must be a Label or an action row with one input: {row}")
