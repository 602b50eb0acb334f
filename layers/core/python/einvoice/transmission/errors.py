"""Errors of the transmission tasks. Their class names are the Step Functions error names that
``statemachines/transmission.asl.json`` retries (``*Unavailable*``) or catches. Messages are short
codes and sentences (they end up in the execution history): never a stack trace or a payload."""

from __future__ import annotations

from einvoice.errors import TransientError


class TransmissionError(Exception):
    """A task cannot go on (bad payload, unknown invoice): caught by the state machine, not retried."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}"[:300])
        self.code = code
        self.message = message[:300]


class PeerUnavailableError(TransientError):
    """The buyer's platform did not answer (timeout, 5xx, 429, connection refused, token refused)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}"[:300])
        self.code = code
        self.message = message[:300]


class DirectoryUnavailableError(TransientError):
    """The directory (or the platform registry) could not answer: retried, never read as "unknown"."""


class StorageUnavailableError(TransientError):
    """S3 / DynamoDB / EventBridge refused or throttled the request after the SDK's own retries."""
