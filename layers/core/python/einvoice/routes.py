"""The route manifest: one list drives the CDK stack, the local server and the OpenAPI document.

A ``Function`` is one Lambda (code in ``functions/<name>/handler.py``, entry ``lambda_handler``).
It serves zero or more HTTP ``Route`` s (API Gateway REST, proxy integration) and may be a
Step Functions task or an S3 event target. ``access`` lists what its least-privilege role may do:

* ``tenancy:r`` / ``tenancy:rw``, ``data:r`` / ``data:rw``, ``directory:r`` / ``directory:rw``,
  ``idempotency:rw`` -- DynamoDB tables (``einvoice.resources.TABLES``)
* ``archive:r`` / ``archive:w`` -- the Object Lock archive bucket; ``drop:r`` / ``drop:rw`` -- the CSV drop bucket
* ``ses:send`` -- send e-mail from the platform identity
* ``sfn:start:<machine>`` -- start executions of a state machine; ``sfn:callback`` -- SendTask*
* ``apigw:keys`` -- create API keys and usage-plan keys (operator functions only)
* ``textract`` -- Textract document analysis
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    auth: str = "api_key"  # "api_key" | "none"
    summary: str = ""
    binary: bool = False  # the response may be a binary document (PDF)


@dataclass(frozen=True)
class Function:
    name: str
    routes: tuple[Route, ...] = ()
    access: tuple[str, ...] = ()
    timeout_seconds: int = 29
    memory_mb: int = 512
    description: str = ""
    # Step Functions: the substitution name used in statemachines/*.asl.json for this function's ARN
    asl_substitutions: tuple[str, ...] = ()
    # S3 event source: ("drop", ".csv") means object-created events of that bucket with that suffix
    s3_trigger: tuple[str, str] | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def module(self) -> str:
        return f"functions.{self.name}.handler"


@dataclass(frozen=True)
class StateMachine:
    name: str  # statemachines/<name>.asl.json
    setting: str  # Settings field receiving its ARN
    substitutions: dict[str, str] = field(default_factory=dict)  # non-function substitutions


CORE_FUNCTIONS: tuple[Function, ...] = (
    Function(
        "health",
        routes=(Route("GET", "/v1/health", auth="none", summary="Liveness of the API"),),
        description="Health check (no API key)",
        memory_mb=256,
    ),
    Function(
        "me",
        routes=(Route("GET", "/v1/me", summary="The partner and account behind the API key"),),
        access=("tenancy:r",),
        description="Who am I",
        memory_mb=256,
    ),
)

# Area fragments, merged in this order. Each module defines FUNCTIONS (and optionally STATE_MACHINES).
FRAGMENTS: tuple[str, ...] = (
    "einvoice.manifest_companies",
    "einvoice.manifest_invoicing",
    "einvoice.manifest_enrolment",
)

CORE_STATE_MACHINES: tuple[StateMachine, ...] = ()


def _load():
    functions = list(CORE_FUNCTIONS)
    machines = list(CORE_STATE_MACHINES)
    for name in FRAGMENTS:
        module = importlib.import_module(name)
        if not hasattr(module, "FUNCTIONS"):  # e.g. a fragment still being imported: never drop it silently
            raise ImportError(f"manifest fragment {name} defines no FUNCTIONS")
        functions.extend(module.FUNCTIONS)
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


_manifest: tuple[tuple[Function, ...], tuple[StateMachine, ...]] | None = None


def _merged() -> tuple[tuple[Function, ...], tuple[StateMachine, ...]]:
    global _manifest
    if _manifest is None:
        _manifest = _load()
    return _manifest


def __getattr__(name: str):
    """``FUNCTIONS`` / ``STATE_MACHINES`` are merged on first use, not at import: the fragments import
    this module for ``Function``/``Route``, so merging at import time would read a fragment that is
    itself still being imported when it is the first module loaded (its functions were then lost)."""
    if name == "FUNCTIONS":
        return _merged()[0]
    if name == "STATE_MACHINES":
        return _merged()[1]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def routes() -> list[tuple[Route, Function]]:
    return [(r, f) for f in _merged()[0] for r in f.routes]

