"""Directory (Annuaire): port, adapters (table, AFNOR API), per-container cache, loader, seed."""

from einvoice.directory.models import DirectoryLine, Establishment, LegalUnit
from einvoice.directory.port import DirectoryPort

__all__ = ["DirectoryLine", "DirectoryPort", "Establishment", "LegalUnit"]
