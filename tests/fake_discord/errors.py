"""Discord's JSON error answers, raised inside handlers and turned into responses by the server."""

from __future__ import annotations

from typing import Any

# Discord's nested "errors" object of a 400 Invalid Form Body: field path -> {"_errors": [...]}.
Errors = dict[str, Any]


class DiscordError(Exception):
    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None):
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def unauthorized() -> DiscordError:
    return DiscordError(401, 0, "401: Unauthorized")


def missing_permissions() -> DiscordError:
    return DiscordError(403, 50013, "Missing Permissions")


def unknown(what: str, code: int) -> DiscordError:
    return DiscordError(404, code, f"Unknown {what}")


UNKNOWN_CHANNEL, UNKNOWN_GUILD, UNKNOWN_MEMBER, UNKNOWN_MESSAGE = 10003, 10004, 10007, 10008
UNKNOWN_USER, UNKNOWN_WEBHOOK, UNKNOWN_INTERACTION, UNKNOWN_COMMAND = 10013, 10015, 10062, 10063


def invalid_form(errors: dict[str, Any]) -> DiscordError:
    return DiscordError(400, 50035, "Invalid Form Body", errors)


def too_large() -> DiscordError:
    return DiscordError(413, 40005, "Request entity too large")


def wrong_channel_type() -> DiscordError:
    return DiscordError(400, 50024, "Cannot execute action on this channel type")


def missing_access() -> DiscordError:
    """What Discord answers about a channel the bot cannot view."""
    return DiscordError(403, 50001, "Missing Access")


def cannot_message_user() -> DiscordError:
    return DiscordError(403, 50007, "Cannot send messages to this user")


def archived_thread() -> DiscordError:
    return DiscordError(400, 50083, "Thread is archived")


def locked_thread() -> DiscordError:
    return DiscordError(403, 160005, "Thread is locked")


def reply_without_history() -> DiscordError:
    return DiscordError(400, 160002, "Cannot reply without permission to read message history")
