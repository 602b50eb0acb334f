"""Ports of the transmission area (small Protocols). Adapters: ``registry.py``, ``flow_api.py``,
``reception.py``, ``ppf.py``, ``events.py``, ``workflow.py``; in-memory fakes in ``memory.py``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from einvoice.archive import ArchivePort  # noqa: F401  (re-exported)
from einvoice.invoicing.ports import InvoiceRepository  # noqa: F401  (re-exported)


@dataclass(frozen=True)
class Platform:
    """An approved platform of the registry: where and how its Flow API (XP Z12-013) is reached."""

    id: str  # "0238:PA-0042"
    name: str
    flow_api_url: str  # base URL; the client posts to <url>/v1/flows
    token_url: str | None = None  # OAuth2 client-credentials token endpoint
    client_id: str | None = None
    client_secret_ref: str | None = None  # name of the secret (SSM SecureString), never the secret itself
    preferred_syntax: str | None = None  # "Factur-X" | "CII" | "UBL"; None = Factur-X
    status: str = "active"


@dataclass(frozen=True)
class DeliveryResult:
    outcome: str  # delivered | duplicate | refused
    flow_id: str | None = None
    reason_code: str | None = None  # AFNOR ack reason code of a refusal
    message: str | None = None


class PlatformRegistry(Protocol):
    def get(self, platform_id: str) -> Platform | None: ...
    def put(self, platform: Platform) -> None: ...


class SecretStore(Protocol):
    def get(self, name: str) -> str: ...


class FlowClient(Protocol):
    """Sends a flow to another platform. Raises ``PeerUnavailableError`` for a retryable failure."""

    def send(self, platform: Platform, *, flow_info: dict[str, Any], data: bytes, filename: str,
             content_type: str) -> DeliveryResult: ...


class ReceptionPort(Protocol):
    """The reception side of this platform (internal delivery): record the invoice for the buyer.

    Idempotent per ``transmission_id``. Returns ``{accountId, invoiceId}`` of the received record, or
    None when no account of this platform serves the buyer.
    """

    def receive(self, *, sender: Any, document: dict[str, Any], transmission_id: str,
                from_platform: str) -> dict[str, str] | None: ...


class PpfPort(Protocol):
    """The PPF (Concentrateur de données): Flux 1 extracts. Returns ``{key, sha256}``; idempotent."""

    def submit_flux1(self, *, name: str, data: bytes) -> dict[str, str]: ...


class EventPublisher(Protocol):
    def publish(self, events: list[dict[str, Any]]) -> None:
        """``[{"type", "detail"}]``; at least once (consumers de-duplicate on ``detail.eventId``)."""
        ...


class Workflow(Protocol):
    def start(self, *, name: str, payload: dict[str, Any]) -> str: ...


class RedeliveryQueue(Protocol):
    def send(self, message: dict[str, Any], *, delay_seconds: int) -> None: ...
