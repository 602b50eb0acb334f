"""The Lambda packaging boundary, enforced while the local platform and the tests run handlers.

On AWS a function can import only what its layers hold: ``base`` plus the groups its manifest
entry names in ``needs`` (``infra.layers``). Locally every package is installed, so a missing
``needs`` would only show on AWS. ``install()`` wraps ``builtins.__import__``: while a handler of
function F runs (``running(F)``, set by ``local.dispatch``), an import made by the project's own
code (``einvoice.*``, ``functions.*``) of a module that F's layers do not ship -- another group's
layer, or what is never shipped (moto, werkzeug, the CDK, ``local``, ``infra``) -- raises
``ImportError``, as it would on AWS. Third-party modules importing their own dependencies are not
checked (those come with them in the same layer).
"""

from __future__ import annotations

import builtins
import threading
from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator

_state = threading.local()
_original_import = builtins.__import__
_installed = False
PROJECT_PREFIXES = ("einvoice.", "functions.")
NEVER_SHIPPED_MODULES = frozenset({"local", "infra", "tests", "bench"})


class PackagingBoundaryError(ImportError):
    """A function imported a module that its Lambda layers do not contain."""


@lru_cache(maxsize=1)
def _modules_by_layer() -> dict[str, frozenset[str]]:
    from infra import layers

    out = {name: frozenset(layers.top_level_modules(dists)) for name, dists in layers.distributions().items()}
    out["(not shipped)"] = frozenset(layers.top_level_modules(set(layers.NOT_SHIPPED) - layers.RUNTIME_PROVIDED)
                                     | NEVER_SHIPPED_MODULES)
    return out


@lru_cache(maxsize=None)
def unavailable(function_name: str) -> dict[str, str]:
    """``{top-level module: layer}`` the function cannot import on AWS ({} for names outside the manifest)."""
    from einvoice.routes import FUNCTIONS
    from infra.layers import layers_for

    fn = next((f for f in FUNCTIONS if f.name == function_name), None)
    if fn is None:
        return {}
    attached = set(layers_for(fn))
    shipped = set().union(*(mods for layer, mods in _modules_by_layer().items() if layer in attached))
    return {module: layer for layer, mods in _modules_by_layer().items() if layer not in attached
            for module in mods if module not in shipped}


def _layer_missing(function_name: str, top: str) -> str | None:
    if getattr(_state, "busy", False):  # computing the map imports the manifest: not checked
        return None
    _state.busy = True
    try:
        return unavailable(function_name).get(top)
    finally:
        _state.busy = False


def _guarded_import(name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002 - builtins signature
    stack = getattr(_state, "functions", None)
    if stack and level == 0 and globals:
        importer = globals.get("__name__") or ""
        if importer.startswith(PROJECT_PREFIXES) or importer in ("einvoice", "handler"):
            layer = _layer_missing(stack[-1], name.partition(".")[0])
            if layer is not None:
                raise PackagingBoundaryError(
                    f"function {stack[-1]} imported {name!r} (from {importer}), which is in the {layer} layer; "
                    f"on AWS it is not there: add the group to the function's `needs` in its routes.py"
                    if layer != "(not shipped)" else
                    f"function {stack[-1]} imported {name!r} (from {importer}), which is never shipped to Lambda"
                )
    return _original_import(name, globals, locals, fromlist, level)


def install() -> None:
    """Wrap ``builtins.__import__`` (idempotent). Costs one thread-local read per import statement."""
    global _installed
    if not _installed:
        builtins.__import__ = _guarded_import
        _installed = True


@contextmanager
def running(function_name: str) -> Iterator[None]:
    """Mark the current thread as running ``function_name``'s handler."""
    stack = getattr(_state, "functions", None)
    if stack is None:
        stack = _state.functions = []
    stack.append(function_name)
    try:
        yield
    finally:
        stack.pop()
