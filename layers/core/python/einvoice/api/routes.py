"""Routes and functions of the HTTP app itself (merged by ``einvoice.routes``)."""

from __future__ import annotations

from einvoice.routing import Function, Route

FUNCTIONS = (
    Function(
        "health",
        routes=(Route("GET", "/v1/health", auth="none", summary="Liveness of the API"),),
        description="Health check (no API key)",
        memory_mb=256,
    ),
)
