"""Error taxonomy shared by every connector and the engine.

The engine decides what to do from the class alone: retry later (transient,
rate limited), stop and alert (auth), give up on this record (not found,
validation). Messages must never contain secrets.
"""

from __future__ import annotations


class SyncError(Exception):
    """Base of every error the core raises on purpose."""

    retryable: bool = False

    def __init__(self, message: str, *, status: int | None = None, details: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.details = details


class AuthError(SyncError):
    """Credentials missing, wrong, expired or lacking a scope (401/403)."""


class RateLimitedError(SyncError):
    """The platform asked us to slow down; ``retry_after`` is in seconds."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class TransientError(SyncError):
    """Network failure, timeout or 5xx: the same call may succeed later."""

    retryable = True


class AmbiguousWriteError(TransientError):
    """A non-idempotent write (a create) whose outcome is unknown: the request may have
    reached the store and been committed (timeout, reset after sending, 5xx).

    It is never re-sent blindly. The job is retried later, and the connector must first
    look for what the lost attempt may have made (a marker it writes: a meta field with
    the job key, a tag, an idempotency key the platform honours) before creating again.
    """


class NotFoundError(SyncError):
    """The record does not exist on the other side (404)."""


class ValidationError(SyncError):
    """The other side refused the data itself; retrying unchanged will not help."""


class ConflictError(TransientError):
    """Optimistic-concurrency clash (stale revision / changeFromQuantity): re-read, retry."""


class WebhookVerificationError(SyncError):
    """A webhook whose signature, token or headers do not verify. Maps to HTTP 401."""


class ConfigurationError(SyncError):
    """A store record is incomplete or invalid (bad URL, missing credential)."""


class MappingError(ValidationError):
    """A payload names something we cannot map (unknown SKU, missing mapping)."""
