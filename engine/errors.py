"""Errors the engine raises on purpose; their messages are safe to show to a user."""


class EngineError(Exception):
    """Base class: anything the engine refuses or gives up on, with a readable reason."""


class InvalidImage(EngineError):
    """The bytes are not an image we can read, or the image breaks a limit."""


class Cancelled(EngineError):
    """The caller's `should_stop()` asked the run to stop."""
