"""Errors the engine raises on purpose; their messages are safe to show to a user."""


class EngineError(Exception):
    """Base class: anything the engine refuses or gives up on, with a readable reason."""


class InvalidImage(EngineError):
    """The bytes are not an image we can read, or the image breaks a limit."""


class TooManyPixels(InvalidImage):
    """The image's header declares more pixels than allowed; nothing was decoded."""

    def __init__(self, width: int, height: int, limit: int) -> None:
        super().__init__(
            f"the image is {width}×{height} = {width * height / 1e6:.1f} megapixels; "
            f"the limit is {limit / 1e6:.1f}"
        )
        self.width, self.height, self.limit = width, height, limit


class Cancelled(EngineError):
    """The caller's `should_stop()` asked the run to stop.

    `partial` is the picture so far (H×W×3 float32 in 0..1, a numpy array so that this module
    stays free of torch), when there is one.
    """

    def __init__(self, message: str, partial: object | None = None) -> None:
        super().__init__(message)
        self.partial = partial
