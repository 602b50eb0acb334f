"""The tenant-facing lifecycle operation (``POST /v1/invoices/{id}/status``) on the per-container deps."""

from __future__ import annotations

from typing import Any

from einvoice.lifecycle.actions import StatusAction, parse_rates, set_status
from einvoice.lifecycle.models import StatusActionIn
from einvoice.tenancy import Tenant


def set_invoice_status(tenant: Tenant, invoice_id: str, body: StatusActionIn, *, deps: Any = None) -> Any:
    """The tenant's invoice after the status (``InvoiceOut``); errors: 404, 409, 422, 503."""
    from einvoice.invoicing.service import load_record, to_out
    from einvoice.transmission.service import default_deps

    deps = deps or default_deps()
    record = load_record(tenant, invoice_id, deps.repository)
    action = StatusAction(code=body.code, reason=body.reason, comment=body.comment, amount=body.amount,
                          rates=parse_rates(body.rates))
    return to_out(set_status(record.account_id, record.id, action, deps=deps, record=record))
