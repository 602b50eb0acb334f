"""Route / function routes and functions of the invoicing area (merged by ``einvoice.routes``)."""

from __future__ import annotations

from einvoice.routing import DOCUMENTS, JSON, Function, Route

FUNCTIONS = (
    Function(
        "validations_create",
        routes=(Route("POST", "/v1/validations", summary="Validate a CII / UBL / Factur-X document (XSD, EN 16931, BR-FR)",
                      content_types=DOCUMENTS),),
        access=("tenancy:r",),
        needs=("validation",),
        memory_mb=1536,
        description="Three-layer validation report",
    ),
    Function(
        "conversions_create",
        routes=(Route("POST", "/v1/conversions", summary="Convert a document to CII, UBL or Factur-X", binary=True,
                      content_types=DOCUMENTS),),
        access=("tenancy:r",),
        needs=("render",),
        memory_mb=1024,
        description="Format conversion",
    ),
    Function(
        "invoices_create",
        routes=(Route("POST", "/v1/invoices", summary="Create an invoice draft for one of your companies",
                      content_types=JSON, idempotent=True, status=201),),
        access=("tenancy:r", "data:rw"),
        description="Invoice entry with the legal checks",
    ),
    Function(
        "invoices_get",
        routes=(Route("GET", "/v1/invoices/{id}", summary="An invoice: status, status history, delivery attempts"),),
        access=("tenancy:r", "data:r"),
        memory_mb=256,
        description="Read an invoice record",
    ),
    Function(
        "invoices_list",
        routes=(Route("GET", "/v1/invoices", summary="List invoices by company, direction and status"),),
        access=("tenancy:r", "data:r"),
        memory_mb=256,
        description="List invoice records",
    ),
    Function(
        "invoices_document",
        routes=(Route("GET", "/v1/invoices/{id}/document", summary="The invoice as Factur-X, CII or UBL", binary=True),),
        access=("tenancy:r", "data:r"),
        needs=("render",),
        memory_mb=1024,
        description="Generate the invoice document",
    ),
)
