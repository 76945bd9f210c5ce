"""The gateway websocket: HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeats, RESUME, dispatch.

Frames are sent as uncompressed JSON text, which discord.py accepts even when it asked for
zlib-stream. Dispatched events are kept per session so a RESUME replays what the client missed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from . import payloads
from .state import FakeState, Guild, User

log = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE_UPDATE = 0, 1, 2, 3
RESUME, RECONNECT, REQUEST_GUILD_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 6, 7, 8, 9, 10, 11

AUTHENTICATION_FAILED = 4004

GUILDS_INTENT = 1 << 0
GUILD_MEMBERS_INTENT = 1 << 1
GUILD_MESSAGES_INTENT = 1 << 9
DIRECT_MESSAGES_INTENT = 1 << 12


@dataclass
class Session:
    id: str
    intents: int
    seq: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    ws: web.WebSocketResponse | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class Connection:
    """One websocket the client opened, and how it started its session."""

    path: str
    opened_at: float
    op: str | None = None
    closed_at: float | None = None
    close_code: int | None = None


class Gateway:
    def __init__(
        self,
        state: FakeState,
        *,
        token: str,
        bot: User,
        application_id: str,
        heartbeat_interval_ms: int,
    ) -> None:
        self.state = state
        self.token = token
        self.bot = bot
        self.application_id = application_id
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.ws_url = ""
        self.resume_url = ""
        self.sessions: dict[str, Session] = {}
        self.current: Session | None = None
        self.connections: list[Connection] = []
        self.identify_payloads: list[dict[str, Any]] = []

    @property
    def connected(self) -> bool:
        """A session is live: READY (or RESUMED) was sent over an open socket."""
        return self.current is not None and self.current.ws is not None

    def has_intent(self, intent: int) -> bool:
        return self.current is not None and bool(self.current.intents & intent)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        connection = Connection(path=request.path, opened_at=time.monotonic())
        self.connections.append(connection)
        await self._send(ws, {"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                await self._on_frame(ws, connection, frame["op"], frame.get("d"))
        finally:
            connection.closed_at = time.monotonic()
            connection.close_code = ws.close_code
            for session in self.sessions.values():
                if session.ws is ws:
                    session.ws = None
            self.state.changed()
        return ws

    async def _on_frame(
        self, ws: web.WebSocketResponse, connection: Connection, op: int, data: Any
    ) -> None:
        if op == HEARTBEAT:
            await self._send(ws, {"op": HEARTBEAT_ACK, "d": None})
        elif op == IDENTIFY:
            connection.op = "identify"
            await self._identify(ws, data)
        elif op == RESUME:
            connection.op = "resume"
            await self._resume(ws, data)
        elif op == REQUEST_GUILD_MEMBERS:
            await self._send_member_chunk(data)
        elif op != PRESENCE_UPDATE:
            log.warning("fake gateway: unexpected op %s", op)

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        if data.get("token") != self.token:
            await ws.close(code=AUTHENTICATION_FAILED, message=b"Authentication failed.")
            return
        self.identify_payloads.append({k: v for k, v in data.items() if k != "token"})
        session = Session(id=secrets.token_hex(16), intents=int(data.get("intents", 0)))
        self.sessions[session.id] = session
        self.current = session
        ready = {
            "v": 10,
            "user": payloads.user(self.bot) | {"verified": True, "mfa_enabled": False},
            "guilds": [{"id": guild.id, "unavailable": True} for guild in self._guilds_joined()],
            "session_id": session.id,
            "resume_gateway_url": self.resume_url,
            "application": {"id": self.application_id, "flags": 0},
            "private_channels": [],
            "relationships": [],
            "user_settings": {},
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "guild_join_requests": [],
            "_trace": ["fake-discord"],
        }
        async with session.lock:
            session.ws = ws
            await self._deliver(session, "READY", ready)
            for guild in self._guilds_joined():
                await self._deliver(session, "GUILD_CREATE", payloads.guild(guild, self.state))
        self.state.changed()

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        session = self.sessions.get(data.get("session_id", ""))
        if session is None or data.get("token") != self.token:
            await self._send(ws, {"op": INVALID_SESSION, "d": False})
            return
        async with session.lock:
            session.ws = ws
            for event in session.events:
                if event["s"] > (data.get("seq") or 0):
                    await self._send(ws, event)
            await self._deliver(session, "RESUMED", {"_trace": ["fake-discord"]})
        self.current = session
        self.state.changed()

    async def _send_member_chunk(self, data: dict[str, Any]) -> None:
        guild = self.state.guilds.get(str(data.get("guild_id")))
        if guild is None:
            return
        chunk = {
            "guild_id": guild.id,
            "members": [payloads.member(m, guild) for m in guild.members.values()],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        await self.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    async def dispatch(self, event: str, data: dict[str, Any], *, intent: int = 0) -> bool:
        """Send an event to the live session (or keep it for its RESUME).

        Events gated by an intent the client did not ask for are dropped, as Discord does.
        Returns whether the event was accepted (False also when no bot ever identified).
        """
        session = self.current
        if session is None or (intent and not session.intents & intent):
            return False
        async with session.lock:
            await self._deliver(session, event, data)
        return True

    def _guilds_joined(self) -> list[Guild]:
        """The servers the bot is in: READY and GUILD_CREATE name only those."""
        return [g for g in self.state.guilds.values() if self.bot.id in g.members]

    async def _deliver(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        frame = {"op": DISPATCH, "t": event, "s": session.seq, "d": data}
        session.events.append(frame)
        if session.ws is not None and not session.ws.closed:
            await self._send(session.ws, frame)

    async def _send(self, ws: web.WebSocketResponse, frame: dict[str, Any]) -> None:
        try:
            await ws.send_str(json.dumps(frame))
        except ConnectionError:
            log.debug("fake gateway: client went away before %s", frame.get("t") or frame["op"])

    async def disconnect(self, code: int = 4000) -> None:
        """Close the live socket as Discord does during an outage; the client should RESUME."""
        session = self.current
        if session is not None and session.ws is not None:
            ws, session.ws = session.ws, None
            await ws.close(code=code, message=b"fake gateway disconnect")
            self.state.changed()

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT: the client closes and RESUMEs at once."""
        session = self.current
        if session is not None and session.ws is not None:
            await self._send(session.ws, {"op": RECONNECT, "d": None})

    async def invalidate_session(self) -> None:
        """Send op 9 (not resumable): the client must IDENTIFY again from scratch."""
        session = self.current
        if session is not None and session.ws is not None:
            self.sessions.pop(session.id, None)
            await self._send(session.ws, {"op": INVALID_SESSION, "d": False})

    async def close(self) -> None:
        for session in self.sessions.values():
            if session.ws is not None:
                await session.ws.close(code=1001, message=b"fake discord shutting down")
                session.ws = None
