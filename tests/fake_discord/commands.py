"""Turning a test's `/command` invocation into the interaction data Discord would send.

Discord's client only lets a member invoke a registered command with options that fit the
registered schema (names, types, required, min/max, choices), so this module checks the
invocation against what the bot synced and raises ValueError / LookupError where Discord's UI
would not let the member send it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import payloads
from .state import Channel, FakeState, Guild, Member, Role, StoredFile, User

CHAT_INPUT, USER_COMMAND, MESSAGE_COMMAND = 1, 2, 3
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)

EXPECTED_PYTHON_TYPES: dict[int, tuple[type, ...]] = {
    STRING: (str,),
    INTEGER: (int,),
    BOOLEAN: (bool,),
    USER: (Member, User),
    CHANNEL: (Channel,),
    ROLE: (Role,),
    MENTIONABLE: (Member, User, Role),
    NUMBER: (int, float),
    ATTACHMENT: (StoredFile,),
}


def registered_command(
    state: FakeState, name: str, guild_id: str | None, kind: int = CHAT_INPUT
) -> tuple[dict[str, Any], str | None]:
    """The synced command `name` of `kind` visible in `guild_id`, and the guild it is scoped to.

    Guild commands shadow global ones, as in Discord's command picker and context menus.
    """
    scopes: list[tuple[list[dict[str, Any]], str | None]] = []
    if guild_id is not None:
        scopes.append((state.guild_commands.get(guild_id, []), guild_id))
    scopes.append((state.global_commands, None))
    for commands, scope in scopes:
        for command in commands:
            if command["name"] == name and command.get("type", CHAT_INPUT) == kind:
                return command, scope
    known = sorted({c["name"] for cs, _ in scopes for c in cs})
    raise LookupError(f"/{name} is not registered for this channel (registered: {known})")


def command_data(
    state: FakeState,
    command: dict[str, Any],
    scope: str | None,
    path: list[str],
    options: Mapping[str, Any],
    guild: Guild | None,
    focused: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """The `data` of an APPLICATION_COMMAND interaction for `/command path... options`.

    With `focused` = (option, typed text) it is the data of an AUTOCOMPLETE interaction
    instead: the member is still typing, so required options may be missing, and the focused
    option (which must be registered with autocomplete) carries the partial text.
    """
    resolved: dict[str, dict[str, Any]] = {}
    schema = command
    chain: list[dict[str, Any]] = []
    for part in path:
        schema = _child(schema, part)
        chain.append(schema)
    subcommands = [o["name"] for o in schema.get("options", []) if o["type"] in (1, 2)]
    if subcommands:
        raise ValueError(f"/{command['name']} {' '.join(path)} needs one of {subcommands}")
    specs = schema.get("options", [])
    if focused is not None:
        leaf = [
            _focused(spec, focused) or _option(state, spec, options, resolved, guild, True)
            for spec in specs
        ]
    else:
        leaf = [_option(state, spec, options, resolved, guild) for spec in specs]
    unknown = set(options) - {spec["name"] for spec in specs}
    if unknown:
        raise ValueError(f"/{command['name']} has no option(s) {sorted(unknown)}")
    built = [o for o in leaf if o is not None]
    for sub in reversed(chain):
        built = [{"type": sub["type"], "name": sub["name"], "options": built}]
    data: dict[str, Any] = {
        "id": command["id"],
        "name": command["name"],
        "type": 1,
        "options": built,
    }
    if resolved:
        data["resolved"] = resolved
    if scope is not None:
        data["guild_id"] = scope
    return data


def _child(schema: dict[str, Any], name: str) -> dict[str, Any]:
    for option in schema.get("options", []):
        if option["name"] == name and option["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP):
            return option
    raise LookupError(f"/{schema['name']} has no subcommand {name!r}")


def _option(
    state: FakeState,
    spec: dict[str, Any],
    options: Mapping[str, Any],
    resolved: dict[str, dict[str, Any]],
    guild: Guild | None,
    still_typing: bool = False,
) -> dict[str, Any] | None:
    """One option's wire form; while the member is `still_typing`, a missing one is fine."""
    name, kind = spec["name"], spec["type"]
    if name not in options or options[name] is None:
        if spec.get("required") and not still_typing:
            raise ValueError(f"option {name!r} is required")
        return None
    value = options[name]
    expected = EXPECTED_PYTHON_TYPES[kind]
    if not isinstance(value, expected) or (kind != BOOLEAN and isinstance(value, bool)):
        raise ValueError(f"option {name!r} takes {[t.__name__ for t in expected]}, got {value!r}")
    _check_bounds(spec, value)
    return {"name": name, "type": kind, "value": _resolve(state, value, resolved, guild)}


def _focused(spec: dict[str, Any], focused: tuple[str, str]) -> dict[str, Any] | None:
    name, typed = focused
    if spec["name"] != name:
        return None
    if not spec.get("autocomplete"):
        raise ValueError(f"option {name!r} was not registered with autocomplete")
    return {"name": name, "type": spec["type"], "value": typed, "focused": True}


def message_command_data(
    command: dict[str, Any], scope: str | None, target: dict[str, Any]
) -> dict[str, Any]:
    """The `data` of a message context-menu interaction on the message `target` (its payload)."""
    data: dict[str, Any] = {
        "id": command["id"],
        "name": command["name"],
        "type": MESSAGE_COMMAND,
        "target_id": target["id"],
        "resolved": {"messages": {target["id"]: target}},
    }
    if scope is not None:
        data["guild_id"] = scope
    return data


def _check_bounds(spec: dict[str, Any], value: Any) -> None:
    name = spec["name"]
    choices = [c["value"] for c in spec.get("choices", [])]
    if choices and value not in choices:
        raise ValueError(f"option {name!r} must be one of {choices}")
    if isinstance(value, (int, float)):
        low, high = spec.get("min_value"), spec.get("max_value")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValueError(f"option {name!r} must be within [{low}, {high}], got {value}")
    if isinstance(value, str):
        low, high = spec.get("min_length", 0), spec.get("max_length", 6000)
        if not low <= len(value) <= high:
            raise ValueError(f"option {name!r} must be {low}..{high} characters long")


def _resolve(
    state: FakeState, value: Any, resolved: dict[str, dict[str, Any]], guild: Guild | None
) -> Any:
    """The wire value of an option, adding the objects it refers to under `resolved`."""
    if isinstance(value, StoredFile):
        resolved.setdefault("attachments", {})[value.id] = payloads.attachment(value, state)
        return value.id
    if isinstance(value, Member):
        value = value.user
    if isinstance(value, User):
        resolved.setdefault("users", {})[value.id] = payloads.user(value)
        member = guild.members.get(value.id) if guild else None
        if member is not None and guild is not None:
            body = payloads.member(member, guild, permissions=guild.permissions_of(member))
            del body["user"]
            resolved.setdefault("members", {})[value.id] = body
        return value.id
    if isinstance(value, Role):
        resolved.setdefault("roles", {})[value.id] = payloads.role(value)
        return value.id
    if isinstance(value, Channel):
        body = payloads.channel(value)
        body["permissions"] = str(guild.everyone_role.permissions if guild else 0)
        resolved.setdefault("channels", {})[value.id] = body
        return value.id
    return value
