"""In-memory adapters of the transmission ports (unit tests of the rules, no AWS, no HTTP)."""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime
from typing import Any

from einvoice.transmission.adapters import CompanyOptions
from einvoice.transmission.errors import DirectoryUnavailableError, PeerUnavailableError, StorageUnavailableError
from einvoice.transmission.ports import DeliveryResult, Platform


class MemoryRegistry:
    def __init__(self, platforms: list[Platform] | None = None) -> None:
        self.platforms = {p.id: p for p in platforms or []}
        self.down = False

    def get(self, platform_id: str) -> Platform | None:
        if self.down:
            raise DirectoryUnavailableError("registry down")
        return self.platforms.get(platform_id)

    def put(self, platform: Platform) -> None:
        self.platforms[platform.id] = platform


class MemoryFlowClient:
    """Per platform: a list of scripted outcomes consumed in order ("ok", "down", "reject", "duplicate"),
    then ``default``. Records every flow received."""

    def __init__(self, default: str = "ok") -> None:
        self.default = default
        self.script: dict[str, list[str]] = {}
        self.received: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def send(self, platform: Platform, *, flow_info: dict[str, Any], data: bytes, filename: str,
             content_type: str) -> DeliveryResult:
        with self._lock:
            queue = self.script.get(platform.id) or []
            mode = queue.pop(0) if queue else self.default
        if mode == "down":
            raise PeerUnavailableError("PeerHttp503", f"{platform.id} is down")
        if flow_info.get("sha256") != hashlib.sha256(data).hexdigest():
            return DeliveryResult("refused", reason_code="ChecksumMismatch")
        if mode == "reject":
            return DeliveryResult("refused", reason_code="InvalidSchema", message="schema refused")
        with self._lock:
            seen = any(f["trackingId"] == flow_info["trackingId"] and f["platform"] == platform.id
                       for f in self.received)
            self.received.append({**flow_info, "platform": platform.id, "size": len(data), "data": data})
        if seen or mode == "duplicate":
            return DeliveryResult("duplicate", reason_code="AlreadyExistingFlow")
        return DeliveryResult("delivered", flow_id=f"flow-{len(self.received)}")


class MemoryCompanies:
    def __init__(self) -> None:
        self.companies: dict[tuple[str, str], CompanyOptions] = {}

    def add(self, account_id: str, company: CompanyOptions) -> None:
        self.companies[(account_id, company.company_id)] = company

    def get(self, account_id: str, company_id: str) -> CompanyOptions | None:
        return self.companies.get((account_id, company_id))

    def serving(self, siren: str) -> list[tuple[str, CompanyOptions]]:
        return [(acc, c) for acc, c in self.companies_for(siren) if c.purchase_invoices]

    def companies_for(self, siren: str) -> list[tuple[str, CompanyOptions]]:
        return [(acc, c) for (acc, _), c in self.companies.items() if c.siren == siren]


class MemoryInvoiceArchive:
    """Write-once containers (like the Object Lock bucket with ``If-None-Match``)."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.fail_puts = 0

    @staticmethod
    def key(day: str, account_id: str, transmission_id: str) -> str:
        return f"invoices/{day}/{account_id}/{transmission_id}.zip"

    def put(self, key: str, data: bytes, *, until: datetime, metadata: dict[str, str]) -> dict[str, Any] | None:
        if self.fail_puts:
            self.fail_puts -= 1
            raise StorageUnavailableError("archive write refused (SlowDown)")
        if key in self.objects:
            return None
        self.objects[key] = data
        return {"key": key, "versionId": "v1", "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
                "retainUntil": until.isoformat()}

    def get(self, key: str, version_id: str | None = None) -> bytes:
        return self.objects[key]

    def head(self, key: str) -> dict[str, Any]:
        return {"versionId": "v1", "metadata": {}}


class MemoryPpf:
    def __init__(self) -> None:
        self.extracts: dict[str, bytes] = {}

    def submit_flux1(self, *, name: str, data: bytes) -> dict[str, str]:
        self.extracts[name] = data
        return {"key": name, "sha256": hashlib.sha256(data).hexdigest()}


class MemoryEvents:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def publish(self, events: list[dict[str, Any]]) -> None:
        self.events.extend(events)


class MemoryWorkflow:
    def __init__(self) -> None:
        self.started: list[dict[str, Any]] = []
        self.fail = False

    def start(self, *, name: str, payload: dict[str, Any]) -> str:
        if self.fail:
            raise RuntimeError("states unavailable")
        self.started.append({"name": name, "payload": payload})
        return f"arn:aws:states:eu-west-3:123456789012:express:transmission:{name}"


class MemoryQueue:
    def __init__(self) -> None:
        self.messages: list[tuple[dict[str, Any], int]] = []

    def send(self, message: dict[str, Any], *, delay_seconds: int) -> None:
        self.messages.append((dict(message), delay_seconds))


class MemoryStaging:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.files[key] = data

    def get(self, key: str) -> bytes:
        return self.files[key]
