"""Routes and functions of the accounts (tenancy) area (merged by ``einvoice.routes``)."""

from __future__ import annotations

from einvoice.routing import Function, Route

FUNCTIONS = (
    Function(
        "me",
        routes=(Route("GET", "/v1/me", summary="The partner and account behind the API key"),),
        access=("tenancy:r",),
        description="Who am I",
        memory_mb=256,
    ),
)
