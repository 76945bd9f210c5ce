"""Pointing the real discord.py at the fake: REST base and default gateway, restored afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import discord.gateway
import discord.http
import yarl


@contextmanager
def discord_pointed_at(api_base: str, gateway_url: str) -> Iterator[None]:
    """discord.py builds every REST URL from `Route.BASE` (webhooks and interaction callbacks
    included) and a plain Client connects to `DiscordWebSocket.DEFAULT_GATEWAY`."""
    route, socket = discord.http.Route, discord.gateway.DiscordWebSocket
    saved = route.BASE, socket.DEFAULT_GATEWAY
    route.BASE = api_base
    socket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    try:
        yield
    finally:
        route.BASE, socket.DEFAULT_GATEWAY = saved
