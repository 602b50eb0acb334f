"""XSD layer: lxml schemas parsed once per process and cached (thread-safe)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from einvoice.validation import rulesets


class SchemaUnavailable(Exception):
    pass


@dataclass
class LoadedSchema:
    key: str
    schema: Any
    lock: threading.Lock
    load_ms: float
    version: str


_schemas: dict[str, LoadedSchema] = {}
_lock = threading.Lock()


def reset() -> None:
    with _lock:
        _schemas.clear()


def loaded(key: str) -> LoadedSchema:
    found = _schemas.get(key)
    if found is not None:
        return found
    with _lock:
        found = _schemas.get(key)
        if found is None:
            found = _load(key)
            _schemas[key] = found
    return found


def _load(key: str) -> LoadedSchema:
    from lxml import etree

    path = rulesets.schema_path(key)
    t0 = time.perf_counter()
    if not path.is_file():
        raise SchemaUnavailable(f"{key}: XSD {path} is missing")
    try:
        # XSD imports are relative local files; never fetch anything from the network.
        parser = etree.XMLParser(no_network=True, resolve_entities=False)
        schema = etree.XMLSchema(etree.parse(str(path), parser))
    except Exception as exc:
        raise SchemaUnavailable(f"{key}: XSD {path} cannot be loaded: {exc}") from exc
    return LoadedSchema(
        key, schema, threading.Lock(), (time.perf_counter() - t0) * 1000, rulesets.read_schema_version(key)
    )


def validate(key: str, root: Any) -> list[tuple[str, str]]:
    """Return [(location, message)] of schema errors (empty = valid)."""
    ls = loaded(key)
    with ls.lock:
        ok = ls.schema.validate(root)
        if ok:
            return []
        errors = [(getattr(e, "path", None) or f"line {e.line}", e.message) for e in ls.schema.error_log]
    return errors or [("/", "document is not valid against the XSD")]
