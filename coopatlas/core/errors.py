"""The one application error type. Views, the API and the CLI map it in one place each."""

from __future__ import annotations


class AppError(Exception):
    """A problem the user can fix: names the field (or file) and says how to fix it.

    `field` is the form/API field (or a file path for importers); `message` is in the
    user's language and says what is wrong and what to do.
    """

    exit_code = 2
    http_status = 422

    def __init__(self, message: str, *, field: str | None = None, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = errors or ({field: [message]} if field else {"__all__": [message]})

    def as_dict(self) -> dict:
        return {"detail": self.message, "errors": self.errors}


class NotFound(AppError):
    exit_code = 3
    http_status = 404


class PayloadTooLarge(AppError):
    """A request body over DATA_UPLOAD_MAX_MEMORY_SIZE (files excepted)."""

    exit_code = 2
    http_status = 413


def http_status_of(exc: Exception) -> int:
    """The one mapping of an error to an HTTP status: pages, the API and JSON twins read it."""
    return getattr(exc, "http_status", 500) if isinstance(exc, AppError) else 500


def exit_code_of(exc: Exception) -> int:
    """The one mapping of an error to a CLI exit code."""
    return getattr(exc, "exit_code", 1) if isinstance(exc, AppError) else 1
