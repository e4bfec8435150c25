"""Errors the services raise, each saying what failed, the value and what to do."""


class AppletraceError(Exception):
    """Base of every error a user can cause; its message is one clear line."""


class InvalidInput(AppletraceError):
    """A value the user gave is wrong; ``field`` names it for forms and the API."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class NotFound(AppletraceError):
    """A code or id names nothing the caller may see."""

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"no {kind} {key!r}; list them with 'appletrace {kind}s list'")
        self.kind = kind
        self.key = key


class Conflict(AppletraceError):
    """The change would break a uniqueness rule, e.g. a code already taken."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class SettingsError(AppletraceError):
    """An APPLETRACE_* variable holds a value that cannot be used."""
