"""The route manifest: one list drives the CDK stack, the local server and the OpenAPI document.

Each capability declares its Lambdas (and state machines) in ``einvoice/<area>/routes.py``; this
module imports every fragment eagerly and checks the merged list (types: ``einvoice.routing``).
Add a new area's fragment to ``AREAS``.
"""

from __future__ import annotations

import importlib

from einvoice.routing import Function, Route, StateMachine

AREAS: tuple[str, ...] = (
    "api",
    "accounts",
    "companies",
    "imports",
    "directory",
    "invoicing",
    "enrolment",
    "webhooks",
    "ocr",
    "transmission",
    "lifecycle",
    "payments",
    "reception",
    "flows",
)


AREA_OF: dict[str, str] = {}  # function name -> the area declaring it (one log group per area)


def _load() -> tuple[tuple[Function, ...], tuple[StateMachine, ...]]:
    functions: list[Function] = []
    machines: list[StateMachine] = []
    for area in AREAS:
        module = importlib.import_module(f"einvoice.{area}.routes")
        functions.extend(module.FUNCTIONS)
        AREA_OF.update({f.name: area for f in module.FUNCTIONS})
        machines.extend(getattr(module, "STATE_MACHINES", ()))
    names = [f.name for f in functions]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise ValueError(f"duplicate function names in the manifest: {sorted(dupes)}")
    keys = [(r.method, r.path) for f in functions for r in f.routes]
    dupe_routes = {k for k in keys if keys.count(k) > 1}
    if dupe_routes:
        raise ValueError(f"duplicate routes in the manifest: {sorted(dupe_routes)}")
    return tuple(functions), tuple(machines)


FUNCTIONS, STATE_MACHINES = _load()


def routes() -> list[tuple[Route, Function]]:
    return [(r, f) for f in FUNCTIONS for r in f.routes]


__all__ = ["AREA_OF", "FUNCTIONS", "STATE_MACHINES", "Function", "Route", "StateMachine", "routes"]
