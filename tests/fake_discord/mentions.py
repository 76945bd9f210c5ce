"""Who a message mentions: Discord parses mentions in the content only as `allowed_mentions`
allows (without it, everything is allowed), and refuses an `allowed_mentions` that both parses a
kind and lists ids of that kind."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .errors import Errors

USER = re.compile(r"<@!?(\d+)>")
ROLE = re.compile(r"<@&(\d+)>")
EVERYONE = re.compile(r"@(everyone|here)\b")
KINDS = ("users", "roles", "everyone")


@dataclass
class Mentions:
    users: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    everyone: bool = False


def allowed_mentions_errors(allowed: Any) -> Errors:
    if not isinstance(allowed, dict):
        return {}
    errors: Errors = {}
    parse = allowed.get("parse") or []
    for kind in ("users", "roles"):
        if kind in parse and allowed.get(kind):
            text = f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.'
            errors.setdefault("allowed_mentions", {}).setdefault("_errors", []).append(
                {"code": "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE", "message": text}
            )
        if len(allowed.get(kind) or []) > 100:
            errors.setdefault("allowed_mentions", {}).setdefault(kind, {})["_errors"] = [
                {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 100 or fewer in length."}
            ]
    return errors


def mentions(content: str, allowed: Any, known_users: set[str]) -> Mentions:
    """The mentions Discord records (and pings) for `content` under `allowed`."""
    if not isinstance(allowed, dict):
        allowed = {"parse": list(KINDS)}
    parse = allowed.get("parse") or []
    listed_users = {str(u) for u in allowed.get("users") or []}
    listed_roles = {str(r) for r in allowed.get("roles") or []}
    users = [
        u
        for u in dict.fromkeys(USER.findall(content))
        if u in known_users and ("users" in parse or u in listed_users)
    ]
    roles = [
        r for r in dict.fromkeys(ROLE.findall(content)) if "roles" in parse or r in listed_roles
    ]
    everyone = "everyone" in parse and EVERYONE.search(content) is not None
    return Mentions(users, roles, everyone)
