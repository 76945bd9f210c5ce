"""The aiohttp app: Discord's REST API under /api/v10, the gateway websocket, and a CDN path.

Every request is recorded in FakeState.requests; routes the fake does not know answer Discord's
404 JSON and are recorded in FakeState.unknown_requests so tests can assert none were hit.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from . import errors, faults, openapi, payloads, validation
from . import permissions as perm
from .access import Access
from .errors import DiscordError
from .faults import Faults
from .gateway import GUILD_MEMBERS_INTENT, GUILDS_INTENT, Gateway
from .messages import Messages, Upload
from .ratelimits import RateLimits
from .state import (
    DM,
    EPHEMERAL,
    LOADING,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    TEXT,
    Callback,
    Channel,
    FakeState,
    Guild,
    Interaction,
    Message,
    RecordedRequest,
    Revision,
    User,
)

log = logging.getLogger(__name__)

API = "/api/v10"
MAX_REQUEST_BYTES = 256 * 1024 * 1024
COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# The parsed body of the request being handled, for the request log (handler and middleware
# run in the same task, so they share this context).
current_payload: ContextVar[Any] = ContextVar("current_payload", default=None)
current_body: ContextVar[Any] = ContextVar("current_body", default=None)
PONG, CHANNEL_MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 1, 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9
APPLICATION_COMMAND, COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5


def ok(body: Any, status: int = 200) -> web.Response:
    # discord.py only parses JSON when Content-Type is exactly "application/json" (no charset).
    return web.Response(
        body=json.dumps(body).encode(), status=status, headers={"Content-Type": "application/json"}
    )


def no_content() -> web.Response:
    return web.Response(status=204)


async def read_body(request: web.Request) -> tuple[dict[str, Any], list[Upload]]:
    """The JSON payload and uploaded files of a JSON or multipart (payload_json + files[n]) body,
    read once per request (the API description's check reads it before the handler)."""
    body = current_body.get()
    if body is None:
        body = await _parse_body(request)
        current_body.set(body)
    current_payload.set(body[0])
    return body


async def _parse_body(request: web.Request) -> tuple[dict[str, Any], list[Upload]]:
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        uploads = []
        for name, value in form.items():
            match = re.fullmatch(r"files\[(\d+)\]", name)
            if match and isinstance(value, FileField):
                uploads.append(Upload(match[1], value.filename, value.file.read()))
        raw = form.get("payload_json")
        payload = json.loads(raw) if isinstance(raw, str) else {}
    else:
        text = await request.text() if request.body_exists else ""
        payload, uploads = (json.loads(text) if text else {}), []
    return payload, uploads


def wants(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in ("1", "true")


class RestApi:
    def __init__(
        self,
        state: FakeState,
        gateway: Gateway,
        messages: Messages,
        *,
        token: str,
        application_id: str,
        bot: User,
        app_owner: User,
        ack_deadline: float | None,
        faults: Faults,
        rate_limits: RateLimits,
    ) -> None:
        self.faults = faults
        self.rate_limits = rate_limits
        self.access = Access(state, bot)
        self.state = state
        self.gateway = gateway
        self.messages = messages
        self.token = token
        self.application_id = application_id
        self.bot = bot
        self.app_owner = app_owner
        self.ack_deadline = ack_deadline

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.middleware], client_max_size=MAX_REQUEST_BYTES)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/gateway/resume", self.gateway.handle)
        app.router.add_get("/attachments/{channel}/{file}/{filename}", self.download)
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "/gateway", self.get_gateway),
            ("GET", "/gateway/bot", self.get_gateway),
            ("GET", "/users/@me", self.get_me),
            ("POST", "/users/@me/channels", self.open_dm),
            ("DELETE", "/users/@me/guilds/{guild}", self.leave_guild),
            ("GET", "/users/{user}", self.get_user),
            ("GET", "/applications/@me", self.get_application),
            ("GET", "/oauth2/applications/@me", self.get_application),
            ("GET", "/applications/{app}/commands", self.get_commands),
            ("PUT", "/applications/{app}/commands", self.put_commands),
            ("GET", "/applications/{app}/guilds/{guild}/commands", self.get_commands),
            ("PUT", "/applications/{app}/guilds/{guild}/commands", self.put_commands),
            ("POST", "/interactions/{interaction}/{token}/callback", self.callback),
            ("POST", "/webhooks/{app}/{token}", self.followup),
            ("GET", "/webhooks/{app}/{token}/messages/{message}", self.get_webhook_message),
            ("PATCH", "/webhooks/{app}/{token}/messages/{message}", self.edit_webhook_message),
            ("DELETE", "/webhooks/{app}/{token}/messages/{message}", self.delete_webhook_message),
            ("GET", "/channels/{channel}", self.get_channel),
            ("PATCH", "/channels/{channel}", self.edit_channel),
            ("GET", "/channels/{channel}/messages", self.history),
            ("POST", "/channels/{channel}/messages", self.send_message),
            ("GET", "/channels/{channel}/messages/{message}", self.get_message),
            ("PATCH", "/channels/{channel}/messages/{message}", self.edit_message),
            ("DELETE", "/channels/{channel}/messages/{message}", self.delete_message),
            ("POST", "/channels/{channel}/messages/{message}/threads", self.thread_from_message),
            ("POST", "/channels/{channel}/threads", self.thread_without_message),
            ("PUT", "/channels/{channel}/messages/{message}/reactions/{emoji}/@me", self.react),
            (
                "DELETE",
                "/channels/{channel}/messages/{message}/reactions/{emoji}/@me",
                self.unreact,
            ),
            ("POST", "/channels/{channel}/typing", self.typing),
            ("PUT", "/channels/{channel}/thread-members/{user}", self.join_thread),
            ("DELETE", "/channels/{channel}/thread-members/{user}", self.leave_thread),
            ("GET", "/guilds/{guild}", self.get_guild),
            ("GET", "/guilds/{guild}/channels", self.get_guild_channels),
            ("GET", "/guilds/{guild}/roles", self.get_roles),
            ("GET", "/guilds/{guild}/members/{user}", self.get_member),
            ("GET", "/guilds/{guild}/threads/active", self.get_active_threads),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, API + path, handler)
        app.router.add_route("*", "/{tail:.*}", self.unknown_route)
        return app

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.monotonic()
        current_payload.set(None)
        current_body.set(None)
        fault = None
        api = request.path.startswith(API)
        if api:
            fault = self.faults.take(request.method, request.path.removeprefix(API))
        answer, off_spec = None, False
        try:
            if self._needs_auth(request) and request.headers.get("Authorization") != (
                f"Bot {self.token}"
            ):
                raise errors.unauthorized()
            if api and (fault is None or fault.kind in ("drop_after", "stall")):
                off_spec = await self._check_described(request)
                if off_spec:
                    handler = self.unknown_route
            response = await self._handle(request, handler, fault)
        except DiscordError as exc:
            log.info("fake discord: %s %s -> %s", request.method, request.path, exc)
            answer = exc.body()
            response = ok(answer, status=exc.status)
        if fault is not None and fault.kind == "drop_after":
            response = faults.drop(request)
        if request.path in ("/gateway", "/gateway/resume"):
            return response
        self.state.record(
            RecordedRequest(
                request.method,
                request.path_qs,
                response.status,
                started,
                body=current_payload.get(),
                fault=fault.kind if fault else None,
                code=answer["code"] if answer else None,
                answer=answer,
                unknown=off_spec or request.match_info.handler == self.unknown_route,
            )
        )
        return response

    async def _check_described(self, request: web.Request) -> bool:
        """Whether the operation is missing from Discord's API description (True), or raise its
        400 for a body that does not match the description's schema."""
        path = request.path.removeprefix(API)
        operation = openapi.description().operation(request.method, path)
        if operation is None:
            return True
        if operation.body_schema is not None and request.body_exists:
            body, _ = await read_body(request)
            problems = openapi.description().body_errors(operation, body)
            if problems:
                raise errors.invalid_form(problems)
        return False

    async def _handle(
        self, request: web.Request, handler: Handler, fault: faults.Fault | None
    ) -> web.StreamResponse:
        if fault is None or fault.kind == "drop_after":
            return await self._limited(request, handler)
        if fault.kind == "stall":
            await fault.released.wait()
            return await self._limited(request, handler)
        if fault.kind == "rate_limited":
            return faults.rate_limited(fault.retry_after)
        if fault.kind == "drop":
            return faults.drop(request)
        if fault.kind == "forbidden":
            raise errors.missing_permissions()
        return faults.outage()

    async def _limited(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """The handler's answer, or Discord's 429 when the route's bucket is spent."""
        verdict = None
        if request.path.startswith(API) and handler != self.unknown_route:
            body = current_payload.get()
            verdict = self.rate_limits.take(request.method, request.path.removeprefix(API), body)
        if verdict is not None and verdict.retry_after is not None:
            return verdict.refusal()
        response = await handler(request)
        if verdict is not None:
            response.headers.update(verdict.headers)
        return response

    def _needs_auth(self, request: web.Request) -> bool:
        path = request.path
        if not path.startswith(API):
            return False
        return not path.startswith((f"{API}/interactions/", f"{API}/webhooks/"))

    async def unknown_route(self, request: web.Request) -> web.Response:
        log.warning("fake discord: unknown route %s %s", request.method, request.path)
        return ok({"message": "404: Not Found", "code": 0}, status=404)

    # -- lookups -------------------------------------------------------------------------------

    def _channel(self, request: web.Request) -> Channel:
        channel = self.state.channels.get(request.match_info["channel"])
        if channel is None or (channel.type == DM and self.bot not in channel.recipients):
            raise errors.unknown("Channel", errors.UNKNOWN_CHANNEL)
        self.access.view(channel)
        return channel

    def _guild(self, request: web.Request) -> Guild:
        """A server the bot is in; one it is not in answers 403 Missing Access."""
        guild = self.state.guilds.get(request.match_info["guild"])
        if guild is None:
            raise errors.unknown("Guild", errors.UNKNOWN_GUILD)
        if self.bot.id not in guild.members:
            raise errors.missing_access()
        return guild

    def _message(self, request: web.Request, channel: Channel) -> Message:
        """A message the bot can see through the channel API (never an ephemeral one)."""
        message = self.state.messages.get(request.match_info["message"])
        if (
            message is None
            or message.channel_id != channel.id
            or message.deleted
            or message.ephemeral
        ):
            raise errors.unknown("Message", errors.UNKNOWN_MESSAGE)
        return message

    # -- gateway, users, application -------------------------------------------------------------

    async def get_gateway(self, request: web.Request) -> web.Response:
        body: dict[str, Any] = {"url": self.gateway.ws_url}
        if request.path.endswith("/bot"):
            body["shards"] = 1
            body["session_start_limit"] = {
                "total": 1000,
                "remaining": 999,
                "reset_after": 14_400_000,
                "max_concurrency": 1,
            }
        return ok(body)

    async def get_me(self, request: web.Request) -> web.Response:
        return ok(payloads.user(self.bot) | {"verified": True, "mfa_enabled": False})

    async def get_user(self, request: web.Request) -> web.Response:
        user = self.state.users.get(request.match_info["user"])
        if user is None:
            raise errors.unknown("User", errors.UNKNOWN_USER)
        return ok(payloads.user(user))

    async def open_dm(self, request: web.Request) -> web.Response:
        body, _ = await read_body(request)
        user = self.state.users.get(str(body.get("recipient_id")))
        if user is None:
            raise errors.unknown("User", errors.UNKNOWN_USER)
        return ok(payloads.channel(dm_channel(self.state, self.bot, user)))

    async def get_application(self, request: web.Request) -> web.Response:
        return ok(payloads.application(self.application_id, self.bot, self.app_owner))

    # -- application commands ---------------------------------------------------------------------

    def _command_list(self, request: web.Request) -> tuple[list[dict[str, Any]], str | None]:
        if request.match_info["app"] != self.application_id:
            raise DiscordError(403, 50001, "Missing Access")
        guild_id = request.match_info.get("guild")
        if guild_id is None:
            return self.state.global_commands, None
        self._guild(request)
        return self.state.guild_commands.setdefault(guild_id, []), guild_id

    async def get_commands(self, request: web.Request) -> web.Response:
        commands, _ = self._command_list(request)
        return ok(commands)

    async def put_commands(self, request: web.Request) -> web.Response:
        commands, guild_id = self._command_list(request)
        body, _ = await read_body(request)
        problems = command_errors(body)
        if problems:
            raise errors.invalid_form(problems)
        ids = {(c["name"], c.get("type", 1)): c["id"] for c in commands}
        registered = []
        for spec in body:
            kind = spec.get("type", 1)
            command = {
                "id": ids.get((spec["name"], kind)) or self.state.snowflakes.next(),
                "application_id": self.application_id,
                "version": self.state.snowflakes.next(),
                "type": kind,
                "description": "",
                "options": [],
                "default_member_permissions": None,
                "nsfw": False,
            } | spec
            if guild_id is not None:
                command["guild_id"] = guild_id
            registered.append(command)
        commands[:] = registered
        self.state.command_syncs.append((guild_id, time.monotonic()))
        self.state.changed()
        return ok(registered)

    # -- interactions ---------------------------------------------------------------------------

    async def callback(self, request: web.Request) -> web.Response:
        interaction = self.state.interactions.get(request.match_info["interaction"])
        if interaction is None or interaction.token != request.match_info["token"]:
            raise errors.unknown("interaction", errors.UNKNOWN_INTERACTION)
        if interaction.acknowledged:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        late = self.state.clock.now() - interaction.dispatched_at
        if self.ack_deadline is not None and late > self.ack_deadline:
            raise errors.unknown("interaction", errors.UNKNOWN_INTERACTION)
        body, uploads = await read_body(request)
        kind, data = body.get("type"), body.get("data") or {}
        allowed = {
            APPLICATION_COMMAND: {CHANNEL_MESSAGE, DEFERRED_MESSAGE, MODAL},
            AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
            MODAL_SUBMIT: {CHANNEL_MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE},
        }.get(
            interaction.type,
            {CHANNEL_MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, MODAL},
        )
        if kind not in allowed:
            raise errors.invalid_form(
                {"type": {"_errors": [{"code": "BASE_TYPE_CHOICES", "message": f"{kind}"}]}}
            )
        channel = self.state.channels[interaction.channel_id]
        message = await self._respond(interaction, channel, kind, data, uploads)
        interaction.callbacks.append(
            Callback(kind, data, message.id if message else None, self.state.clock.now())
        )
        self.state.changed()
        if not wants(request, "with_response"):
            return no_content()
        summary: dict[str, Any] = {"id": interaction.id, "type": interaction.type}
        answer: dict[str, Any] = {"interaction": summary}
        if message is not None:
            summary.update(
                response_message_id=message.id,
                response_message_loading=message.loading,
                response_message_ephemeral=message.ephemeral,
            )
            answer["resource"] = {"type": kind, "message": payloads.message(message, self.state)}
        elif kind in (MODAL, AUTOCOMPLETE_RESULT):
            answer["resource"] = {"type": kind}
        return ok(answer)

    async def _respond(
        self,
        interaction: Interaction,
        channel: Channel,
        kind: int,
        data: dict[str, Any],
        uploads: list[Upload],
    ) -> Message | None:
        if kind == MODAL:
            problems = validation.modal_errors(data)
            if problems:
                raise errors.invalid_form({"data": problems})
            return None
        if kind == AUTOCOMPLETE_RESULT:
            problems = validation.choice_errors(data.get("choices"))
            if problems:
                raise errors.invalid_form({"data": problems})
            return None
        if kind == DEFERRED_UPDATE:
            return None
        if kind == UPDATE_MESSAGE:
            message = interaction.original
            assert message is not None, "component interactions always carry their message"
            await self.messages.edit(
                message, self.messages.compose(data, uploads, channel, message.current)
            )
            return message
        if kind == DEFERRED_MESSAGE:
            flags = LOADING | (int(data.get("flags") or 0) & EPHEMERAL)
            revision = Revision(self.state.clock.now(), "", [], [], [], flags)
        else:
            revision = self.messages.compose(data, uploads, channel)
        message = await self.messages.create(
            channel,
            revision,
            webhook_id=self.application_id,
            interaction_id=interaction.id,
        )
        interaction.original_message_id = message.id
        return message

    def _webhook_interaction(self, request: web.Request) -> Interaction:
        token = request.match_info["token"]
        found = next((i for i in self.state.interactions.values() if i.token == token), None)
        if request.match_info["app"] != self.application_id or found is None:
            raise errors.unknown("Webhook", errors.UNKNOWN_WEBHOOK)
        if found.expired:
            # After 15 minutes a token sends nothing more and its messages are out of reach.
            if "message" in request.match_info:
                raise errors.unknown("Webhook", errors.UNKNOWN_WEBHOOK)
            raise DiscordError(401, 50027, "Invalid Webhook Token")
        if not found.acknowledged:
            raise errors.unknown("Webhook", errors.UNKNOWN_WEBHOOK)
        return found

    def _webhook_message(self, request: web.Request) -> tuple[Interaction, Message]:
        interaction = self._webhook_interaction(request)
        wanted = request.match_info["message"]
        message_id = interaction.original_message_id if wanted == "@original" else wanted
        owned = {interaction.original_message_id, *interaction.followup_ids}
        message = self.state.messages.get(message_id or "")
        if message is None or message.id not in owned or message.deleted:
            raise errors.unknown("Message", errors.UNKNOWN_MESSAGE)
        return interaction, message

    async def followup(self, request: web.Request) -> web.Response:
        interaction = self._webhook_interaction(request)
        channel = self.state.channels[interaction.channel_id]
        body, uploads = await read_body(request)
        original = interaction.original
        if original is not None and original.loading and not interaction.followup_ids:
            # Discord fills in the "is thinking..." message with the first followup.
            await self.messages.edit(
                original, self.messages.compose(body, uploads, channel, original.current)
            )
            message = original
        else:
            message = await self.messages.create(
                channel,
                self.messages.compose(body, uploads, channel),
                webhook_id=self.application_id,
                interaction_id=interaction.id,
            )
            interaction.followup_ids.append(message.id)
        self.state.changed()
        if not wants(request, "wait"):
            return no_content()
        return ok(payloads.message(message, self.state))

    async def get_webhook_message(self, request: web.Request) -> web.Response:
        _, message = self._webhook_message(request)
        return ok(payloads.message(message, self.state))

    async def edit_webhook_message(self, request: web.Request) -> web.Response:
        interaction, message = self._webhook_message(request)
        channel = self.state.channels[interaction.channel_id]
        body, uploads = await read_body(request)
        await self.messages.edit(
            message, self.messages.compose(body, uploads, channel, message.current)
        )
        return ok(payloads.message(message, self.state))

    async def delete_webhook_message(self, request: web.Request) -> web.Response:
        _, message = self._webhook_message(request)
        await self.messages.delete(message)
        return no_content()

    # -- channels and messages --------------------------------------------------------------------

    async def get_channel(self, request: web.Request) -> web.Response:
        return ok(payloads.channel(self._channel(request)))

    async def edit_channel(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        body, _ = await read_body(request)
        self.access.edit_channel(channel, body)
        problems = validation.thread_name_errors(body["name"]) if "name" in body else {}
        if problems:
            raise errors.invalid_form(problems)
        channel.name = body.get("name", channel.name)
        channel.archived = body.get("archived", channel.archived)
        channel.locked = body.get("locked", channel.locked)
        self.state.changed()
        event = "THREAD_UPDATE" if channel.is_thread else "CHANNEL_UPDATE"
        await self.gateway.dispatch(event, payloads.channel(channel), intent=GUILDS_INTENT)
        return ok(payloads.channel(channel))

    async def history(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if not self.access.reads_history(channel):
            return ok([])  # what Discord answers without Read Message History
        limit = int(request.query.get("limit", 50))
        before = int(request.query.get("before", 1 << 64))
        after = int(request.query.get("after", 0))
        visible = [
            m
            for m in self.state.messages.values()
            if m.channel_id == channel.id
            and not m.deleted
            and not m.ephemeral
            and after < int(m.id) < before
        ]
        newest_first = sorted(visible, key=lambda m: int(m.id), reverse=True)[:limit]
        return ok([payloads.message(m, self.state) for m in newest_first])

    async def send_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        body, uploads = await read_body(request)
        self.access.send(channel, body, with_files=bool(uploads))
        earlier = self.messages.by_nonce(channel, body)
        if earlier is not None:  # Discord answers a repeated enforced nonce with the first message
            return ok(payloads.message(earlier, self.state))
        revision = self.messages.compose(body, uploads, channel)
        revision.flags &= ~EPHEMERAL
        reference = body.get("message_reference")
        if reference is not None:
            reference = {k: str(v) for k, v in reference.items() if k != "fail_if_not_exists"}
            reference.setdefault("channel_id", channel.id)
        message = await self.messages.create(
            channel, revision, reference=reference, nonce=body.get("nonce")
        )
        if channel.is_thread and channel.archived:
            channel.archived = False
        return ok(payloads.message(message, self.state))

    async def get_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        self.access.require(channel, perm.READ_MESSAGE_HISTORY)
        message = self._message(request, channel)
        return ok(payloads.message(message, self.state))

    async def edit_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        message = self._message(request, channel)
        if message.author.id != self.bot.id:
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
        self.access.change_messages(channel)
        body, uploads = await read_body(request)
        await self.messages.edit(
            message, self.messages.compose(body, uploads, channel, message.current)
        )
        return ok(payloads.message(message, self.state))

    async def delete_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        message = self._message(request, channel)
        if message.author.id != self.bot.id:
            self.access.require(channel, perm.MANAGE_MESSAGES)
        await self.messages.delete(message)
        return no_content()

    async def thread_from_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        message = self._message(request, channel)
        if channel.type != TEXT:
            raise errors.wrong_channel_type()
        self.access.require(channel, perm.CREATE_PUBLIC_THREADS)
        if message.thread_id is not None:
            raise DiscordError(400, 160004, "A thread has already been created for this message")
        body, _ = await read_body(request)
        thread = await self._open_thread(channel, body, PUBLIC_THREAD, thread_id=message.id)
        message.thread_id = thread.id
        self.state.changed()
        return ok(self._thread_with_member(thread))

    async def thread_without_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel.type != TEXT:
            raise errors.wrong_channel_type()
        body, _ = await read_body(request)
        kind = int(body.get("type") or PRIVATE_THREAD)
        needed = (
            perm.CREATE_PUBLIC_THREADS if kind == PUBLIC_THREAD else perm.CREATE_PRIVATE_THREADS
        )
        self.access.require(channel, needed)
        thread = await self._open_thread(channel, body, kind, thread_id=None)
        return ok(self._thread_with_member(thread))

    async def _open_thread(
        self, parent: Channel, body: dict[str, Any], kind: int, *, thread_id: str | None
    ) -> Channel:
        problems = validation.thread_name_errors(body.get("name"))
        if problems:
            raise errors.invalid_form(problems)
        thread = Channel(
            id=thread_id or self.state.snowflakes.next(),
            type=kind,
            name=body["name"],
            guild_id=parent.guild_id,
            parent_id=parent.id,
            owner_id=self.bot.id,
            auto_archive_duration=int(body.get("auto_archive_duration") or 4320),
            member_ids={self.bot.id},
        )
        self.state.channels[thread.id] = thread
        guild = self.state.guild_of(parent)
        assert guild is not None, "threads only exist in guild text channels"
        guild.channel_ids.append(thread.id)
        self.state.changed()
        await self.gateway.dispatch(
            "THREAD_CREATE",
            self._thread_with_member(thread) | {"newly_created": True},
            intent=GUILDS_INTENT,
        )
        return thread

    def _thread_with_member(self, thread: Channel) -> dict[str, Any]:
        member = {
            "id": thread.id,
            "user_id": self.bot.id,
            "join_timestamp": payloads.iso(datetime.now(timezone.utc)),
            "flags": 0,
        }
        return payloads.channel(thread) | {"member": member}

    async def react(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        message = self._message(request, channel)
        self.access.change_messages(channel)
        self.access.require(channel, perm.READ_MESSAGE_HISTORY)
        emoji = request.match_info["emoji"]
        if emoji not in message.reactions:
            # Adding a reaction nobody has made yet takes Add Reactions (the bot's own
            # reactions are the only ones the fake keeps).
            self.access.require(channel, perm.ADD_REACTIONS)
            message.reactions.append(emoji)
            self.state.changed()
        return no_content()

    async def unreact(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        message = self._message(request, channel)
        self.access.change_messages(channel)
        emoji = request.match_info["emoji"]
        if emoji in message.reactions:
            message.reactions.remove(emoji)
            self.state.changed()
        return no_content()

    async def typing(self, request: web.Request) -> web.Response:
        self._channel(request)
        return no_content()

    def _thread_member(self, request: web.Request) -> tuple[Channel, str]:
        thread = self._channel(request)
        if not thread.is_thread:
            raise errors.wrong_channel_type()
        self.access.change_messages(thread)
        user_id = request.match_info["user"]
        user_id = self.bot.id if user_id == "@me" else user_id
        if user_id not in self.state.users:
            raise errors.unknown("User", errors.UNKNOWN_USER)
        return thread, user_id

    async def join_thread(self, request: web.Request) -> web.Response:
        thread, user_id = self._thread_member(request)
        thread.member_ids.add(user_id)
        self.state.changed()
        return no_content()

    async def leave_thread(self, request: web.Request) -> web.Response:
        thread, user_id = self._thread_member(request)
        thread.member_ids.discard(user_id)
        self.state.changed()
        return no_content()

    # -- guilds ---------------------------------------------------------------------------------

    async def leave_guild(self, request: web.Request) -> web.Response:
        """The bot leaves a server: 204, then GUILD_DELETE (without `unavailable`: it is gone
        for good) and, with the members intent, GUILD_MEMBER_REMOVE."""
        guild = self.state.guilds.get(request.match_info["guild"])
        if guild is None or self.bot.id not in guild.members:
            raise errors.unknown("Guild", errors.UNKNOWN_GUILD)
        if guild.owner_id == self.bot.id:
            raise DiscordError(400, 50055, "Invalid guild")  # an owner deletes, never leaves
        del guild.members[self.bot.id]
        self.state.changed()
        await self.gateway.dispatch("GUILD_DELETE", {"id": guild.id}, intent=GUILDS_INTENT)
        removed = {"guild_id": guild.id, "user": payloads.user(self.bot)}
        await self.gateway.dispatch("GUILD_MEMBER_REMOVE", removed, intent=GUILD_MEMBERS_INTENT)
        return no_content()

    async def get_guild(self, request: web.Request) -> web.Response:
        return ok(payloads.guild(self._guild(request), self.state))

    async def get_guild_channels(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        channels = [self.state.channels[cid] for cid in guild.channel_ids]
        return ok([payloads.channel(c) for c in channels if not c.is_thread])

    async def get_roles(self, request: web.Request) -> web.Response:
        return ok([payloads.role(r) for r in self._guild(request).roles.values()])

    async def get_member(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        member = guild.members.get(request.match_info["user"])
        if member is None:
            raise errors.unknown("Member", errors.UNKNOWN_MEMBER)
        return ok(payloads.member(member, guild))

    async def get_active_threads(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        threads = [self.state.channels[cid] for cid in guild.channel_ids]
        active = [payloads.channel(t) for t in threads if t.is_thread and not t.archived]
        return ok({"threads": active, "members": []})

    # -- CDN ------------------------------------------------------------------------------------

    async def download(self, request: web.Request) -> web.Response:
        stored = self.state.files.get(request.match_info["file"])
        if (
            stored is None
            or stored.channel_id != request.match_info["channel"]
            or stored.filename != request.match_info["filename"]
        ):
            return web.Response(status=404, text="Not Found")
        self.state.downloads.append(stored)
        self.state.changed()
        return web.Response(
            body=stored.data, content_type=stored.content_type or "application/octet-stream"
        )


def dm_channel(state: FakeState, bot: User, user: User) -> Channel:
    """The one DM channel between the bot and `user`, opened on first use."""
    for channel in state.channels.values():
        if channel.type == DM and user in channel.recipients:
            return channel
    channel = Channel(id=state.snowflakes.next(), type=DM, name=None, recipients=[user, bot])
    state.channels[channel.id] = channel
    return channel


def command_errors(commands: Any) -> dict[str, Any]:
    """The checks Discord applies to a bulk overwrite that discord.py does not do itself."""
    if not isinstance(commands, list):
        return {"_errors": [{"code": "LIST_TYPE_CONVERT", "message": "Not a list."}]}
    problems: dict[str, Any] = {}
    for i, command in enumerate(commands):
        name = command.get("name", "")
        if command.get("type", 1) == 1 and (not COMMAND_NAME.match(name) or name != name.lower()):
            problems[str(i)] = {"name": {"_errors": [{"code": "APPLICATION_COMMAND_INVALID_NAME"}]}}
        if command.get("type", 1) == 1 and not 1 <= len(command.get("description", "")) <= 100:
            problems[str(i)] = {"description": {"_errors": [{"code": "BASE_TYPE_BAD_LENGTH"}]}}
        if command.get("type", 1) in (2, 3):
            # Context-menu commands: any case and spaces, but no description and no options.
            if not 1 <= len(name) <= 32:
                problems[str(i)] = {"name": {"_errors": [{"code": "BASE_TYPE_BAD_LENGTH"}]}}
            if command.get("description") or command.get("options"):
                problems[str(i)] = {
                    "description": {"_errors": [{"code": "APPLICATION_COMMAND_CONTEXT_MENU"}]}
                }
    return problems
