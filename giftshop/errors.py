"""Domain errors with stable short codes; views turn them into HTTP responses."""


class DomainError(Exception):
    """A rule said no. `code` is stable (API clients match on it); `message` is for people."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class NotFound(DomainError):
    code, status = "not_found", 404


class UnknownCode(NotFound):
    code = "unknown_code"


class Conflict(DomainError):
    code, status = "conflict", 409


class Gone(DomainError):
    code, status = "gone", 410


class ValidationFailed(DomainError):
    """Input that cannot be accepted, with per-field messages."""

    code, status = "invalid", 422

    def __init__(self, errors: dict, message: str = "Please correct the highlighted fields."):
        super().__init__(message)
        self.errors = errors
