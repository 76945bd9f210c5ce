"""JSON bodies shaped like Discord's, built from the fake's recorded state.

Fields follow the Discord API docs closely enough for discord.py 2.7 to parse them; ids and
permission bitfields are strings, timestamps ISO 8601.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from .state import (
    DM,
    Channel,
    FakeState,
    Guild,
    Interaction,
    Member,
    Message,
    Role,
    StoredFile,
    User,
)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def user(u: User) -> dict[str, Any]:
    return {
        "id": u.id,
        "username": u.username,
        "global_name": u.username,
        "discriminator": "0",
        "avatar": None,
        "bot": u.bot,
        "public_flags": 0,
        "flags": 0,
    }


def role(r: Role) -> dict[str, Any]:
    return {
        "id": r.id,
        "name": r.name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": r.position,
        "permissions": str(r.permissions),
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def member(m: Member, guild: Guild, *, permissions: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "user": user(m.user),
        "nick": m.nick,
        "avatar": None,
        "roles": list(m.role_ids),
        "joined_at": iso(m.joined_at),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }
    if permissions is not None:
        body["permissions"] = str(permissions)
    return body


def channel(c: Channel) -> dict[str, Any]:
    if c.type == DM:
        return {
            "id": c.id,
            "type": DM,
            "last_message_id": None,
            "recipients": [user(u) for u in c.recipients],
        }
    body: dict[str, Any] = {
        "id": c.id,
        "type": c.type,
        "guild_id": c.guild_id,
        "name": c.name,
        "position": c.position,
        "permission_overwrites": [
            {"id": o.id, "type": o.type, "allow": str(o.allow), "deny": str(o.deny)}
            for o in c.overwrites
        ],
        "nsfw": c.nsfw,
        "parent_id": c.parent_id,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "flags": 0,
    }
    if c.is_thread:
        body.update(
            owner_id=c.owner_id,
            message_count=0,
            member_count=len(c.member_ids),
            total_message_sent=0,
            thread_metadata={
                "archived": c.archived,
                "auto_archive_duration": c.auto_archive_duration,
                "archive_timestamp": iso(c.created_at),
                "locked": c.locked,
                "create_timestamp": iso(c.created_at),
            },
        )
        del body["position"], body["permission_overwrites"], body["topic"]
    return body


def guild(g: Guild, state: FakeState) -> dict[str, Any]:
    """The GUILD_CREATE / GET /guilds/{id} body."""
    channels = [state.channels[cid] for cid in g.channel_ids]
    return {
        "id": g.id,
        "name": g.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": g.owner_id,
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": [role(r) for r in g.roles.values()],
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "public_updates_channel_id": None,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "joined_at": iso(datetime.now(timezone.utc)),
        "large": False,
        "unavailable": False,
        "member_count": len(g.members),
        "voice_states": [],
        "members": [member(m, g) for m in g.members.values()],
        "channels": [channel(c) for c in channels if not c.is_thread],
        "threads": [channel(c) for c in channels if c.is_thread and not c.archived],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def attachment(f: StoredFile, state: FakeState) -> dict[str, Any]:
    url = state.url_of(f)
    body: dict[str, Any] = {
        "id": f.id,
        "filename": f.filename,
        "size": f.size,
        "url": url,
        "proxy_url": url,
        "content_type": f.content_type,
        "flags": 0,
    }
    if f.description is not None:
        body["description"] = f.description
    if f.width is not None:
        body.update(width=f.width, height=f.height)
    return body


def message(m: Message, state: FakeState) -> dict[str, Any]:
    revision = m.current
    body: dict[str, Any] = {
        "id": m.id,
        "type": 19 if m.message_reference else (20 if m.interaction_id else 0),
        "channel_id": m.channel_id,
        "author": user(m.author),
        "content": revision.content,
        "timestamp": iso(m.created_at),
        "edited_timestamp": iso(revision.timestamp) if m.edits else None,
        "tts": False,
        "mention_everyone": revision.mentions.everyone,
        "mentions": [user(state.users[uid]) for uid in revision.mentions.users],
        "mention_roles": revision.mentions.roles,
        "attachments": [attachment(f, state) for f in revision.attachments],
        "embeds": revision.embeds,
        "components": revision.components,
        "pinned": False,
        "flags": revision.flags,
        "reactions": [
            {"count": 1, "me": True, "emoji": {"id": None, "name": name}} for name in m.reactions
        ],
    }
    if m.guild_id:
        body["guild_id"] = m.guild_id
    if m.webhook_id:
        body["webhook_id"] = m.webhook_id
        body["application_id"] = m.webhook_id
    if m.message_reference:
        body["message_reference"] = m.message_reference
    if m.interaction_id and m.interaction_id in state.interactions:
        body["interaction_metadata"] = interaction_metadata(state.interactions[m.interaction_id])
    if m.thread_id and m.thread_id in state.channels:
        body["thread"] = channel(state.channels[m.thread_id])
    if m.nonce is not None:
        body["nonce"] = m.nonce
    return body


def interaction_metadata(i: Interaction) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": i.id,
        "type": i.type,
        "user": user(i.user),
        "authorizing_integration_owners": {"0": i.guild_id} if i.guild_id else {"1": i.user.id},
    }
    if i.type == 2:
        body["name"] = i.data.get("name", "")
    return body


def application(app_id: str, bot: User, owner: User) -> dict[str, Any]:
    return {
        "id": app_id,
        "name": bot.username,
        "icon": None,
        "description": "",
        "summary": "",
        "type": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": 0,
        "owner": user(owner),
        "team": None,
        "bot": user(bot),
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "approximate_guild_count": 1,
    }


def interaction(
    i: Interaction,
    state: FakeState,
    *,
    application_id: str,
    app_permissions: int,
    member_permissions: int | None,
    upload_limit: int,
    message_payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The INTERACTION_CREATE body; in a guild the member carries its permission bitfield."""
    where = state.channels[i.channel_id]
    body: dict[str, Any] = {
        "id": i.id,
        "application_id": application_id,
        "type": i.type,
        "data": i.data,
        "channel": channel(where) | {"permissions": str(app_permissions)},
        "channel_id": where.id,
        "token": i.token,
        "version": 1,
        "app_permissions": str(app_permissions),
        "locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": i.guild_id} if i.guild_id else {"1": i.user.id},
        "context": 0 if i.guild_id else 1,
        "attachment_size_limit": upload_limit,
    }
    if i.guild_id is not None:
        guild_ = state.guilds[i.guild_id]
        body["guild_id"] = guild_.id
        body["guild"] = {"id": guild_.id, "locale": "en-US", "features": []}
        body["guild_locale"] = "en-US"
        body["member"] = member(guild_.members[i.user.id], guild_, permissions=member_permissions)
    else:
        body["user"] = user(i.user)
    if message_payload is not None:
        body["message"] = message_payload
    return body
