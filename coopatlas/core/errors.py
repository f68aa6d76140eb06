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


class Conflict(AppError):
    """The record changed since the version the user read, or its state forbids the
    change: HTTP 409, CLI exit code 5. The one conflict type of every app; `version` and
    `changes` (per field: was, now, by) when a stale version is the cause."""

    exit_code = 5
    http_status = 409

    def __init__(
        self,
        message: str,
        *,
        field: str | None = "version",
        version: int | None = None,
        changes: dict | None = None,
        errors: dict | None = None,
    ):
        super().__init__(message, field=field, errors=errors)
        self.version = version
        self.changes = changes

    def as_dict(self) -> dict:
        out = super().as_dict()
        if self.version is not None:
            out["version"] = self.version
        if self.changes is not None:
            out["changes"] = self.changes
        return out


class PreconditionRequired(AppError):
    """A change sent without the version it was made on (HTTP 428): the caller must say
    what it read, so that it cannot overwrite someone else's change unknowingly."""

    exit_code = 2
    http_status = 428


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
