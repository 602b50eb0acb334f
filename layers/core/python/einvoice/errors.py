"""Typed domain errors.

Domain code raises these; each transport maps them once (HTTP: ``einvoice.api.http``;
Step Functions: the class name is the ``errorType`` ASL ``Retry``/``Catch`` match on).
Never raise HTTP-named errors from the domain and never match on messages.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass
class ErrorDetail:
    """One precise reason: the field path (``field``), an optional rule id and a message."""

    message: str
    field: str | None = None
    rule: str | None = None
    message_fr: str | None = None
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message}
        if self.field is not None:
            out["field"] = self.field
        if self.rule is not None:
            out["rule"] = self.rule
        if self.message_fr is not None:
            out["messageFr"] = self.message_fr
        out.update(self.extra)
        return out


class DomainError(Exception):
    """Base of every error the platform reports to a caller."""

    code = "DomainError"
    http_status = 400

    def __init__(self, message: str, details: list[ErrorDetail] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class InvalidInputError(DomainError):
    """The request is well formed but breaks a rule (422 with field paths / rule ids)."""

    code = "ValidationError"
    http_status = 422


class BadRequestError(DomainError):
    """The request cannot be read at all (not JSON, not XML, truncated PDF...)."""

    code = "BadRequest"
    http_status = 400


class NotFoundError(DomainError):
    """Unknown object, or an object of another tenant (never reveal which)."""

    code = "NotFound"
    http_status = 404


class ConflictError(DomainError):
    """The object already exists or is in a state that forbids the operation."""

    code = "Conflict"
    http_status = 409


class ForbiddenError(DomainError):
    code = "Forbidden"
    http_status = 403


class PayloadTooLargeError(DomainError):
    code = "PayloadTooLarge"
    http_status = 413


class UnsupportedMediaTypeError(DomainError):
    """The body's content type is not one the route accepts (the route's ``content_types``)."""

    code = "UnsupportedMediaType"
    http_status = 415


class IdempotencyKeyConflictError(ConflictError):
    """The ``Idempotency-Key`` was already used with another body (or is still being processed)."""

    code = "IdempotencyKeyConflict"


class InternalError(DomainError):
    """Last resort: an unexpected failure (the trace is logged with the request id, never returned)."""

    code = "InternalError"
    http_status = 500


class UpstreamUnavailableError(DomainError):
    """A dependency (directory, another platform) is down: never guess, answer 503."""

    code = "ServiceUnavailable"
    http_status = 503


class TransientError(Exception):
    """Retryable failure inside a task Lambda (ASL Retry matches the class name)."""
