"""Per-container TTL cache in front of a directory adapter, and the container's directory factory.

* Answers (found records *and* "unknown") are kept ``ttl`` seconds (default 60 s): a Lambda
  container serves many requests, the directory changes slowly, and a short TTL bounds staleness.
* Outages are never cached: an ``UpstreamUnavailableError`` propagates and the next call retries.
* Bounded: at most ``max_entries`` entries; the oldest are dropped first.
* Bulk lookups (``get_many``, CSV imports) go straight to the adapter and are not cached, so one
  100,000-line import cannot evict the interactive entries or grow the container's memory.
* Writes (``register_line``) invalidate the SIREN's cached lines.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from einvoice.directory.models import DirectoryLine, Establishment, LegalUnit
from einvoice.directory.port import DirectoryPort
from einvoice.settings import Settings, get_settings

_MISS = object()


class CachedDirectory:
    def __init__(
        self,
        inner: DirectoryPort,
        *,
        ttl: float = 60.0,
        max_entries: int = 5000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._data: OrderedDict[tuple[str, str], tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _get(self, key: tuple[str, str], load: Callable[[], Any]) -> Any:
        now = self._clock()
        with self._lock:
            entry = self._data.get(key, _MISS)
            if entry is not _MISS and entry[0] > now:
                self.hits += 1
                return entry[1]
        self.misses += 1
        value = load()  # raises on outage: nothing stored
        with self._lock:
            self._data[key] = (now + self.ttl, value)
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def get_siren(self, siren: str) -> LegalUnit | None:
        return self._get(("siren", siren), lambda: self.inner.get_siren(siren))

    def get_siret(self, siret: str) -> Establishment | None:
        return self._get(("siret", siret), lambda: self.inner.get_siret(siret))

    def lines_for(self, siren: str) -> list[DirectoryLine]:
        return list(self._get(("lines", siren), lambda: tuple(self.inner.lines_for(siren))))

    def register_line(self, siren: str, siret: str | None, platform_id: str) -> DirectoryLine:
        line = self.inner.register_line(siren, siret, platform_id)
        with self._lock:
            self._data.pop(("lines", siren), None)
        return line

    def get_many(
        self, sirens: Iterable[str], sirets: Iterable[str]
    ) -> tuple[dict[str, LegalUnit], dict[str, Establishment]]:
        return self.inner.get_many(sirens, sirets)

    def __getattr__(self, name: str) -> Any:  # adapter extras (establishments_of, get_routing_code)
        return getattr(self.inner, name)


_directories: dict[tuple, CachedDirectory] = {}
_factory_lock = threading.Lock()


def get_directory(settings: Settings | None = None) -> CachedDirectory:
    """The container's directory (adapter chosen by ``Settings.directory_mode``), cached."""
    s = settings or get_settings()
    key = (s.directory_mode, s.directory_table, s.directory_api_url, s.endpoint_url, s.region)
    found = _directories.get(key)
    if found is not None:
        return found
    with _factory_lock:
        if key not in _directories:
            if s.directory_mode == "api":
                from einvoice.directory.afnor import AfnorDirectory

                inner: DirectoryPort = AfnorDirectory(s.directory_api_url)
            else:
                from einvoice.directory.table import TableDirectory

                inner = TableDirectory(settings=s)
            _directories[key] = CachedDirectory(inner)
        return _directories[key]


def reset_directory_cache() -> None:
    """Forget the container's directories (tests)."""
    with _factory_lock:
        _directories.clear()
