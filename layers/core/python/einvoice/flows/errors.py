"""Errors of the Flow API in the shape of the standard (decision log 2026-12-02).

Every error answered by ``/v1/flows*`` (the gate's included: 400, 413, 415, 422...) is::

    {"type": "about:blank", "status": 422, "message": "...", "details": "...", "instance": "/v1/flows",
     "errorCode": "ChecksumMismatch", "requestId": "...",
     "acknowledgement": {"status": "Error", "details": [{"level": "Error", "item": "file",
                                                        "reasonCode": "ChecksumMismatch", "reasonMessage": "..."}]}}

``type/status/message/details/instance`` are the standard's error (RFC 7807 style, ``details`` a
string); ``errorCode`` is the AFNOR reason code where one applies (``AlreadyExistingFlow``,
``ChecksumMismatch``, ``FileSizeExceeded``, ``EmptyFlow``, ``FlowTypeError``, ``InvalidSchema``,
``InvoiceLC*``), else the platform's code (``Unauthorized``, ``NotFound``...); the acknowledgement
lists each reason, as a flow acknowledged in error does. Other routes keep the platform body.
"""

from __future__ import annotations

from typing import Any

from einvoice.errors import DomainError, ErrorDetail

#: platform error codes of the gate -> AFNOR reason codes
GATE_REASONS = {"PayloadTooLarge": "FileSizeExceeded"}


class FlowRefusedError(DomainError):
    """A flow refused with an AFNOR reason code (``code``)."""

    http_status = 422

    def __init__(self, code: str, message: str, *, status: int = 422, item: str = "file",
                 flow_id: str | None = None, details: list[ErrorDetail] | None = None) -> None:
        super().__init__(message, details or [ErrorDetail(message, field=item, rule=code)])
        self.code = code
        self.http_status = status
        self.flow_id = flow_id


def afnor_error_body(status: int, code: str, message: str, details: list[dict] | None, request_id: str | None,
                     instance: str | None = None, flow_id: str | None = None) -> dict[str, Any]:
    code = GATE_REASONS.get(code, code)
    ack = [{"level": "Error", "item": d.get("field") or "request", "reasonCode": d.get("rule") or code,
            "reasonMessage": d.get("message") or message} for d in (details or [])]
    if not ack:
        ack = [{"level": "Error", "item": "request", "reasonCode": code, "reasonMessage": message}]
    body: dict[str, Any] = {
        "type": "about:blank", "status": status, "message": message,
        "details": "; ".join(f"{a['item']}: {a['reasonMessage']}" for a in ack)[:2000],
        "instance": instance or "", "errorCode": code, "requestId": request_id,
        "acknowledgement": {"status": "Error", "details": ack[:50]},
    }
    if flow_id:
        body["flowId"] = flow_id
    return body


AFNOR_ERROR_KEYS = {"type", "status", "message", "details", "instance", "errorCode", "requestId", "acknowledgement"}


def openapi_schema() -> dict[str, Any]:
    detail = {"type": "object", "required": ["level", "item", "reasonCode", "reasonMessage"], "properties": {
        "level": {"type": "string", "enum": ["Error", "Warning"]},
        "item": {"type": "string", "description": "What the reason is about (file, flowInfo.sha256...)"},
        "reasonCode": {"type": "string", "description": "AFNOR reason code (ChecksumMismatch...) or rule id"},
        "reasonMessage": {"type": "string"}}}
    return {
        "type": "object",
        "description": "Error of the Flow API (XP Z12-013 shape): every error of /v1/flows* has this body",
        "required": ["type", "status", "message", "details", "instance", "errorCode", "requestId",
                     "acknowledgement"],
        "properties": {
            "type": {"type": "string"}, "status": {"type": "integer"}, "message": {"type": "string"},
            "details": {"type": "string"}, "instance": {"type": "string"},
            "errorCode": {"type": "string", "description": "AFNOR reason code (AlreadyExistingFlow, "
                          "ChecksumMismatch, FileSizeExceeded, EmptyFlow, FlowTypeError, InvalidSchema, "
                          "InvoiceLC*) or the platform's error code"},
            "requestId": {"type": ["string", "null"]},
            "flowId": {"type": "string", "description": "The flow concerned (AlreadyExistingFlow: the first one)"},
            "acknowledgement": {"type": "object", "required": ["status", "details"], "properties": {
                "status": {"type": "string", "enum": ["Error"]}, "details": {"type": "array", "items": detail}}},
        },
    }
